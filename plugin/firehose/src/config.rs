//! The configuration the plugin accepts: the `source` block of an OpenMetadata workflow for
//! KinesisFirehose, field for field as OpenMetadata 2.0 accepts it
//! (`kinesisFirehoseConnection.json`, `pipelineServiceMetadataPipeline.json`: same names, same
//! defaults, unknown fields rejected), plus the API budget settings the Kinesis plugin has too.
//!
//! The JSON Schema of these types (`schema/firehose-plugin-config.schema.json`) is what hosts
//! validate against and what UIs render forms from.

use plugin_abi::PluginError;
use plugin_sdk::form::Form;
use plugin_sdk::pipeline_settings::PipelineServiceMetadata as _;
use plugin_sdk::source::{FilterOption, Source, SourceKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use plugin_aws::credentials::AwsCredentials;
use plugin_sdk::config::FilterPattern;

/// A KinesisFirehose workflow's `source` block, parsed and checked.
pub type Settings = plugin_sdk::source::Settings<FirehoseSource>;

/// What a KinesisFirehose workflow's `source` block is.
pub struct FirehoseSource;

impl SourceKind for FirehoseSource {
    type Connection = KinesisFirehoseConnection;
    type Pipeline = PipelineMetadata;
    const SOURCE_TYPE: &'static str = "kinesisfirehose";
    const TITLE: &'static str = "Kinesis Firehose source";
    const DESCRIPTION: &'static str =
        "The `source` block of an OpenMetadata ingestion workflow for Amazon Data Firehose delivery streams.";
    // The pipeline's own filter wins; the connection's "default" filter applies when it has none.
    const FILTER: FilterOption = FilterOption { option: "pipelineFilterPattern", noun: "delivery stream" };
    const FORM: &'static [&'static Form] = &[&plugin_aws::form::FORM, &plugin_sdk::pipeline_settings::FORM];

    fn filter_patterns(source: &Source<KinesisFirehoseConnection, PipelineMetadata>) -> [Option<&FilterPattern>; 2] {
        plugin_sdk::pipeline_settings::filter_patterns(source)
    }

    fn problems(source: &Source<KinesisFirehoseConnection, PipelineMetadata>) -> Vec<PluginError> {
        problems(&source.service_connection.config, &source.source_config.config)
    }
}

plugin_aws::aws_connection!(KinesisFirehoseConnection);

plugin_sdk::pipeline_connection! {
    /// OpenMetadata's `KinesisFirehoseConnection`.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[schemars(title = "KinesisFirehoseConnection", description = "Kinesis Firehose Connection Config")]
    pub struct KinesisFirehoseConnection {
        /// Service Type
        #[serde(rename = "type", default = "firehose_type")]
        #[schemars(title = "Service Type")]
        pub connection_type: Option<KinesisFirehoseType>,
        /// AWS credentials and region.
        #[schemars(title = "AWS Credentials Configuration")]
        pub aws_config: AwsCredentials,
    }
}

/// The only connection type this plugin takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "KinesisFirehoseType", description = "Service type.")]
pub enum KinesisFirehoseType {
    KinesisFirehose,
}

plugin_sdk::pipeline_service_metadata! {
plugin_aws::pipeline_settings! {
/// OpenMetadata's `PipelineServiceMetadataPipeline` (every option it writes), plus the plugin's
/// optional settings (and, after them, the API budget settings of every AWS connector).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "PipelineServiceMetadataPipeline", description = "PipelineService Metadata Pipeline Configuration.")]
pub struct PipelineMetadata {
    /// Plugin setting (not part of OpenMetadata's schema): how many DescribeDeliveryStream calls
    /// may be in flight at once.
    #[serde(default = "default_describe_concurrency")]
    #[schemars(title = "Describe Concurrency", range(min = 1, max = 256))]
    pub describe_concurrency: u32,
}
}
}

fn firehose_type() -> Option<KinesisFirehoseType> {
    Some(KinesisFirehoseType::KinesisFirehose)
}
fn default_describe_concurrency() -> u32 {
    8
}

/// Where a delivery stream's lineage ends are looked up, from the connection's
/// `messagingServiceName` and the pipeline's `lineageInformation`.
pub use plugin_sdk::pipeline_settings::lineage_services;

