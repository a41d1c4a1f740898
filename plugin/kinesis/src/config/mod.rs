//! The configuration the plugin accepts: the `source` block of an OpenMetadata workflow for
//! Kinesis, field for field as OpenMetadata 2.0 accepts it (same names, same defaults, unknown
//! fields rejected), plus a few optional plugin settings that a plain workflow leaves out.
//!
//! The JSON Schema of these types (`schema/kinesis-plugin-config.schema.json`) is what hosts
//! validate against and what UIs render forms from, so every field has a title and description.

use plugin_abi::PluginError;
use plugin_sdk::config::SOURCE_CONFIG_PATH;
use plugin_sdk::config::{default_true, some_false, some_true};
use plugin_sdk::form::{Field, Form};
use plugin_sdk::source::{FilterOption, Source, SourceKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use plugin_aws::credentials::{AwsCredentials, Secret};
use plugin_sdk::config::FilterPattern;

/// A Kinesis workflow's `source` block, parsed and checked.
pub type Settings = plugin_sdk::source::Settings<KinesisSource>;

/// What a Kinesis workflow's `source` block is.
pub struct KinesisSource;

/// The Kinesis settings in the config form: what to ingest, samples, tags and owners, the
/// registry, classification; then the tuning options (concurrency, sampling bounds, budget).
const FORM: Form = Form {
    first: &[(
        SOURCE_CONFIG_PATH,
        &[
            "type",
            "topicFilterPattern",
            "generateSampleData",
            "inferMessageSchema",
            "markDeletedTopics",
            "includeTags",
            "ownerTagKey",
            "schemaRegistryMapping",
            "enableAutoClassification",
            "sampleDataMasking",
        ],
    )],
    fields: &[
        Field {
            path: "/sourceConfig/config/ownerTagKey",
            expects: "a tag key that is not blank, such as owner or Team-Owner",
            example: None,
        },
        Field {
            path: "/sourceConfig/config/schemaRegistryMapping/items/streamName",
            expects: "a Kinesis stream name: letters, digits, '_', '.' and '-'",
            example: Some("orders"),
        },
        Field {
            path: "/sourceConfig/config/schemaRegistryMapping/items/registryName",
            expects: "a registry name that is not blank",
            example: None,
        },
        Field {
            path: "/sourceConfig/config/schemaRegistryMapping/items/schemaName",
            expects: "a schema name that is not blank",
            example: None,
        },
    ],
};

impl SourceKind for KinesisSource {
    type Connection = KinesisConnection;
    type Pipeline = MessagingMetadata;
    const SOURCE_TYPE: &'static str = "kinesis";
    const TITLE: &'static str = "Kinesis source";
    const DESCRIPTION: &'static str =
        "The `source` block of an OpenMetadata ingestion workflow for Amazon Kinesis Data Streams.";
    const FILTER: FilterOption = FilterOption { option: "topicFilterPattern", noun: "stream" };
    const FORM: &'static [&'static Form] = &[&plugin_aws::form::FORM, &FORM];

    fn filter_patterns(source: &Source<KinesisConnection, MessagingMetadata>) -> [Option<&FilterPattern>; 2] {
        [
            source.source_config.config.topic_filter_pattern.as_ref(),
            source.service_connection.config.topic_filter_pattern.as_ref(),
        ]
    }

    fn problems(source: &Source<KinesisConnection, MessagingMetadata>) -> Vec<PluginError> {
        problems::problems(source)
    }
}

plugin_aws::aws_connection!(KinesisConnection);

/// OpenMetadata's `KinesisConnection`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "KinesisConnection", description = "Kinesis Connection Config")]
pub struct KinesisConnection {
    /// Service Type
    #[serde(rename = "type", default = "kinesis_type")]
    #[schemars(title = "Service Type")]
    pub connection_type: Option<KinesisType>,
    /// AWS credentials and region.
    #[schemars(title = "AWS Credentials Configuration")]
    pub aws_config: AwsCredentials,
    /// Regex to only fetch topics that matches the pattern. Used when the pipeline's own
    /// `sourceConfig.config.topicFilterPattern` is not set.
    #[serde(default)]
    #[schemars(title = "Default Topic Filter Pattern")]
    pub topic_filter_pattern: Option<FilterPattern>,
    /// Supports Metadata Extraction.
    #[serde(default = "some_true")]
    #[schemars(title = "Supports Metadata Extraction")]
    pub supports_metadata_extraction: Option<bool>,
    /// Supports Profiler.
    #[serde(default = "some_true")]
    #[schemars(title = "Supports Profiler")]
    pub supports_profiler: Option<bool>,
}

/// The only connection type this plugin takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "KinesisType", description = "Service type.")]
pub enum KinesisType {
    Kinesis,
}

