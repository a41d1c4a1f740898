//! Records, and the stream a run yields them through.
//!
//! A record's kind and entity type cross the boundary as strings, not as enums: a host meeting
//! a kind or an entity type it does not know skips that record with a warning, so plugins can
//! start yielding new kinds (tags, tables, containers…) without a new major contract. (abi_stable
//! refuses an exhaustive enum with an extra variant, and its `NonExhaustive` enums refuse a host
//! that knows *more* variants than the plugin: strings are the only way both directions work.)

#![allow(non_local_definitions)] // emitted by #[sabi_trait]

use abi_stable::{
    sabi_trait,
    std_types::{RBox, ROption, RResult, RString, RVec},
    StableAbi,
};

use crate::PluginError;

/// The kinds of record this contract version defines, as Rust sees them. On the wire a kind is
/// its [`RecordKind::as_str`] text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The body is OpenMetadata's create request for an entity of the record's entity type
    /// (e.g. a CreateTopicRequest, `PUT /v1/topics`); `fqn` is the entity's name parts.
    Entity,
    /// The body is the sample data of the entity named by `entity_type` + `fqn` (e.g.
    /// `{"messages": [...]}`); it directly follows that entity's `Entity` record.
    SampleData,
    /// The body is a [`crate::envelope::LineageEdge`] between entities named by type and FQN; the
    /// host resolves the FQNs to ids. `entity_type` + `fqn` name the entity the edge belongs to
    /// (e.g. the pipeline that carries the data).
    Lineage,
    /// The body is a [`crate::envelope::ListingStatus`]: how the listing of the entities of
    /// `entity_type` in the scope `fqn` (e.g. the service's name) went. A host marks unseen
    /// entities of that type and scope deleted only after a complete one.
    ListingStatus,
    /// The body is a [`crate::envelope::Progress`]: how far the run has got, for a progress
    /// display; a host may ignore it.
    Progress,
    /// The body is [`crate::envelope::Labels`]: tags and owners, by name, of the entity named
    /// by `entity_type` + `fqn`; it directly follows that entity's `Entity` record (before its
    /// sample data). Since 2.1: a 2.0 host skips it, and writes the entity without them.
    Labels,
    /// The body is a [`crate::envelope::SchemaOrigin`]: where the message schema of the entity
    /// named by `entity_type` + `fqn` came from (a sample, or a schema registry), which tells a
    /// host how to merge it with the schema OpenMetadata holds; it directly follows that
    /// entity's `Entity` record. Since 2.2: a 2.1 host skips it, and writes the schema as sent.
    SchemaOrigin,
}

impl RecordKind {
    pub const ALL: [RecordKind; 7] = [
        RecordKind::Entity,
        RecordKind::SampleData,
        RecordKind::Lineage,
        RecordKind::ListingStatus,
        RecordKind::Progress,
        RecordKind::Labels,
        RecordKind::SchemaOrigin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Entity => "entity",
            RecordKind::SampleData => "sampleData",
            RecordKind::Lineage => "lineage",
            RecordKind::ListingStatus => "listingStatus",
            RecordKind::Progress => "progress",
            RecordKind::Labels => "labels",
            RecordKind::SchemaOrigin => "schemaOrigin",
        }
    }

    /// The kind a wire string names; `None` for a kind of a later contract version.
    pub fn parse(kind: &str) -> Option<RecordKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }
}

/// OpenMetadata's entity types that records of this contract version name. Any other string is
/// allowed: hosts skip types they cannot write.
pub mod entity_type {
    pub const TOPIC: &str = "topic";
    pub const PIPELINE: &str = "pipeline";
    pub const CONTAINER: &str = "container";
    pub const TABLE: &str = "table";
}

/// One record: what it is (`kind`), which OpenMetadata entity it is about (`entity_type`, and
/// the parts of its fully qualified name, e.g. `["kinesis_prod", "orders.v1"]`, unquoted) and
/// its JSON `body`.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct Record {
    /// A [`RecordKind`] as text, or a kind of a later contract version.
    pub kind: RString,
    /// OpenMetadata's entity type, e.g. `topic` (see [`entity_type`]).
    pub entity_type: RString,
    /// The entity's name parts, unquoted; [`crate::fqn::build`] joins them.
    pub fqn: RVec<RString>,
    /// JSON; what it holds depends on the kind.
    pub body: RString,
}

impl Record {
    pub fn new(kind: RecordKind, entity_type: &str, fqn: &[&str], body: &impl serde::Serialize) -> Record {
        Record {
            kind: kind.as_str().into(),
            entity_type: entity_type.into(),
            fqn: fqn.iter().map(|p| RString::from(*p)).collect(),
            body: serde_json::to_string(body).expect("record bodies serialise").into(),
        }
    }

    /// The kind, when this contract version knows it.
    pub fn known_kind(&self) -> Option<RecordKind> {
        RecordKind::parse(self.kind.as_str())
    }

    /// The name parts as `&str`s.
    pub fn fqn_parts(&self) -> Vec<&str> {
        self.fqn.iter().map(RString::as_str).collect()
    }

    /// The fully qualified name, quoted as OpenMetadata writes it.
    pub fn fqn(&self) -> String {
        crate::fqn::build(self.fqn.iter().map(RString::as_str))
    }
}

/// The records of one run, pulled one at a time by the host.
///
/// `next` blocks until a record is ready and returns `ROk(RSome(record))`, `ROk(RNone)` at the
/// end, or `RErr(error)` when the run failed; after an error the stream is ended. Dropping the
/// stream cancels the run's remaining work.
#[allow(non_local_definitions)]
#[sabi_trait]
pub trait RecordStream: Send {
    #[sabi(last_prefix_field)]
    fn next(&mut self) -> RResult<ROption<Record>, PluginError>;
}

/// The owned, type-erased record stream that crosses the boundary.
pub type RecordStreamBox = RecordStream_TO<'static, RBox<()>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_none() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(RecordKind::parse("tagLabel"), None);
    }

    #[test]
    fn a_record_quotes_its_fqn() {
        let r = Record::new(RecordKind::Entity, entity_type::TOPIC, &["svc", "orders.v1"], &serde_json::json!({}));
        assert_eq!(r.fqn(), "svc.\"orders.v1\"");
        assert_eq!(r.known_kind(), Some(RecordKind::Entity));
        assert_eq!(r.body.as_str(), "{}");
    }
}
