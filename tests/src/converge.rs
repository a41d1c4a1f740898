//! The convergence scenario both hosts are tested with: one stream whose records change shape
//! between runs, and three fields people describe and tag in OpenMetadata in between.

use serde_json::{json, Value};

use crate::openmetadata::StandIn;

/// A JSON record of the stream's first shape (`old`: `{id, email, price: 10, meta: {a}}`) or
/// its second (`{id, price: 10.5, coupon, meta: {b}}`).
pub fn shaped(old: bool, i: usize) -> String {
    if old {
        json!({"id": i, "email": format!("u{i}@example.com"), "price": 10, "meta": {"a": "x"}}).to_string()
    } else {
        json!({"id": i, "price": 10.5, "coupon": "C1", "meta": {"b": true}}).to_string()
    }
}

/// Puts `n` records of a shape into `stream`.
pub async fn put_shaped(client: &aws_sdk_kinesis::Client, stream: &str, old: bool, n: usize) {
    for i in 0..n {
        let data = aws_sdk_kinesis::primitives::Blob::new(shaped(old, i));
        client.put_record().stream_name(stream).partition_key("k").data(data).send().await.unwrap();
    }
}

/// What people write about the topic's fields after the first run: (path, description, tag).
pub const CURATED: [(&[&str], &str, &str); 3] = [
    (&["email"], "Who ordered", "PII.Sensitive"),
    (&["price"], "In euros", "Tier.Tier1"),
    (&["meta", "a"], "Free text", "PII.NonSensitive"),
];

/// People describe and tag [`CURATED`] in OpenMetadata.
pub fn curate(om: &StandIn, topic: &str) {
    for (path, description, tag) in CURATED {
        om.curate_field(topic, path, description, tag);
    }
}

/// Every curated field is still there, described and tagged as people left it.
pub fn assert_curation_kept(om: &StandIn, topic: &str) {
    let state = om.state.lock().unwrap();
    for (path, description, tag) in CURATED {
        let f = state.field(topic, path).unwrap_or_else(|| panic!("{path:?} was dropped"));
        assert_eq!(f["description"], description, "{path:?}: {f}");
        assert!(f["tags"].as_array().unwrap().iter().any(|t| t["tagFQN"] == tag), "{path:?}: {f}");
    }
}

/// The topic's field names, top level, in the stored order.
pub fn field_names(om: &StandIn, topic: &str) -> Vec<String> {
    let state = om.state.lock().unwrap();
    let fields: Value = state.topic(topic).unwrap().fields["messageSchema"]["schemaFields"].clone();
    fields.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
}

/// Topic writes the server took: `PUT /v1/topics` and its `/bulk`.
pub fn topic_writes(om: &StandIn) -> usize {
    let state = om.state.lock().unwrap();
    state
        .calls
        .iter()
        .filter(|(m, p)| m == "PUT" && (p == "/api/v1/topics" || p.starts_with("/api/v1/topics/bulk")))
        .count()
}
