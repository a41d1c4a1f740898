//! How the stand-in applies a create-or-update (`PUT`) to an entity it holds, by OpenMetadata's
//! own rules (read in open-metadata/OpenMetadata: `EntityRepository.EntityUpdater`,
//! `TopicRepository.TopicUpdater`, `EntityUtil.schemaFieldMatch`), as an ingestion bot's PUT:
//! - a topic's schema fields are matched by name (case-insensitively) and data type, children
//!   only under a matched parent; a stored field without a match is deleted, and its tags (and
//!   its descendants') with it; a requested field without a match is added with the tags it
//!   carries; a retyped field is both (the server's carry-over never runs);
//! - a matched field keeps a stored description, display name and type display against a bot;
//!   its requested tags are merged with the stored ones;
//! - field tags live apart from the entity (tag usages by field FQN), shown only when a read
//!   asks for `fields=tags`;
//! - the entity's own tags merge, a stored description is kept, owners change only when named;
//! - every recorded change makes a version: minor (+0.1), or major (+1.0, the next whole
//!   number) when a field was deleted; a request that changes nothing makes none.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Keys a topic update records as changes (`TopicUpdater.entitySpecificUpdate`); a PUT that
/// lacks one sets it to null.
const TOPIC_RECORDED: [&str; 9] = [
    "maximumMessageSize",
    "minimumInSyncReplicas",
    "partitions",
    "replicationFactor",
    "retentionTime",
    "retentionSize",
    "topicConfig",
    "cleanupPolicies",
    "sourceUrl",
];

/// Field tags, by field FQN (the server's tag usages).
pub type FieldTags = BTreeMap<String, Vec<Value>>;

/// What an update did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Something was recorded: a new version.
    pub changed: bool,
    /// A schema field was deleted: a major version.
    pub major: bool,
}

/// The FQN of a field named `name` under `parent` (a topic's or a field's FQN).
pub fn field_fqn(parent: &str, name: &str) -> String {
    if name.contains('.') {
        format!("{parent}.\"{name}\"")
    } else {
        format!("{parent}.{name}")
    }
}

/// A new topic's schema fields: their tags taken into `tags`, the fields stored without them.
pub fn create_fields(fields: &mut [Value], parent: &str, tags: &mut FieldTags) {
    for field in fields {
        let fqn = field_fqn(parent, field["name"].as_str().unwrap_or_default());
        if let Some(labels) = field.as_object_mut().and_then(|f| f.remove("tags")) {
            let list = labels.as_array().cloned().unwrap_or_default();
            if !list.is_empty() {
                tags.insert(fqn.clone(), list);
            }
        }
        if let Some(children) = field.get_mut("children").and_then(Value::as_array_mut) {
            create_fields(children, &fqn, tags);
        }
    }
}

/// The stored fields with their tags, as a read with `fields=tags` shows them.
pub fn with_tags(fields: &mut [Value], parent: &str, tags: &FieldTags) {
    for field in fields {
        let fqn = field_fqn(parent, field["name"].as_str().unwrap_or_default());
        field["tags"] = Value::Array(tags.get(&fqn).cloned().unwrap_or_default());
        if let Some(children) = field.get_mut("children").and_then(Value::as_array_mut) {
            with_tags(children, &fqn, tags);
        }
    }
}

/// Applies `request` to `stored` (the entity's fields, updated in place). `collection` picks
/// the entity's own rules; `description` is the entity's stored description.
pub fn apply(
    collection: &str,
    fqn: &str,
    stored: &mut Map<String, Value>,
    description: &mut Option<String>,
    request: Map<String, Value>,
    field_tags: &mut FieldTags,
) -> Applied {
    let mut applied = Applied::default();
    if collection == "topics" {
        for key in TOPIC_RECORDED {
            let wanted = request.get(key).cloned().unwrap_or(Value::Null);
            if !same(stored.get(key).unwrap_or(&Value::Null), &wanted) {
                applied.changed = true;
            }
            if wanted.is_null() {
                stored.remove(key);
            } else {
                stored.insert(key.into(), wanted);
            }
        }
    }
    for (key, wanted) in request {
        match key.as_str() {
            "description" => {
                // A bot's PUT keeps a description that is there.
                if description.as_deref().is_none_or(str::is_empty) {
                    if let Some(text) = wanted.as_str().filter(|t| !t.is_empty()) {
                        *description = Some(text.to_string());
                        applied.changed = true;
                    }
                }
            }
            "tags" => {
                let tags = stored.entry("tags").or_insert_with(|| Value::Array(Vec::new()));
                if merge_tags(tags, &wanted) {
                    applied.changed = true;
                }
            }
            "owners" if wanted.as_array().is_none_or(Vec::is_empty) => {}
            "messageSchema" if collection == "topics" && !wanted.is_null() => {
                let mut wanted = wanted;
                let held = stored.get("messageSchema").cloned().unwrap_or(Value::Null);
                for part in ["schemaText", "schemaType"] {
                    if !same(&held[part], &wanted[part]) {
                        applied.changed = true;
                    }
                }
                let held_fields = held["schemaFields"].as_array().cloned().unwrap_or_default();
                let mut wanted_fields = wanted["schemaFields"].as_array().cloned().unwrap_or_default();
                update_fields(&held_fields, &mut wanted_fields, fqn, field_tags, &mut applied);
                wanted["schemaFields"] = Value::Array(wanted_fields);
                stored.insert(key, wanted);
            }
            _ if TOPIC_RECORDED.contains(&key.as_str()) && collection == "topics" => {}
            _ => {
                if !same(stored.get(&key).unwrap_or(&Value::Null), &wanted) {
                    applied.changed = true;
                }
                stored.insert(key, wanted);
            }
        }
    }
    applied
}