plugin_aws::pipeline_settings! {
/// OpenMetadata's `MessagingServiceMetadataPipeline`, plus the plugin's optional settings (and,
/// after them, the API budget settings of every AWS connector).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "MessagingServiceMetadataPipeline",
    description = "MessagingService Metadata Pipeline Configuration."
)]
pub struct MessagingMetadata {
    /// Pipeline type
    #[serde(rename = "type", default = "messaging_metadata_type")]
    #[schemars(title = "Pipeline Type")]
    pub pipeline_type: Option<MessagingMetadataConfigType>,
    /// Regex to only fetch topics that matches the pattern.
    #[serde(default)]
    #[schemars(title = "Topic Filter Pattern")]
    pub topic_filter_pattern: Option<FilterPattern>,
    /// Option to turn on/off generating sample data during metadata extraction.
    #[serde(default = "some_false")]
    #[schemars(title = "Generate Sample Data")]
    pub generate_sample_data: Option<bool>,
    /// Optional configuration to soft delete topics in OpenMetadata if the source topics are
    /// deleted. Also, if the topic is deleted, all the associated entities like sample data,
    /// lineage, etc., with that topic will be deleted
    #[serde(default = "some_true")]
    #[schemars(title = "Mark Deleted Topics")]
    pub mark_deleted_topics: Option<bool>,
    /// Whether metadata from the source overrides what people curated in OpenMetadata
    /// (description, tags, owners, display name). Only false is supported: runs keep what
    /// people curated (a run with true is refused).
    #[serde(default = "some_false")]
    #[schemars(title = "Override Metadata", extend("enum" = [false], "readOnly" = true))]
    pub override_metadata: Option<bool>,
    /// Plugin setting (not part of OpenMetadata's schema): bring each stream's AWS tags to its
    /// topic, as OpenMetadata tags (a classification per tag key, a tag per value, created when
    /// missing and attached as Automated labels), and its owner tag as the topic's owner. Read
    /// with the Resource Groups Tagging API (tag:GetResources, 100 streams a call), or, where
    /// that is not permitted, with ListTagsForStream (a call per stream, 5/s per account).
    #[serde(default = "some_false")]
    #[schemars(title = "Include Tags")]
    pub include_tags: Option<bool>,
    /// Plugin setting (not part of OpenMetadata's schema): the AWS tag key (any case) whose
    /// value names the topic's owner: a user, else a team, of that name in OpenMetadata (never
    /// created). It sets the owner only of a topic that has none; it is not made a tag.
    #[serde(default = "default_owner_tag_key")]
    #[schemars(title = "Owner Tag Key", length(min = 1, max = 128), regex(pattern = r"\S"))]
    pub owner_tag_key: String,
    /// Plugin setting (not part of OpenMetadata's schema): schemas of the AWS Glue Schema
    /// Registry named for streams whose records are not framed by its serializer. With sample
    /// data on, the latest version of each is read once a run (glue:GetSchemaVersion), decodes
    /// the stream's sampled messages (Avro to JSON) and is the topic's message schema. Framed
    /// records need no entry: they name their schema version, which is read the same way.
    #[serde(default)]
    #[schemars(title = "Schema Registry Mapping")]
    pub schema_registry_mapping: Vec<SchemaRegistryMapping>,
    /// Plugin setting (not part of OpenMetadata's schema): how many DescribeStreamSummary calls
    /// may be in flight at once.
    #[serde(default = "default_describe_concurrency")]
    #[schemars(title = "Describe Concurrency", range(min = 1, max = 256))]
    pub describe_concurrency: u32,
    /// Plugin setting (not part of OpenMetadata's schema): how many of the newest messages make
    /// a topic's sample, merged across its open shards.
    #[serde(default = "default_sample_size")]
    #[schemars(title = "Sample Size", range(min = 1, max = 1000))]
    pub sample_size: u32,
    /// Plugin setting (not part of OpenMetadata's schema): how far back, in seconds, reading a
    /// shard starts when looking for the newest messages. The window widens (×8) while it holds
    /// too few, up to the stream's retention, where reading starts at the oldest record.
    #[serde(default = "default_sample_lookback_seconds")]
    #[schemars(title = "Sample Look-back (seconds)", range(min = 1))]
    pub sample_lookback_seconds: u64,
    /// Plugin setting (not part of OpenMetadata's schema): the most GetRecords calls made on one
    /// shard for a sample (AWS allows 5 per second per shard; calls are spaced to stay below).
    #[serde(default = "default_sample_max_calls_per_shard")]
    #[schemars(title = "Sample Calls per Shard", range(min = 1, max = 10000))]
    pub sample_max_calls_per_shard: u32,
    /// Plugin setting (not part of OpenMetadata's schema): the most record bytes read from one
    /// shard for a sample. A shard serves 2 MB/s shared by all its consumers: a sample reads a
    /// little from near the tip, and stops here (keeping what it read, with a warning).
    #[serde(default = "default_sample_max_bytes_per_shard")]
    #[schemars(title = "Sample Bytes per Shard", range(min = 1024, max = 104857600))]
    pub sample_max_bytes_per_shard: u64,
    /// Plugin setting (not part of OpenMetadata's schema): the most bytes read from all the
    /// shards of one stream for its sample, so that a wide stream costs what a sample needs, not
    /// its shard count times the per-shard bound; a read stopped here keeps what it read, with a
    /// warning.
    #[serde(default = "default_sample_max_bytes_per_stream")]
    #[schemars(title = "Sample Bytes per Stream", range(min = 1024, max = 1073741824))]
    pub sample_max_bytes_per_stream: u64,
    /// Plugin setting (not part of OpenMetadata's schema): the most time, in seconds, spent
    /// reading one shard of a topic's sample, from when it gets its turn; a shard not read in
    /// time keeps what was read.
    #[serde(default = "default_sample_topic_budget_seconds")]
    #[schemars(title = "Sample Time per Topic (seconds)", range(min = 1, max = 3600))]
    pub sample_topic_budget_seconds: u64,
    /// Plugin setting (not part of OpenMetadata's schema): a sampled message longer than this
    /// many bytes is cut, with a note saying so.
    #[serde(default = "default_sample_max_message_bytes")]
    #[schemars(title = "Sample Message Size Limit (bytes)", range(min = 64, max = 10485760))]
    pub sample_max_message_bytes: u32,
    /// Plugin setting (not part of OpenMetadata's schema): how many shards are read at once for
    /// samples, across all the run's topics.
    #[serde(default = "default_sample_concurrency")]
    #[schemars(title = "Sample Concurrency", range(min = 1, max = 256))]
    pub sample_concurrency: u32,
    /// Plugin setting (not part of OpenMetadata's schema): when sample data is on and the
    /// sampled messages are JSON objects, infer their structure as the topic's message schema.
    #[serde(default = "default_true")]
    #[schemars(title = "Infer Message Schema")]
    pub infer_message_schema: bool,
    /// Named as OpenMetadata's messaging auto-classification names it: classify the fields of
    /// each topic's sampled messages (e-mail addresses, payment cards, IBANs, US SSNs, IP
    /// addresses, phone numbers, credentials) and suggest `PII.Sensitive` or `PII.NonSensitive`
    /// on them, as OpenMetadata's own classifier does; a field that holds a PII tag already is
    /// left alone. Needs sample data on.
    #[serde(default)]
    #[schemars(title = "Enable Auto Classification")]
    pub enable_auto_classification: bool,
    /// Named as OpenMetadata's: the share of a field's sampled values, in percent, that a
    /// detector must accept for the field to be tagged (a field name that suggests the kind
    /// lowers it by 20, to no less than 50).
    #[serde(default = "default_confidence")]
    #[schemars(title = "Auto Classification Confidence", range(min = 0, max = 100))]
    pub confidence: f64,
    /// Named as OpenMetadata's: which sampled values are masked before the sample leaves the
    /// plugin: `none`, `sensitive` (the values of fields classified `PII.Sensitive`), or `all`
    /// (every value; keys, nesting and value kinds are kept). Credentials found in a sample are
    /// masked whatever this says.
    #[serde(default)]
    #[schemars(title = "Sample Data Masking")]
    pub sample_data_masking: SampleDataMasking,
}

}

