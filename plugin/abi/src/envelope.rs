//! The JSON side of records: listing statuses, lineage edges and the envelope's JSON Schema.
//!
//! `schema/record-envelope.schema.json` is generated from [`RecordEnvelope`]; it is the
//! versioned description of what record bodies hold.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version of the record bodies' format, bumped when a body changes incompatibly; plugins
/// report it in their manifest. 2: records name an entity type and FQN parts; listing statuses
/// are per entity type and scope; lineage edges.
pub const PAYLOAD_FORMAT_VERSION: &str = "2";

/// A record as JSON (the way hosts log or store it). The body depends on the kind; kinds and
/// entity types not listed here may come from plugins of later contract versions.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[schemars(title = "Record envelope", extend("x-payload-format-version" = PAYLOAD_FORMAT_VERSION))]
pub enum RecordEnvelope {
    /// An entity: the body is OpenMetadata's create request for its type (e.g. a
    /// CreateTopicRequest for `PUT /v1/topics`, a CreatePipelineRequest for `PUT /v1/pipelines`),
    /// valid against OpenMetadata's schema of that request.
    Entity {
        /// OpenMetadata's entity type, e.g. `topic`, `pipeline`.
        entity_type: String,
        /// The entity's name parts (service, then name), unquoted.
        fqn: Vec<String>,
        body: serde_json::Map<String, serde_json::Value>,
    },
    /// Sample data of the entity named by `entityType` + `fqn` (for topics, OpenMetadata's
    /// `topicSampleData.json`: `{"messages": [string, ...]}`); it follows that entity's record.
    SampleData { entity_type: String, fqn: Vec<String>, body: serde_json::Map<String, serde_json::Value> },
    /// A lineage edge; `entityType` + `fqn` name the entity it belongs to (the pipeline).
    Lineage { entity_type: String, fqn: Vec<String>, body: LineageEdge },
    /// How the listing of the entities of `entityType` in the scope `fqn` (the service) went.
    ListingStatus { entity_type: String, fqn: Vec<String>, body: ListingStatus },
    /// How far the run has got (for a progress display).
    Progress { entity_type: String, fqn: Vec<String>, body: Progress },
    /// Tags and owners, by name, of the entity named by `entityType` + `fqn`; it follows that
    /// entity's record (before its sample data). Since contract 2.1.
    Labels { entity_type: String, fqn: Vec<String>, body: Labels },
    /// Where the message schema of the entity named by `entityType` + `fqn` came from; it
    /// follows that entity's record. Since contract 2.2.
    SchemaOrigin { entity_type: String, fqn: Vec<String>, body: SchemaOrigin },
}

/// Where an entity's message schema came from, which decides how a host merges it with the
/// schema OpenMetadata already holds for the entity:
/// - `sample`: inferred from sampled messages. A sample says what it saw, not what is gone: the
///   stored fields stay, types only widen, new fields are added.
/// - `registry`: a schema registry's version. It is authoritative: a field it no longer has
///   leaves; the fields it keeps keep what people wrote about them.
///
/// An entity without this record (a plugin of contract 2.1) is taken as `registry`: its schema
/// is written as sent, with what people wrote kept on the fields it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaOrigin {
    pub origin: Origin,
}

/// See [`SchemaOrigin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Origin {
    Sample,
    Registry,
}

/// Tags and owners of an entity, by name, as the source knows them. The host makes sure each
/// tag exists (creating its classification and the tag when they do not: never changing or
/// deleting one that does), attaches them as `Automated` labels, and looks each owner up among
/// OpenMetadata's users, then its teams (never creating one), setting the first found as the
/// owner of an entity that has none yet. Unknown fields are accepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Labels")]
pub struct Labels {
    #[serde(default)]
    pub tags: Vec<TagRef>,
    /// Candidate owners' names, in the order to try them.
    #[serde(default)]
    pub owners: Vec<String>,
}

/// A tag by name: `classification.name` (e.g. an AWS tag key and its value).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TagRef {
    pub classification: String,
    pub name: String,
    /// The description of the classification, when the host creates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification_description: Option<String>,
    /// The description of the tag, when the host creates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl TagRef {
    /// The tag's FQN as OpenMetadata writes it (`Classification.Tag`, quoted where needed).
    pub fn fqn(&self) -> String {
        crate::fqn::build([self.classification.as_str(), self.name.as_str()])
    }
}