/// `updateSchemaFields`: `wanted` is left as the server stores it (without tags, with the
/// stored texts a bot may not replace).
fn update_fields(held: &[Value], wanted: &mut [Value], parent: &str, tags: &mut FieldTags, applied: &mut Applied) {
    let matches = |h: &Value, w: &Value| {
        let name = |f: &Value| f["name"].as_str().unwrap_or_default().to_ascii_lowercase();
        name(h) == name(w) && h["dataType"] == w["dataType"]
    };
    for h in held {
        if !wanted.iter().any(|w| matches(h, w)) {
            // Deleted: its tags, and its descendants', leave with it.
            let fqn = field_fqn(parent, h["name"].as_str().unwrap_or_default());
            tags.retain(|target, _| target != &fqn && !target.starts_with(&format!("{fqn}.")));
            applied.changed = true;
            applied.major = true;
        }
    }
    for w in wanted.iter_mut() {
        let fqn = field_fqn(parent, w["name"].as_str().unwrap_or_default());
        let Some(h) = held.iter().find(|h| matches(h, w)) else {
            // Added, with the tags it carries (its descendants' too).
            let mut one = [w.clone()];
            create_fields(&mut one, parent, tags);
            *w = one[0].take();
            applied.changed = true;
            continue;
        };
        for key in ["description", "displayName", "dataTypeDisplay"] {
            match h.get(key).and_then(Value::as_str).filter(|t| !t.is_empty()) {
                Some(kept) => w[key] = kept.into(),
                None => {
                    if w.get(key).and_then(Value::as_str).is_some_and(|t| !t.is_empty()) {
                        applied.changed = true;
                    }
                }
            }
        }
        if let Some(labels) = w.as_object_mut().and_then(|f| f.remove("tags")) {
            let mut held_tags = Value::Array(tags.get(&fqn).cloned().unwrap_or_default());
            if merge_tags(&mut held_tags, &labels) {
                applied.changed = true;
                tags.insert(fqn.clone(), held_tags.as_array().cloned().unwrap_or_default());
            }
        }
        match (h.get("children").and_then(Value::as_array), w.get_mut("children").and_then(Value::as_array_mut)) {
            (Some(hc), Some(wc)) => update_fields(hc, wc, &fqn, tags, applied),
            (_, Some(wc)) => create_fields(wc, &fqn, tags),
            _ => {}
        }
    }
}

/// Merges requested tag labels into `held` (a list) by tag FQN; true when one was added.
fn merge_tags(held: &mut Value, wanted: &Value) -> bool {
    let Some(list) = held.as_array_mut() else { return false };
    let mut added = false;
    for label in wanted.as_array().into_iter().flatten() {
        if !list.iter().any(|l| l["tagFQN"] == label["tagFQN"]) {
            list.push(label.clone());
            added = true;
        }
    }
    added
}

/// JSON equality with numbers by value, as the server compares its typed fields.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The next version: +0.1, or the next whole number for a major change.
pub fn next_version(version: f64, applied: &Applied) -> f64 {
    let next = if applied.major { version.floor() + 1.0 } else { version + 0.1 };
    (next * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn topic(fields: Value) -> Map<String, Value> {
        json!({"name": "t", "partitions": 1, "messageSchema": {"schemaType": "JSON", "schemaText": "x", "schemaFields": fields}})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn a_deleted_field_loses_its_tags_a_retyped_one_too_and_a_matched_one_keeps_its_texts() {
        let mut tags = FieldTags::new();
        let mut stored = topic(json!([
            {"name": "email", "dataType": "STRING", "tags": [{"tagFQN": "PII.Sensitive"}]},
            {"name": "price", "dataType": "INT", "description": "cents", "tags": [{"tagFQN": "T.a"}]},
            {"name": "id", "dataType": "INT", "description": "key"}
        ]));
        let mut fields = stored["messageSchema"]["schemaFields"].as_array().cloned().unwrap();
        create_fields(&mut fields, "s.t", &mut tags);
        stored["messageSchema"]["schemaFields"] = Value::Array(fields);
        assert_eq!(tags.len(), 2);
        let mut description = None;
        let request = topic(
            json!([{"name": "price", "dataType": "DOUBLE"}, {"name": "ID", "dataType": "INT", "description": "bot"}]),
        );
        let applied = apply("topics", "s.t", &mut stored, &mut description, request, &mut tags);
        assert!(applied.changed && applied.major);
        assert!(tags.is_empty(), "{tags:?}");
        let held = &stored["messageSchema"]["schemaFields"];
        assert_eq!(held[1]["description"], "key");
        assert!(held[0].get("description").is_none());
        assert_eq!(next_version(0.3, &applied), 1.0);
        // The same request again: nothing recorded.
        let request = topic(json!([{"name": "price", "dataType": "DOUBLE"}, {"name": "ID", "dataType": "INT"}]));
        let again = apply("topics", "s.t", &mut stored, &mut description, request, &mut tags);
        assert!(!again.changed, "{stored:?}");
    }
}
