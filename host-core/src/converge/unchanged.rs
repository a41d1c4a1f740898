//! Whether a create-or-update request would change what OpenMetadata holds, judged by the
//! server's own update rules (`EntityRepository.EntityUpdater`, `TopicRepository.TopicUpdater`,
//! read in open-metadata/OpenMetadata): a request that changes nothing is not sent at all.
//!
//! Every doubt counts as a change: a request sent for nothing costs a call, one held back loses
//! an update. So a key this comparison has no rule for is compared as it is, and a value the
//! stored entity does not show (a field the listing did not ask for) is a change.

use serde_json::Value;

/// Keys of a create request that never change a stored entity: they name it.
const NAMING: [&str; 2] = ["name", "service"];

/// Keys the server records as changes for these entity types when a request leaves them out (a
/// PUT without `topicConfig` sets it to null): a stored value the request lacks is a change.
const RECORDED: &[(&str, &[&str])] = &[
    (
        "topic",
        &[
            "maximumMessageSize",
            "minimumInSyncReplicas",
            "partitions",
            "replicationFactor",
            "retentionTime",
            "retentionSize",
            "topicConfig",
            "cleanupPolicies",
            "sourceUrl",
        ],
    ),
    ("pipeline", &["sourceUrl", "tasks", "pipelineLocation", "startDate", "scheduleInterval", "concurrency"]),
];

/// Why `request` would change `stored` (an entity as the server lists it), or `None` when
/// the server would keep everything as it is.
pub fn change(entity_type: &str, request: &Value, stored: &Value) -> Option<String> {
    let (Some(request), Some(stored_map)) = (request.as_object(), stored.as_object()) else {
        return Some("not an object".into());
    };
    for (key, wanted) in request {
        if NAMING.contains(&key.as_str()) {
            continue;
        }
        let held = stored_map.get(key).unwrap_or(&Value::Null);
        let changes = match key.as_str() {
            // A bot's PUT keeps a description or display name that is there.
            "description" | "displayName" => !text_held(held, wanted),
            "tags" => !tags_held(held, wanted),
            "owners" => !owners_held(held, wanted),
            "messageSchema" if !wanted.is_null() => !schema_held(held, wanted),
            "tasks" => !tasks_held(held, wanted),
            _ => !same(held, wanted),
        };
        if changes {
            return Some(format!("{key} differs"));
        }
    }
    let recorded = RECORDED.iter().find(|(t, _)| *t == entity_type).map_or(&[][..], |(_, keys)| *keys);
    recorded
        .iter()
        .find(|key| !request.contains_key(**key) && stored_map.get(**key).is_some_and(|v| !is_empty(v)))
        .map(|key| format!("{key} would be cleared"))
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The request's text changes a description or display name only where none is stored (the
/// server keeps a stored one against a bot).
fn text_held(held: &Value, wanted: &Value) -> bool {
    let held = held.as_str().unwrap_or_default();
    !held.is_empty() || is_empty(wanted) || same(&Value::from(held), wanted)
}

/// JSON equality, numbers by value (`86400000` and `86400000.0` are one number), objects
/// whatever their keys' order; a missing value and null are one.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            let keys = x.keys().chain(y.keys());
            keys.into_iter().all(|k| same(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null)))
        }
        _ => a == b,
    }
}

/// A PUT merges tags: every requested tag already there changes nothing.
fn tags_held(held: &Value, wanted: &Value) -> bool {
    let fqns = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|t| t.get("tagFQN")?.as_str().map(str::to_string)).collect()
    };
    let held = fqns(held);
    fqns(wanted).iter().all(|t| held.contains(t))
}

/// Owners change only when the request names some, and then unless they are the stored ones.
fn owners_held(held: &Value, wanted: &Value) -> bool {
    let ids = |v: &Value| -> Option<Vec<String>> {
        let mut ids: Vec<String> = v
            .as_array()?
            .iter()
            .map(|o| o.get("id").and_then(Value::as_str).map(str::to_string))
            .collect::<Option<_>>()?;
        ids.sort();
        Some(ids)
    };
    is_empty(wanted) || ids(held).is_some_and(|h| ids(wanted) == Some(h))
}

/// A topic's message schema: the same text and type, and every field held.
fn schema_held(held: &Value, wanted: &Value) -> bool {
    ["schemaText", "schemaType"].iter().all(|k| same(&held[*k], &wanted[*k]))
        && fields_held(&held["schemaFields"], &wanted["schemaFields"])
}

/// Fields match as the server matches them (name, case-insensitively, and data type); each
/// stored field must be matched (one the request lacks is deleted), each requested one too (one
/// the server lacks is added), and a matched one must hold what the request carries.
pub fn fields_held(held: &Value, wanted: &Value) -> bool {
    let (Some(held), Some(wanted)) = (held.as_array(), wanted.as_array()) else {
        return is_empty(held) && is_empty(wanted);
    };
    if held.len() != wanted.len() {
        return false;
    }
    wanted.iter().all(|w| {
        let name = w.get("name").and_then(Value::as_str).unwrap_or_default();
        let Some(h) = held.iter().find(|h| {
            h.get("name").and_then(Value::as_str).is_some_and(|n| n.eq_ignore_ascii_case(name))
                && h.get("dataType") == w.get("dataType")
        }) else {
            return false;
        };
        let held_text = |key: &str| match w.get(key) {
            None | Some(Value::Null) => true,
            Some(wanted) => text_held(h.get(key).unwrap_or(&Value::Null), wanted),
        };
        held_text("description")
            && held_text("displayName")
            && held_text("dataTypeDisplay")
            && w.get("tags").is_none_or(|t| tags_held(h.get("tags").unwrap_or(&Value::Null), t))
            && match (h.get("children"), w.get("children")) {
                (None | Some(Value::Null), None | Some(Value::Null)) => true,
                (Some(hc), Some(wc)) => fields_held(hc, wc),
                (hc, wc) => is_empty(hc.unwrap_or(&Value::Null)) && is_empty(wc.unwrap_or(&Value::Null)),
            }
    })
}

