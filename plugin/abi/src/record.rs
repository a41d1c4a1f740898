//! Records, and the stream a run yields them through.

#![allow(non_local_definitions)] // emitted by #[sabi_trait]

use abi_stable::{
    sabi_trait,
    std_types::{RBox, ROption, RResult, RString},
    StableAbi,
};

use crate::PluginError;

/// What a record's payload is.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// An OpenMetadata CreateTopicRequest (`PUT /v1/topics`).
    Topic,
    /// An OpenMetadata TopicSampleData (`PUT /v1/topics/{id}/sampleData`) for the topic named in
    /// the record; it always follows that topic's `Topic` record.
    TopicSampleData,
    /// The last record of a run: an [`crate::envelope::ListingStatus`], saying whether the listing
    /// was complete (a host must not delete anything unseen after an incomplete one).
    ListingStatus,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Topic => "Topic",
            RecordKind::TopicSampleData => "TopicSampleData",
            RecordKind::ListingStatus => "ListingStatus",
        }
    }
}

/// One record: its kind, the name of the entity it is about (a stream name for topics and
/// samples, empty for a listing status) and its JSON payload.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: RecordKind,
    pub entity: RString,
    pub payload: RString,
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