/// Every problem of a configuration that deserialized: what the schema cannot express.
fn problems(connection: &KinesisFirehoseConnection, p: &PipelineMetadata) -> Vec<PluginError> {
    let mut problems = plugin_aws::source::problems(&connection.aws_config, p.problems(), p);
    problems.extend(plugin_sdk::config::out_of_range("describeConcurrency", p.describe_concurrency.into(), 1, 256));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> serde_json::Value {
        json!({
            "type": "kinesisfirehose",
            "serviceName": "aws_firehose_production",
            "serviceConnection": {"config": {"type": "KinesisFirehose", "awsConfig": {"awsRegion": "us-east-1"}}},
            "sourceConfig": {"config": {"type": "PipelineMetadata"}}
        })
    }

    #[test]
    fn the_example_workflow_source_parses_with_openmetadata_defaults() {
        let s = Settings::parse(&minimal().to_string()).unwrap();
        assert!(s.pipeline().include_lineage());
        assert!(lineage_services(&s).messaging.is_empty());
        assert_eq!(s.pipeline().mark_deleted_pipelines, Some(true));
        assert_eq!(s.pipeline().status_lookback_days, Some(1));
        assert!(s.filter.keeps("anything").unwrap());
    }

    #[test]
    fn lineage_services_come_from_the_connection_then_lineage_information_each_once() {
        let mut v = minimal();
        v["serviceConnection"]["config"]["messagingServiceName"] = json!("kinesis_prod");
        v["sourceConfig"]["config"]["lineageInformation"] = json!({
            "messagingServiceNames": ["kinesis_dev", "kinesis_prod", " "],
            "storageServiceNames": ["s3_prod"],
            "dbServiceNames": ["redshift_prod"]
        });
        let s = Settings::parse(&v.to_string()).unwrap();
        let services = lineage_services(&s);
        assert_eq!(services.messaging, ["kinesis_prod", "kinesis_dev"]);
        assert_eq!(services.storage, ["s3_prod"]);
        assert_eq!(services.database, ["redshift_prod"]);
    }

    #[test]
    fn every_problem_is_named_by_its_path() {
        let mut v = minimal();
        v["type"] = json!("kinesis");
        v["serviceConnection"]["config"]["awsConfig"]["awsRegion"] = json!("us-east-1a");
        v["sourceConfig"]["config"]["pipelineFilterPattern"] = json!({"includes": ["("]});
        v["sourceConfig"]["config"]["describeConcurrency"] = json!(0);
        v["sourceConfig"]["config"]["overrideMetadata"] = json!(true);
        v["sourceConfig"]["config"]["includeTags"] = json!(true);
        let paths: Vec<String> =
            Settings::check_all(&v.to_string()).into_iter().map(|e| e.field.unwrap().to_string()).collect();
        assert_eq!(
            paths,
            [
                "/type",
                "/serviceConnection/config/awsConfig/awsRegion",
                "/sourceConfig/config/overrideMetadata",
                "/sourceConfig/config/includeTags",
                "/sourceConfig/config/describeConcurrency",
                "/sourceConfig/config/pipelineFilterPattern/includes/0"
            ]
        );
    }

    #[test]
    fn unknown_fields_are_rejected_and_secrets_never_shown() {
        let mut v = minimal();
        v["sourceConfig"]["config"]["includeLineages"] = json!(true);
        let e = Settings::parse(&v.to_string()).unwrap_err();
        assert_eq!(e.field.unwrap().as_str(), "/sourceConfig/config/includeLineages");
        let mut v = minimal();
        v["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = json!(12345);
        let e = Settings::parse(&v.to_string()).unwrap_err();
        assert!(!e.message.contains("12345"), "{}", e.message);
    }

    /// `schema/firehose-plugin-config.schema.json` and its `.ui-schema.json` are what the code generates.
    #[test]
    fn the_checked_in_schema_matches_the_code() {
        plugin_sdk::schema_file::assert_config_files::<FirehoseSource>(
            env!("CARGO_MANIFEST_DIR"),
            "firehose-plugin-config",
            "firehose-plugin",
        );
    }
}