/// A schema of the AWS Glue Schema Registry named for a stream.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "Schema Registry Mapping", description = "A stream and the registry schema of its records.")]
pub struct SchemaRegistryMapping {
    /// The stream's name, as Kinesis has it.
    #[schemars(title = "Stream Name", length(min = 1, max = 128), regex(pattern = r"^[a-zA-Z0-9_.-]+$"))]
    pub stream_name: String,
    /// The registry's name.
    #[schemars(title = "Registry Name", length(min = 1, max = 255), regex(pattern = r"\S"))]
    pub registry_name: String,
    /// The schema's name in the registry (its latest version is used).
    #[schemars(title = "Schema Name", length(min = 1, max = 255), regex(pattern = r"\S"))]
    pub schema_name: String,
}

/// The only pipeline type this plugin takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "MessagingMetadataConfigType", description = "Messaging Source Config Metadata Pipeline type")]
pub enum MessagingMetadataConfigType {
    MessagingMetadata,
}

fn kinesis_type() -> Option<KinesisType> {
    Some(KinesisType::Kinesis)
}
fn messaging_metadata_type() -> Option<MessagingMetadataConfigType> {
    Some(MessagingMetadataConfigType::MessagingMetadata)
}
fn default_owner_tag_key() -> String {
    "owner".into()
}
fn default_describe_concurrency() -> u32 {
    8
}
fn default_sample_size() -> u32 {
    50
}
fn default_sample_lookback_seconds() -> u64 {
    600
}
fn default_sample_max_calls_per_shard() -> u32 {
    25
}
fn default_sample_topic_budget_seconds() -> u64 {
    30
}
fn default_sample_max_bytes_per_shard() -> u64 {
    1024 * 1024
}
fn default_sample_max_bytes_per_stream() -> u64 {
    8 * 1024 * 1024
}
fn default_sample_max_message_bytes() -> u32 {
    64 * 1024
}
fn default_sample_concurrency() -> u32 {
    32
}
fn default_confidence() -> f64 {
    80.0
}

impl MessagingMetadata {
    /// Whether AWS tags are brought to topics (off unless asked for).
    pub fn include_tags(&self) -> bool {
        self.include_tags.unwrap_or(false)
    }
}

mod classification;
mod problems;

pub use classification::SampleDataMasking;

#[cfg(test)]
mod tests;