/// A pipeline's tasks: each requested task held by the stored task of its name, and no other.
fn tasks_held(held: &Value, wanted: &Value) -> bool {
    let (Some(held), Some(wanted)) = (held.as_array(), wanted.as_array()) else {
        return is_empty(held) && is_empty(wanted);
    };
    held.len() == wanted.len()
        && wanted.iter().all(|w| {
            let Some(h) = held.iter().find(|h| h.get("name") == w.get("name")) else { return false };
            w.as_object().into_iter().flatten().all(|(key, value)| match key.as_str() {
                "description" | "displayName" => text_held(h.get(key).unwrap_or(&Value::Null), value),
                "tags" => tags_held(h.get(key).unwrap_or(&Value::Null), value),
                "owners" => owners_held(h.get(key).unwrap_or(&Value::Null), value),
                _ => same(h.get(key).unwrap_or(&Value::Null), value),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn topic() -> Value {
        json!({
            "name": "t", "service": "s", "partitions": 2, "retentionTime": 86400000.0,
            "topicConfig": {"a": 1, "b": "x"}, "cleanupPolicies": ["delete"],
            "tags": [{"tagFQN": "aws.env", "source": "Classification", "labelType": "Automated", "state": "Confirmed"}],
            "messageSchema": {"schemaType": "JSON", "schemaText": "{}", "schemaFields": [
                {"name": "id", "dataType": "INT"},
                {"name": "r", "dataType": "RECORD", "children": [{"name": "x", "dataType": "STRING"}]}
            ]}
        })
    }

    /// As the server lists the topic after writing `topic()`, with what people added.
    fn stored() -> Value {
        json!({
            "id": "1", "name": "t", "fullyQualifiedName": "s.t", "version": 0.3, "service": {"id": "9", "type": "messagingService"},
            "partitions": 2, "retentionTime": 86400000, "topicConfig": {"b": "x", "a": 1}, "cleanupPolicies": ["delete"],
            "description": "people wrote this",
            "tags": [{"tagFQN": "Tier.Tier1"}, {"tagFQN": "aws.env"}],
            "messageSchema": {"schemaType": "JSON", "schemaText": "{}", "schemaFields": [
                {"name": "ID", "dataType": "INT", "fullyQualifiedName": "s.t.ID", "description": "the key", "tags": [{"tagFQN": "PII.NonSensitive"}]},
                {"name": "r", "dataType": "RECORD", "children": [{"name": "x", "dataType": "STRING", "tags": []}]}
            ]}
        })
    }

    #[test]
    fn a_request_the_server_already_holds_changes_nothing() {
        assert_eq!(change("topic", &topic(), &stored()), None);
        let mut described = topic();
        described["description"] = "from the source".into();
        assert_eq!(change("topic", &described, &stored()), None, "a stored description wins");
    }

    #[test]
    fn every_difference_the_server_records_is_a_change() {
        type Edit = fn(&mut Value);
        let cases: Vec<(Edit, &str)> = vec![
            (|t| t["partitions"] = 3.into(), "partitions differs"),
            (|t| t["topicConfig"]["a"] = 2.into(), "topicConfig differs"),
            (|t| t["tags"][0]["tagFQN"] = "aws.team".into(), "tags differs"),
            (|t| t["messageSchema"]["schemaText"] = "{ }".into(), "messageSchema differs"),
            (|t| t["messageSchema"]["schemaFields"][0]["dataType"] = "LONG".into(), "messageSchema differs"),
            (|t| drop(t["messageSchema"]["schemaFields"].as_array_mut().unwrap().pop()), "messageSchema differs"),
            (
                |t| t["messageSchema"]["schemaFields"][1]["children"][0]["tags"] = json!([{"tagFQN": "PII.Sensitive"}]),
                "messageSchema differs",
            ),
            (|t| t["owners"] = json!([{"id": "u1", "type": "user"}]), "owners differs"),
            (|t| drop(t.as_object_mut().unwrap().remove("topicConfig")), "topicConfig would be cleared"),
        ];
        for (edit, why) in cases {
            let mut request = topic();
            edit(&mut request);
            assert_eq!(change("topic", &request, &stored()).as_deref(), Some(why), "{request}");
        }
    }

    #[test]
    fn pipelines_compare_their_tasks_by_name() {
        let request = json!({"name": "p", "service": "s", "sourceUrl": "u", "tasks": [{"name": "a", "taskType": "x"}, {"name": "b"}]});
        let stored = json!({"name": "p", "sourceUrl": "u", "tasks": [{"name": "b", "fullyQualifiedName": "s.p.b"}, {"name": "a", "taskType": "x", "description": "d"}]});
        assert_eq!(change("pipeline", &request, &stored), None);
        let fewer = json!({"name": "p", "sourceUrl": "u", "tasks": [{"name": "a", "taskType": "x"}]});
        assert_eq!(change("pipeline", &request, &fewer).as_deref(), Some("tasks differs"));
    }
}
