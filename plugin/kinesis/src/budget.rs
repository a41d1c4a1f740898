//! The Kinesis side of the run's API budget (the mechanism is `plugin_aws::budget`): the
//! operations the plugin calls and AWS's published Kinesis limits.
//!
//! Published limits: ListStreams 5/s per account, DescribeStreamSummary 20/s per account,
//! ListShards 1000/s per stream, GetShardIterator and GetRecords 5/s per shard, and reads of
//! 2 MB/s per shard, shared by every consumer of the shard; ListTagsForStream 5/s per account.
//! The Resource Groups Tagging API publishes no per-account rate for GetResources; it is paced
//! as ListTagsForStream is, which is still 100 streams for each of its calls.

pub use plugin_aws::budget::{Budget, Pacer, ShardPacer};

use plugin_aws::budget::HasBudgetSettings as _;

use crate::config::MessagingMetadata;

pub const LIST_STREAMS_PER_SECOND: f64 = 5.0;
pub const DESCRIBE_STREAM_SUMMARY_PER_SECOND: f64 = 20.0;
pub const LIST_SHARDS_PER_SECOND_PER_STREAM: f64 = 1000.0;
pub const SHARD_READS_PER_SECOND_PER_SHARD: f64 = 5.0;
pub const SHARD_READ_BYTES_PER_SECOND: f64 = 2_000_000.0;
pub const LIST_TAGS_FOR_STREAM_PER_SECOND: f64 = 5.0;
pub const GET_RESOURCES_PER_SECOND: f64 = 5.0;
/// Glue publishes no rate for GetSchemaVersion either; a run makes one per schema version.
pub const GET_SCHEMA_VERSION_PER_SECOND: f64 = 10.0;

/// The Kinesis operations a run calls, each under its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    ListStreams,
    DescribeStreamSummary,
    /// Per stream at 1000/s, far above one call per stream: only the overall cap applies.
    ListShards,
    /// Per shard: paced by the shard's own [`Pacer`] (see [`Budget::shard_pacer`]).
    GetShardIterator,
    /// Per shard, as GetShardIterator.
    GetRecords,
    /// Tags of one stream.
    ListTagsForStream,
    /// The Resource Groups Tagging API: tags of 100 streams a page.
    GetResources,
    /// The Glue Schema Registry: one schema version.
    GetSchemaVersion,
}

impl Api {
    pub const ALL: [Api; 8] = [
        Api::ListStreams,
        Api::DescribeStreamSummary,
        Api::ListShards,
        Api::GetShardIterator,
        Api::GetRecords,
        Api::ListTagsForStream,
        Api::GetResources,
        Api::GetSchemaVersion,
    ];
}

impl plugin_aws::budget::Api for Api {
    fn name(self) -> &'static str {
        match self {
            Api::ListStreams => "ListStreams",
            Api::DescribeStreamSummary => "DescribeStreamSummary",
            Api::ListShards => "ListShards",
            Api::GetShardIterator => "GetShardIterator",
            Api::GetRecords => "GetRecords",
            Api::ListTagsForStream => "ListTagsForStream",
            Api::GetResources => "GetResources",
            Api::GetSchemaVersion => "GetSchemaVersion",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn per_second(self) -> Option<f64> {
        match self {
            Api::ListStreams => Some(LIST_STREAMS_PER_SECOND),
            Api::DescribeStreamSummary => Some(DESCRIBE_STREAM_SUMMARY_PER_SECOND),
            Api::ListTagsForStream => Some(LIST_TAGS_FOR_STREAM_PER_SECOND),
            Api::GetResources => Some(GET_RESOURCES_PER_SECOND),
            Api::GetSchemaVersion => Some(GET_SCHEMA_VERSION_PER_SECOND),
            // Per stream, far above one call per stream; per shard, paced by each shard's pacer.
            Api::ListShards | Api::GetShardIterator | Api::GetRecords => None,
        }
    }
}

/// The run's budget, as its settings ask (see [`Budget::configured`]).
pub fn from_config(p: &MessagingMetadata) -> Budget {
    Budget::configured(&Api::ALL, p.budget_settings())
}

/// A pacer for the GetShardIterator and GetRecords calls of one shard.
pub fn shard_pacer(budget: &Budget) -> ShardPacer {
    budget.shard_pacer(SHARD_READS_PER_SECOND_PER_SHARD, SHARD_READ_BYTES_PER_SECOND)
}
