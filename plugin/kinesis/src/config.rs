//! The configuration the plugin accepts: the `source` block of an OpenMetadata workflow for
//! Kinesis, field for field as OpenMetadata 2.0 accepts it (same names, same defaults, unknown
//! fields rejected), plus a few optional plugin settings that a plain workflow leaves out.
//!
//! The JSON Schema of these types (`schema/kinesis-plugin-config.schema.json`) is what hosts
//! validate against and what UIs render forms from, so every field has a title and description.

use plugin_abi::PluginError;
use plugin_aws::budget::HasBudgetSettings as _;
use plugin_sdk::config::{default_true, some_false, some_true};
use plugin_sdk::source::{FilterOption, Source, SourceKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use plugin_aws::credentials::{AwsCredentials, Secret};
use plugin_sdk::config::{FilterPattern, SOURCE_CONFIG_PATH};

/// A Kinesis workflow's `source` block, parsed and checked.
pub type Settings = plugin_sdk::source::Settings<KinesisSource>;

/// What a Kinesis workflow's `source` block is.
pub struct KinesisSource;

impl SourceKind for KinesisSource {
    type Connection = KinesisConnection;
    type Pipeline = MessagingMetadata;
    const SOURCE_TYPE: &'static str = "kinesis";
    const TITLE: &'static str = "Kinesis source";
    const DESCRIPTION: &'static str =
        "The `source` block of an OpenMetadata ingestion workflow for Amazon Kinesis Data Streams.";
    const FILTER: FilterOption = FilterOption { option: "topicFilterPattern", noun: "stream" };

    fn filter_patterns(source: &Source<KinesisConnection, MessagingMetadata>) -> [Option<&FilterPattern>; 2] {
        [
            source.source_config.config.topic_filter_pattern.as_ref(),
            source.service_connection.config.topic_filter_pattern.as_ref(),
        ]
    }

    fn problems(source: &Source<KinesisConnection, MessagingMetadata>) -> Vec<PluginError> {
        problems(source)
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

/// Which sampled values are masked before a sample leaves the plugin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SampleDataMasking {
    /// Nothing but credentials is masked.
    #[default]
    None,
    /// The values of the fields classified `PII.Sensitive`.
    Sensitive,
    /// Every value.
    All,
}

impl SampleDataMasking {
    pub fn masking(self) -> pii::Masking {
        match self {
            SampleDataMasking::None => pii::Masking::None,
            SampleDataMasking::Sensitive => pii::Masking::Sensitive,
            SampleDataMasking::All => pii::Masking::All,
        }
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

    /// What classification and masking do for the run.
    pub fn classification(&self) -> crate::classify::Classification {
        crate::classify::Classification {
            enabled: self.enable_auto_classification,
            // "At least confidence%": a fraction rounds up.
            confidence: self.confidence.clamp(0.0, 100.0).ceil() as u8,
            masking: self.sample_data_masking.masking(),
        }
    }
}

/// Every problem of a configuration that deserialized: what the schema cannot express.
fn problems(source: &Source<KinesisConnection, MessagingMetadata>) -> Vec<PluginError> {
    let p = &source.source_config.config;
    let mut problems = plugin_aws::source::problems(&source.service_connection.config.aws_config, p.override_metadata);
    let ranges: [(&str, u64, u64, u64); 9] = [
        ("describeConcurrency", p.describe_concurrency.into(), 1, 256),
        ("sampleSize", p.sample_size.into(), 1, 1000),
        ("sampleLookbackSeconds", p.sample_lookback_seconds, 1, u64::MAX),
        ("sampleMaxCallsPerShard", p.sample_max_calls_per_shard.into(), 1, 10_000),
        ("sampleMaxBytesPerShard", p.sample_max_bytes_per_shard, 1024, 104_857_600),
        ("sampleMaxBytesPerStream", p.sample_max_bytes_per_stream, 1024, 1_073_741_824),
        ("sampleTopicBudgetSeconds", p.sample_topic_budget_seconds, 1, 3600),
        ("sampleMaxMessageBytes", p.sample_max_message_bytes.into(), 64, 10_485_760),
        ("sampleConcurrency", p.sample_concurrency.into(), 1, 256),
    ];
    problems.extend(p.budget_settings().problems());
    let mut mapped = std::collections::HashSet::new();
    for (i, m) in p.schema_registry_mapping.iter().enumerate() {
        let at = |field: &str| format!("{SOURCE_CONFIG_PATH}/schemaRegistryMapping/{i}/{field}");
        let stream_ok = !m.stream_name.is_empty()
            && m.stream_name.len() <= 128
            && m.stream_name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !stream_ok {
            problems.push(PluginError::config(
                at("streamName"),
                "must be a Kinesis stream name: 1 to 128 of a-z, A-Z, 0-9, _ . -",
            ));
        } else if !mapped.insert(m.stream_name.as_str()) {
            problems.push(PluginError::config(at("streamName"), format!("stream '{}' is mapped twice", m.stream_name)));
        }
        for (field, value) in [("registryName", &m.registry_name), ("schemaName", &m.schema_name)] {
            if value.trim().is_empty() || value.chars().count() > 255 {
                problems.push(PluginError::config(at(field), "must be 1 to 255 characters, not blank"));
            }
        }
    }
    if p.owner_tag_key.trim().is_empty() || p.owner_tag_key.chars().count() > 128 {
        problems.push(PluginError::config(
            format!("{SOURCE_CONFIG_PATH}/ownerTagKey"),
            "must be an AWS tag key: 1 to 128 characters, not blank",
        ));
    }
    if !(0.0..=100.0).contains(&p.confidence) {
        problems.push(PluginError::config(format!("{SOURCE_CONFIG_PATH}/confidence"), "must be 0 to 100 (percent)"));
    }
    // Classification and masking read the sample: without it they would be settings accepted
    // and ignored.
    if !p.generate_sample_data.unwrap_or(false) {
        if p.enable_auto_classification {
            problems.push(PluginError::config(
                format!("{SOURCE_CONFIG_PATH}/enableAutoClassification"),
                "needs generateSampleData: true (the fields are classified from the sampled messages)",
            ));
        }
        if p.sample_data_masking != SampleDataMasking::None {
            problems.push(PluginError::config(
                format!("{SOURCE_CONFIG_PATH}/sampleDataMasking"),
                "needs generateSampleData: true (it masks the sampled messages)",
            ));
        }
    }
    if p.sample_data_masking == SampleDataMasking::Sensitive && !p.enable_auto_classification {
        problems.push(PluginError::config(
            format!("{SOURCE_CONFIG_PATH}/sampleDataMasking"),
            "'sensitive' needs enableAutoClassification: true (it masks the fields classified PII.Sensitive)",
        ));
    }
    problems.extend(
        ranges
            .into_iter()
            .filter_map(|(field, value, min, max)| plugin_sdk::config::out_of_range(field, value, min, max)),
    );
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_aws::source::AwsSettings as _;
    use serde_json::json;

    fn minimal() -> serde_json::Value {
        json!({
            "type": "kinesis",
            "serviceName": "local_kinesis",
            "serviceConnection": {"config": {"type": "Kinesis", "awsConfig": {"awsRegion": "eu-west-1"}}},
            "sourceConfig": {"config": {"type": "MessagingMetadata", "generateSampleData": false}}
        })
    }

    fn parse_value(v: serde_json::Value) -> Result<Settings, PluginError> {
        Settings::parse(&v.to_string())
    }

    #[test]
    fn the_example_workflow_source_parses_with_openmetadata_defaults() {
        let s = parse_value(minimal()).unwrap();
        let aws = s.aws();
        assert_eq!(aws.assume_role_session_name.as_deref(), Some("OpenMetadataSession"));
        assert_eq!(aws.enabled, Some(false));
        assert_eq!(s.pipeline().mark_deleted_topics, Some(true));
        assert_eq!(s.pipeline().override_metadata, Some(false));
        assert_eq!(s.pipeline().generate_sample_data, Some(false));
        assert_eq!(s.pipeline().describe_concurrency, 8);
        assert_eq!(s.source.service_connection.config.supports_metadata_extraction, Some(true));
    }

    #[test]
    fn nulls_are_accepted_where_openmetadata_accepts_them() {
        let mut v = minimal();
        v["sourceConfig"]["config"]["generateSampleData"] = json!(null);
        v["serviceConnection"]["config"]["topicFilterPattern"] = json!(null);
        assert!(parse_value(v).is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_path() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["awsConfig"]["awsRegoin"] = json!("x");
        let e = parse_value(v).unwrap_err();
        assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/awsRegoin");
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }

    #[test]
    fn classification_settings_need_the_sample_and_a_share_in_percent() {
        let mut v = minimal();
        let c = &mut v["sourceConfig"]["config"];
        c["enableAutoClassification"] = json!(true);
        c["confidence"] = json!(120);
        c["sampleDataMasking"] = json!("all");
        let problems: Vec<(String, String)> = Settings::check_all(&v.to_string())
            .into_iter()
            .map(|p| (p.field.map(|f| f.to_string()).unwrap_or_default(), p.message.to_string()))
            .collect();
        let at = |path: &str| problems.iter().find(|(f, _)| f == path).map(|(_, m)| m.as_str());
        assert!(at("/sourceConfig/config/confidence").is_some_and(|m| m.contains("0 to 100")), "{problems:?}");
        let needs_sample = |m: &str| m.contains("needs generateSampleData: true");
        assert!(at("/sourceConfig/config/enableAutoClassification").is_some_and(needs_sample), "{problems:?}");
        assert!(at("/sourceConfig/config/sampleDataMasking").is_some_and(needs_sample), "{problems:?}");

        let mut v = minimal();
        let c = &mut v["sourceConfig"]["config"];
        c["generateSampleData"] = json!(true);
        c["sampleDataMasking"] = json!("sensitive");
        let problems = Settings::check_all(&v.to_string());
        assert!(
            problems.iter().any(|p| p.message.contains("'sensitive' needs enableAutoClassification")),
            "{problems:?}"
        );
        let c = &mut v["sourceConfig"]["config"];
        c["enableAutoClassification"] = json!(true);
        c["confidence"] = json!(90.5);
        let s = parse_value(v).unwrap();
        let classification = s.pipeline().classification();
        assert_eq!((classification.enabled, classification.confidence), (true, 91), "at least 90.5%: 91");
        assert_eq!(classification.masking, pii::Masking::Sensitive);
    }

    #[test]
    fn tag_and_registry_settings_are_checked_with_their_paths() {
        let mut v = minimal();
        let c = &mut v["sourceConfig"]["config"];
        c["ownerTagKey"] = json!("  ");
        c["schemaRegistryMapping"] = json!([
            {"streamName": "orders", "registryName": "shop", "schemaName": "orders"},
            {"streamName": "orders", "registryName": "shop", "schemaName": " "},
            {"streamName": "no spaces allowed", "registryName": "shop", "schemaName": "x"}
        ]);
        let problems: Vec<(String, String)> = Settings::check_all(&v.to_string())
            .into_iter()
            .map(|p| (p.field.map(|f| f.to_string()).unwrap_or_default(), p.message.to_string()))
            .collect();
        let at = |path: &str| problems.iter().find(|(f, _)| f == path).map(|(_, m)| m.as_str());
        assert!(at("/sourceConfig/config/ownerTagKey").is_some_and(|m| m.contains("not blank")), "{problems:?}");
        assert!(
            at("/sourceConfig/config/schemaRegistryMapping/1/streamName").is_some_and(|m| m.contains("mapped twice"))
        );
        assert!(at("/sourceConfig/config/schemaRegistryMapping/1/schemaName").is_some(), "{problems:?}");
        assert!(at("/sourceConfig/config/schemaRegistryMapping/2/streamName").is_some(), "{problems:?}");
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(!parse_value(minimal()).unwrap().pipeline().include_tags(), "tags are off unless asked for");
    }

    #[test]
    fn a_missing_region_names_the_field() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["awsConfig"] = json!({});
        let e = parse_value(v).unwrap_err();
        assert!(e.message.contains("awsRegion"), "{}", e.message);
        assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig");
    }

    #[test]
    fn an_availability_zone_is_not_a_region() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["awsConfig"]["awsRegion"] = json!("us-east-1a");
        let e = parse_value(v).unwrap_err();
        assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/awsRegion");
        assert!(e.message.contains("availability zone"), "{}", e.message);
        for ok in ["us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-3", "eu-isoe-west-1"] {
            assert!(plugin_aws::credentials::is_region(ok), "{ok}");
        }
        for bad in ["eu-west", "euwest1", "EU-WEST-1", "us-east-1a", "", "us--1"] {
            assert!(!plugin_aws::credentials::is_region(bad), "{bad}");
        }
    }

    #[test]
    fn a_role_arn_must_be_one() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["awsConfig"]["assumeRoleArn"] = json!("arn:aws:iam::123456789012:role/x");
        assert!(parse_value(v.clone()).is_ok());
        v["serviceConnection"]["config"]["awsConfig"]["assumeRoleArn"] = json!("my-role");
        let e = parse_value(v).unwrap_err();
        assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/assumeRoleArn");
        assert!(e.message.contains("not an IAM role ARN"), "{}", e.message);
    }

    #[test]
    fn a_secret_of_the_wrong_type_is_not_quoted() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = json!(918273645);
        let e = parse_value(v).unwrap_err();
        assert!(!e.message.contains("918273645"), "{}", e.message);
        assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/awsSecretAccessKey");
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["awsConfig"]["awsAccessKeyId"] = json!("AKIAEXAMPLE");
        v["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = json!("canary-secret-value");
        v["serviceConnection"]["config"]["awsConfig"]["awsSessionToken"] = json!("canary-token-value");
        let s = parse_value(v).unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("canary"), "{debug}");
        assert_eq!(s.secrets(), vec!["canary-secret-value", "canary-token-value"]);
    }

    #[test]
    fn a_bad_pattern_names_the_pattern() {
        let mut v = minimal();
        v["sourceConfig"]["config"]["topicFilterPattern"] = json!({"includes": ["ok", "(unclosed"]});
        let e = parse_value(v).unwrap_err();
        assert_eq!(e.field.unwrap().as_str(), "/sourceConfig/config/topicFilterPattern/includes/1");
    }

    #[test]
    fn the_connection_filter_is_the_default() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["topicFilterPattern"] = json!({"includes": ["orders"]});
        let s = parse_value(v.clone()).unwrap();
        assert!(s.filter.keeps("orders-eu").unwrap() && !s.filter.keeps("payments").unwrap());
        v["sourceConfig"]["config"]["topicFilterPattern"] = json!({"includes": ["pay"]});
        let s = parse_value(v).unwrap();
        assert!(!s.filter.keeps("orders-eu").unwrap() && s.filter.keeps("payments").unwrap());
    }

    /// `schema/kinesis-plugin-config.schema.json` is what the code generates.
    #[test]
    fn the_checked_in_config_schema_matches_the_code() {
        plugin_sdk::schema_file::assert_current(
            env!("CARGO_MANIFEST_DIR"),
            "schema/kinesis-plugin-config.schema.json",
            &Settings::schema(),
            "kinesis-plugin",
        );
    }

    #[test]
    fn the_schema_marks_secrets_and_titles_every_property_in_a_forms_order() {
        let schema = Settings::schema();
        let text = schema.to_string();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        let keys = |v: &serde_json::Value| v["properties"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&schema), ["type", "serviceName", "serviceConnection", "sourceConfig"]);
        assert_eq!(schema["properties"]["type"]["enum"], serde_json::json!(["kinesis"]));
        let connection = &schema["properties"]["serviceConnection"]["properties"]["config"];
        assert_eq!(keys(connection)[..2], ["type", "awsConfig"]);
        assert_eq!(connection["properties"]["type"]["enum"], serde_json::json!(["Kinesis"]));
        let aws_config = &connection["properties"]["awsConfig"];
        let aws_keys = keys(aws_config);
        let at = |k: &str| aws_keys.iter().position(|n| n == k).unwrap();
        assert!(at("awsRegion") < at("assumeRoleArn"), "{aws_keys:?}");
        let aws = &aws_config["properties"];
        assert_eq!(aws["awsSecretAccessKey"]["format"], "password");
        assert_eq!(aws["awsSecretAccessKey"]["writeOnly"], true);
        assert_eq!(aws["assumeRoleSessionName"]["default"], "OpenMetadataSession");
        assert_eq!(aws_config["dependencies"]["awsAccessKeyId"], serde_json::json!(["awsSecretAccessKey"]));
        fn walk(v: &serde_json::Value, at: &str) {
            if let Some(props) = v.get("properties").and_then(|p| p.as_object()) {
                for (name, p) in props {
                    assert!(p.get("title").is_some(), "{at}/{name} has no title");
                    assert!(p.get("description").is_some(), "{at}/{name} has no description");
                    walk(p, &format!("{at}/{name}"));
                }
            }
        }
        walk(&schema, "");
        for absent in ["$ref", "anyOf", "\"null\"", "uint32", "uint64", "double"] {
            assert!(!text.contains(absent), "{absent} is in the schema");
        }
        assert!(text.contains("additionalProperties"));
    }
}
