//! What the REST sink's workers write: one entity and then its sample (with the id the answer
//! gives), or a batch in one bulk write, whose answer says which of its entities were written.

use super::*;

/// Records what the writes of one entity type did.
pub(super) fn record(writes: &Mutex<Writes>, entity: &Entity, f: impl FnOnce(&mut TypeWrites)) {
    f(writes.lock().unwrap_or_else(|e| e.into_inner()).of(entity))
}

pub(super) fn write_entity(
    client: &Client,
    entity: &Entity,
    request: Request,
    sample: Option<Request>,
    writes: &Mutex<Writes>,
) {
    let fqn = request.entity_fqn.clone().unwrap_or_default();
    let fail = |message: String| record(writes, entity, |w| w.failures.push((fqn.clone(), message)));
    let answer = match client.send(&request) {
        Ok(answer) => answer,
        Err(e) => return fail(e.to_string()),
    };
    record(writes, entity, |w| if answer.status == 201 { w.created += 1 } else { w.updated += 1 });
    let Some(mut sample) = sample else { return };
    let Some(id) = answer.body.get("id").and_then(Value::as_str) else {
        return fail(format!("the server's answer to PUT {} has no id; sample data not written", request.path));
    };
    sample.path = sample.path.replace("{id}", id);
    match client.send(&sample) {
        Ok(_) => record(writes, entity, |w| w.samples += 1),
        Err(e) => fail(e.to_string()),
    }
}

/// Writes the sample of an entity the run did not write (its path holds the stored id).
pub(super) fn write_sample(client: &Client, entity: &Entity, sample: Request, writes: &Mutex<Writes>) {
    match client.send(&sample) {
        Ok(_) => record(writes, entity, |w| w.samples += 1),
        Err(e) => {
            let fqn = sample.entity_fqn.clone().unwrap_or_default();
            record(writes, entity, |w| w.failures.push((fqn, e.to_string())))
        }
    }
}

/// Writes a batch in one `PUT {collection}/bulk`, and records each entity's outcome from the
/// server's BulkOperationResult. A server without the endpoint (404, 405: older than bulk
/// writes) gets the batch, and every later one, one entity at a time.
pub(super) fn write_bulk(
    client: &Client,
    entity: &Entity,
    requests: Vec<Request>,
    writes: &Mutex<Writes>,
    no_bulk: &AtomicBool,
) {
    let one_by_one = |requests: Vec<Request>| {
        for request in requests {
            write_entity(client, entity, request, None, writes)
        }
    };
    if no_bulk.load(Ordering::SeqCst) {
        return one_by_one(requests);
    }
    let bulk = requests::put_entities(entity, requests.iter().map(|r| r.body.clone()).collect());
    let path = bulk.path.split('?').next().unwrap_or_default().to_string();
    match client.send(&bulk) {
        Ok(answer) => {
            let outcome = bulk_outcome(&answer.body, &requests, &path);
            record(writes, entity, |w| {
                w.upserted += outcome.written;
                w.failures.extend(outcome.failures);
            })
        }
        Err(e) if matches!(e.status(), Some(404 | 405)) => {
            if !no_bulk.swap(true, Ordering::SeqCst) {
                tracing::info!("the server has no {path} ({e}); writing {} one at a time", entity.plural);
            }
            one_by_one(requests)
        }
        Err(e) => record(writes, entity, |w| {
            w.failures.extend(requests.iter().map(|r| (r.entity_fqn.clone().unwrap_or_default(), e.to_string())))
        }),
    }
}

/// What a bulk write did: how many were written, and which failed and why.
#[derive(Debug, Default, PartialEq)]
pub(super) struct BulkOutcome {
    written: u64,
    failures: Vec<(String, String)>,
}

/// Reads a BulkOperationResult. The server names a failed request by the FQN it gave it or by
/// the create request itself (when it failed before it had one), a written one by its FQN.
/// A request the answer accounts for neither way is a failure: nothing says it was written.
pub(super) fn bulk_outcome(answer: &Value, requests: &[Request], path: &str) -> BulkOutcome {
    let fqn_of = |r: &Request| r.entity_fqn.clone().unwrap_or_default();
    let named = |item: &Value| -> Option<String> {
        match item.get("request")? {
            Value::String(fqn) => Some(fqn.clone()),
            request => {
                let name = request.get("name")?;
                requests.iter().find(|r| r.body.get("name") == Some(name)).map(fqn_of)
            }
        }
    };
    let list = |key: &str| answer.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut failed: HashMap<String, String> = HashMap::new();
    let mut unnamed_failures = Vec::new();
    for item in list("failedRequest") {
        let status = item.get("status").and_then(Value::as_u64).map_or(String::new(), |s| format!(" {s}"));
        let message = item.get("message").and_then(Value::as_str).unwrap_or("no reason given");
        let why = format!("PUT {path}: the server answered{status}: {message}");
        match named(&item) {
            Some(fqn) => {
                failed.insert(fqn, why);
            }
            None => unnamed_failures.push(why),
        }
    }
    let written: HashSet<String> = list("successRequest").iter().filter_map(named).collect();
    let mut outcome = BulkOutcome::default();
    for request in requests {
        let fqn = fqn_of(request);
        if let Some(why) = failed.remove(&fqn) {
            outcome.failures.push((fqn, why));
        } else if written.contains(&fqn) {
            outcome.written += 1;
        } else {
            let why = match unnamed_failures.first() {
                Some(why) => why.clone(),
                None => format!("PUT {path}: the server's answer does not say it was written"),
            };
            outcome.failures.push((fqn, why));
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn topic(name: &str) -> Request {
        let topic = endpoints::entity("topic").unwrap();
        requests::put_entity(topic, format!("svc.{name}"), json!({"name": name, "service": "svc"}))
    }

    #[test]
    fn a_bulk_answer_names_each_outcome_by_fqn_or_by_request() {
        let batch = [topic("a"), topic("b"), topic("c"), topic("d")];
        // As OpenMetadata answers: written ones by FQN, one failed before it had an FQN (the
        // create request itself), one failed after (its FQN); `d` is not accounted for.
        let answer = json!({
            "status": "partialSuccess",
            "successRequest": [{"request": "svc.a", "status": 200}],
            "failedRequest": [
                {"request": {"name": "b", "service": "svc"}, "message": "name is invalid", "status": 400},
                {"request": "svc.c", "message": "Entity does not exist", "status": 400}
            ]
        });
        let outcome = bulk_outcome(&answer, &batch, "/v1/topics/bulk");
        assert_eq!(outcome.written, 1);
        assert_eq!(
            outcome.failures,
            vec![
                ("svc.b".to_string(), "PUT /v1/topics/bulk: the server answered 400: name is invalid".to_string()),
                (
                    "svc.c".to_string(),
                    "PUT /v1/topics/bulk: the server answered 400: Entity does not exist".to_string()
                ),
                (
                    "svc.d".to_string(),
                    "PUT /v1/topics/bulk: the server's answer does not say it was written".to_string()
                ),
            ]
        );
        // An answer that is not a BulkOperationResult writes nothing it can vouch for.
        assert_eq!(bulk_outcome(&json!("ok"), &batch, "/v1/topics/bulk").written, 0);
    }
}
