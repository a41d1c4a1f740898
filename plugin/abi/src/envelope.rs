//! The JSON side of records: the listing status payload and the envelope's JSON Schema.
//!
//! `schema/record-envelope.schema.json` is generated from [`RecordEnvelope`]; it is the
//! versioned description of what record payloads hold.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the record payload format, bumped when a payload changes incompatibly.
pub const PAYLOAD_FORMAT_VERSION: &str = "1";

/// A record as JSON (the way hosts log or store it). The payload depends on the kind.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all_fields = "camelCase")]
#[schemars(title = "Record envelope", extend("x-payload-format-version" = PAYLOAD_FORMAT_VERSION))]
pub enum RecordEnvelope {
    /// A topic: the payload is an OpenMetadata CreateTopicRequest (`PUT /v1/topics`), valid
    /// against OpenMetadata's `createTopic.json`.
    Topic {
        /// The stream's name.
        entity: String,
        /// The CreateTopicRequest.
        payload: serde_json::Map<String, serde_json::Value>,
    },
    /// Sample messages of the topic named by `entity` (OpenMetadata's `topicSampleData.json`);
    /// it follows that topic's Topic record.
    TopicSampleData {
        /// The stream's name.
        entity: String,
        /// `{"messages": [string, ...]}`.
        payload: serde_json::Map<String, serde_json::Value>,
    },
    /// The last record of a run.
    ListingStatus {
        /// Always empty.
        entity: String,
        payload: ListingStatus,
    },
}

/// How the listing of a run went. A host may mark unseen topics deleted only when `complete`
/// is true, and must treat the `unresolved` names as seen.
// Unknown fields are accepted, so that hosts of today read the statuses of newer plugins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Listing status")]
pub struct ListingStatus {
    /// True when every page of the listing was read and the run was not cut short.
    pub complete: bool,
    /// Why the listing is not complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Streams the listing returned.
    pub streams_listed: u64,
    /// Streams dropped by the topic filter.
    pub streams_filtered: u64,
    /// Topic records emitted.
    pub topics_emitted: u64,
    /// TopicSampleData records emitted.
    #[serde(default)]
    pub samples_emitted: u64,
    /// Streams that exist but whose details could not be read (kept out of the topic records,
    /// never to be treated as deleted).
    #[serde(default)]
    pub unresolved: Vec<String>,
    /// Streams that disappeared while the run read them.
    #[serde(default)]
    pub vanished: Vec<String>,
    /// Streams that exist but are not topics yet (being created, no open shard): a warning,
    /// not a failure; a host treats them as seen, never deleted.
    #[serde(default)]
    pub not_yet_topics: Vec<String>,
    /// Warnings worth showing in a run's summary.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The source API calls the run made, by operation (e.g. `ListStreams`).
    #[serde(default)]
    pub api_calls: std::collections::BTreeMap<String, u64>,
}

/// The envelope's JSON Schema, as checked in under `schema/`.
pub fn envelope_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RecordEnvelope)).expect("a schema is JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `schema/record-envelope.schema.json` is what the code generates.
    #[test]
    fn the_checked_in_envelope_schema_matches_the_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schema/record-envelope.schema.json");
        let generated = serde_json::to_string_pretty(&envelope_schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "schema/record-envelope.schema.json differs from the code; regenerate it with `UPDATE_SCHEMA=1 cargo test -p plugin-abi`"
        );
    }

    #[test]
    fn listing_status_round_trips_and_reads_newer_fields() {
        let s = ListingStatus { complete: true, streams_listed: 3, ..Default::default() };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<ListingStatus>(&text).unwrap(), s);
        let newer = r#"{"complete":true,"streamsListed":1,"streamsFiltered":0,"topicsEmitted":0,"fromTheFuture":1}"#;
        assert!(serde_json::from_str::<ListingStatus>(newer).unwrap().complete);
    }
}
