//! Soft-deleting a service's stale entities on an OpenMetadata server: the unseen ones are
//! found from the listing the run read before its writes (`host_core::converge::Stored`: one
//! listing serves both) with `host_core::deletion::stale` and its share limit, then the
//! server's `deleteStale` is asked, and its answer read: what the server says it deleted is
//! what the run reports, and a server that deleted what the run did not expect is an error.
//! An older server without `deleteStale` (404) gets the unseen ones deleted one by one.
//!
//! `recursive: true` is sent, as OpenMetadata's own runner sends it (its contract): the
//! entities this host deletes (topics, pipelines) have no child entities to take along.

use anyhow::{bail, Result};
use serde_json::Value;

use crate::endpoints::Entity;
use crate::openmetadata::Client;
use crate::requests;

/// Soft-deletes the service's entities of the type that are not in `seen`, unless they are more
/// than `max_share` of them; says what was deleted, for the summary.
pub fn delete_stale(
    client: &Client,
    entity: &Entity,
    service_fqn: &str,
    existing: &[(String, String)],
    seen: Vec<String>,
    max_share: f64,
) -> Result<String> {
    let kind = entity.plural;
    let fqns: Vec<String> = existing.iter().map(|(_, fqn)| fqn.clone()).collect();
    let unseen: Vec<&(String, String)> =
        match host_core::deletion::stale(kind, &fqns, &seen, max_share, "--max-delete-share") {
            Ok(indices) => indices.into_iter().map(|i| &existing[i]).collect(),
            Err(kept) => return Ok(kept),
        };
    let names: Vec<&str> = unseen.iter().map(|(_, fqn)| fqn.as_str()).collect();
    match client.send(&requests::delete_stale(entity, service_fqn, seen)) {
        Ok(answer) => read_answer(kind, &answer.body, &names),
        Err(e) if e.status() == Some(404) => {
            // An older server: delete the unseen ones one by one.
            let mut deleted: Vec<&str> = Vec::new();
            for (i, (id, fqn)) in unseen.iter().enumerate() {
                let path = format!("{}/{id}?recursive=true&hardDelete=false", entity.collection);
                if let Err(e) = client.call("DELETE", &path, None) {
                    let kept: Vec<&str> = unseen[i..].iter().map(|(_, fqn)| fqn.as_str()).collect();
                    bail!(
                        "soft-deleting unseen {kind} one by one failed at {fqn}: {e}; deleted {} ({}), not deleted {} ({})",
                        deleted.len(),
                        if deleted.is_empty() { "none".to_string() } else { deleted.join(", ") },
                        kept.len(),
                        kept.join(", ")
                    );
                }
                deleted.push(fqn);
            }
            Ok(format!("soft-deleted {}: {}", names.len(), names.join(", ")))
        }
        Err(e) => bail!("cannot soft-delete stale {kind}: {e}"),
    }
}

/// What `deleteStale`'s answer (a BulkOperationResult) says was deleted, against what the run
/// expected (`expected`, FQNs): an answer that is not one, failures, more deletions than
/// expected, or deleted names the run did not expect are errors, named.
fn read_answer(kind: &str, answer: &Value, expected: &[&str]) -> Result<String> {
    let count = |field: &str| answer.get(field).and_then(Value::as_u64);
    let Some(passed) = count("numberOfRowsPassed") else {
        bail!(
            "the server's answer to deleteStale for {kind} is not a BulkOperationResult (no numberOfRowsPassed): {}",
            answer.to_string().chars().take(200).collect::<String>()
        );
    };
    let failed = count("numberOfRowsFailed").unwrap_or(0);
    let requests = |field: &str| -> Vec<String> {
        let entries = answer.get(field).and_then(Value::as_array).into_iter().flatten();
        entries
            .filter_map(|r| {
                let request = r.get("request")?;
                let name = request
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| request.get("fullyQualifiedName").and_then(Value::as_str).map(str::to_string))?;
                Some(match r.get("message").and_then(Value::as_str) {
                    Some(message) if field == "failedRequest" => format!("{name} ({message})"),
                    _ => name,
                })
            })
            .collect()
    };
    if failed > 0 {
        bail!(
            "the server could not soft-delete {failed} of the stale {kind}: {}",
            requests("failedRequest").join(", ")
        );
    }
    let deleted = requests("successRequest");
    let unexpected: Vec<&String> = deleted.iter().filter(|d| !expected.contains(&d.as_str())).collect();
    if !unexpected.is_empty() {
        bail!(
            "the server soft-deleted {kind} this run did not find unseen: {}",
            unexpected.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    let expected_count = expected.len() as u64;
    if passed > expected_count {
        bail!(
            "the server soft-deleted {passed} {kind}, this run found {expected_count} unseen ({}); \
             the others were not this run's to delete",
            expected.join(", ")
        );
    }
    if passed < expected_count {
        return Ok(format!(
            "soft-deleted {passed} (the server's count) of the {expected_count} unseen: {}",
            expected.join(", ")
        ));
    }
    Ok(format!("soft-deleted {passed}: {}", expected.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXPECTED: [&str; 2] = ["svc.a", "svc.b"];

    #[test]
    fn the_servers_count_is_what_is_reported() {
        let answer =
            json!({"status": "success", "numberOfRowsProcessed": 2, "numberOfRowsPassed": 2, "numberOfRowsFailed": 0});
        assert_eq!(read_answer("topics", &answer, &EXPECTED).unwrap(), "soft-deleted 2: svc.a, svc.b");
        let fewer = json!({"numberOfRowsPassed": 1});
        assert_eq!(
            read_answer("topics", &fewer, &EXPECTED).unwrap(),
            "soft-deleted 1 (the server's count) of the 2 unseen: svc.a, svc.b"
        );
    }

    #[test]
    fn more_deletions_other_names_failures_and_no_result_are_errors() {
        let more = json!({"numberOfRowsPassed": 4, "numberOfRowsFailed": 0});
        let e = read_answer("topics", &more, &EXPECTED).unwrap_err().to_string();
        assert!(e.contains("soft-deleted 4 topics, this run found 2 unseen (svc.a, svc.b)"), "{e}");
        let other = json!({"numberOfRowsPassed": 2, "successRequest": [{"request": "svc.a"}, {"request": "svc.zz"}]});
        let e = read_answer("topics", &other, &EXPECTED).unwrap_err().to_string();
        assert!(e.ends_with("did not find unseen: svc.zz"), "{e}");
        let failed = json!({"numberOfRowsPassed": 1, "numberOfRowsFailed": 1,
            "failedRequest": [{"request": "svc.b", "message": "locked"}]});
        let e = read_answer("topics", &failed, &EXPECTED).unwrap_err().to_string();
        assert!(e.contains("could not soft-delete 1 of the stale topics: svc.b (locked)"), "{e}");
        let e = read_answer("topics", &json!("<html>502</html>"), &EXPECTED).unwrap_err().to_string();
        assert!(e.contains("not a BulkOperationResult") && e.contains("<html>"), "{e}");
    }
}