/// How far a run has got: objects listed so far (and whether the listing is done), described,
/// sampled. Sent now and then; a host may show it, and may ignore it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    pub listed: u64,
    /// True once every page of the listing was read: `listed` is then the total.
    pub listing_done: bool,
    /// Of those listed, dropped by the filter pattern.
    #[serde(default)]
    pub filtered: u64,
    pub described: u64,
    #[serde(default)]
    pub sampled: u64,
}

/// How the listing of one entity type in one scope went. A host may mark unseen entities of
/// that type and scope deleted only when `complete` is true, and must treat the `unresolved`
/// and `notYet` names as seen.
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
    /// Source objects the listing returned (e.g. streams).
    pub listed: u64,
    /// Source objects dropped by the filter pattern.
    pub filtered: u64,
    /// Entity records emitted.
    pub emitted: u64,
    /// SampleData records emitted.
    #[serde(default)]
    pub samples_emitted: u64,
    /// Lineage records emitted.
    #[serde(default)]
    pub lineage_emitted: u64,
    /// Names (the last FQN part) of objects that exist but whose details could not be read:
    /// kept out of the records, never to be treated as deleted.
    #[serde(default)]
    pub unresolved: Vec<String>,
    /// Names of objects that disappeared while the run read them.
    #[serde(default)]
    pub vanished: Vec<String>,
    /// Names of objects that exist but are not entities yet (e.g. a stream being created):
    /// a warning, not a failure; a host treats them as seen, never deleted.
    #[serde(default)]
    pub not_yet: Vec<String>,
    /// Warnings worth showing in a run's summary.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The source API calls the run made, by operation (e.g. `ListStreams`).
    #[serde(default)]
    pub api_calls: std::collections::BTreeMap<String, u64>,
}

/// A lineage edge between two entities named by type and FQN. The host looks each end up in
/// OpenMetadata (the first of its candidate FQNs that exists) and sends `PUT /v1/lineage` with
/// their ids; an end that does not exist is skipped and reported, never created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LineageEdge {
    pub from: EntityRef,
    pub to: EntityRef,
    /// The pipeline that carries the data (`lineageDetails.pipeline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<EntityRef>,
    /// `lineageDetails.description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `lineageDetails.source`: how the lineage was found, e.g. `PipelineLineage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// An entity named by type and FQN parts; several candidates when it may live in one of
/// several services (the first that exists is the one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityRef {
    /// OpenMetadata's entity type, e.g. `topic`, `container`, `table`.
    #[serde(rename = "type")]
    pub entity_type: String,
    /// Candidate FQNs, each as unquoted parts, in the order to try them.
    pub fqns: Vec<Vec<String>>,
}

impl EntityRef {
    /// The candidates as OpenMetadata writes FQNs.
    pub fn fqn_candidates(&self) -> Vec<String> {
        self.fqns.iter().map(|parts| crate::fqn::build(parts.iter().map(String::as_str))).collect()
    }
}

/// The envelope's JSON Schema, as checked in under `schema/`.
pub fn envelope_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RecordEnvelope)).expect("a schema is JSON")
}

/// Asserts that `schema/{file}` holds `generated`; writes it when `UPDATE_SCHEMA` is set.
#[cfg(test)]
pub(crate) fn check_schema_file(file: &str, generated: &serde_json::Value) {
    let path = format!("{}/../../schema/{file}", env!("CARGO_MANIFEST_DIR"));
    let generated = serde_json::to_string_pretty(generated).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "schema/{file} differs from the code; regenerate it with `UPDATE_SCHEMA=1 cargo test -p plugin-abi`"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `schema/record-envelope.schema.json` is what the code generates.
    #[test]
    fn the_checked_in_envelope_schema_matches_the_code() {
        check_schema_file("record-envelope.schema.json", &envelope_schema());
    }

    #[test]
    fn listing_status_round_trips_and_reads_newer_fields() {
        let s = ListingStatus { complete: true, listed: 3, ..Default::default() };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<ListingStatus>(&text).unwrap(), s);
        let newer = r#"{"complete":true,"listed":1,"filtered":0,"emitted":0,"fromTheFuture":1}"#;
        assert!(serde_json::from_str::<ListingStatus>(newer).unwrap().complete);
    }
}
