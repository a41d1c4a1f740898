//! The configuration the plugin accepts: the `source` block of an OpenMetadata workflow for a
//! Custom Pipeline service (`KinesisIntegrations`), shaped as OpenMetadata's pipeline
//! connectors' are (`PipelineServiceMetadataPipeline`: same names, same defaults, unknown fields
//! rejected), plus which integrations to read and the API budget settings of every AWS plugin.

use plugin_abi::PluginError;
use plugin_sdk::config::{FilterPattern, SOURCE_CONFIG_PATH};
use plugin_sdk::form::Form;
use plugin_sdk::pipeline_settings::PipelineServiceMetadata as _;
use plugin_sdk::source::{FilterOption, Source, SourceKind};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use plugin_aws::credentials::AwsCredentials;

/// A KinesisIntegrations workflow's `source` block, parsed and checked.
pub type Settings = plugin_sdk::source::Settings<IntegrationsSource>;

/// What a KinesisIntegrations workflow's `source` block is.
pub struct IntegrationsSource;

/// Which integrations to list comes right after what every pipeline connector asks first.
const INTEGRATIONS_FORM: Form = Form { first: &[(SOURCE_CONFIG_PATH, &["integrations"])], fields: &[] };

impl SourceKind for IntegrationsSource {
    type Connection = KinesisIntegrationsConnection;
    type Pipeline = IntegrationsMetadata;
    const SOURCE_TYPE: &'static str = "kinesisintegrations";
    const TITLE: &'static str = "Kinesis integrations source";
    const DESCRIPTION: &'static str =
        "The `source` block of an OpenMetadata ingestion workflow for what reads and writes \
         Amazon Kinesis data streams: Lambda event source mappings, EventBridge Pipes and rules, IoT rules and \
         enhanced fan-out consumers.";
    const FILTER: FilterOption = FilterOption { option: "pipelineFilterPattern", noun: "integration" };
    const FORM: &'static [&'static Form] =
        &[&plugin_aws::form::FORM, &plugin_sdk::pipeline_settings::FORM, &INTEGRATIONS_FORM];

    fn filter_patterns(
        source: &Source<KinesisIntegrationsConnection, IntegrationsMetadata>,
    ) -> [Option<&FilterPattern>; 2] {
        plugin_sdk::pipeline_settings::filter_patterns(source)
    }

    fn problems(source: &Source<KinesisIntegrationsConnection, IntegrationsMetadata>) -> Vec<PluginError> {
        let p = &source.source_config.config;
        let mut problems = plugin_aws::source::problems(&source.service_connection.config.aws_config, p.problems(), p);
        if p.integrations.is_empty() {
            problems.push(PluginError::config(
                format!("{SOURCE_CONFIG_PATH}/integrations"),
                "name at least one kind of integration to read, or leave it out to read every kind",
            ));
        }
        problems
    }
}

plugin_aws::aws_connection!(KinesisIntegrationsConnection);

plugin_sdk::pipeline_connection! {
    /// The connection (`serviceConnection.config`) of a Custom Pipeline service whose connector
    /// is this plugin.
    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    #[schemars(title = "KinesisIntegrationsConnection", description = "Kinesis Integrations Connection Config")]
    pub struct KinesisIntegrationsConnection {
        /// Service Type
        #[serde(rename = "type", default = "integrations_type")]
        #[schemars(title = "Service Type")]
        pub connection_type: Option<KinesisIntegrationsType>,
        /// AWS credentials and region.
        #[schemars(title = "AWS Credentials Configuration")]
        pub aws_config: AwsCredentials,
    }
}

/// The only connection type this plugin takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "KinesisIntegrationsType", description = "Service type.")]
pub enum KinesisIntegrationsType {
    KinesisIntegrations,
}

/// A kind of integration the plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "Integration kind")]
pub enum Kind {
    /// Lambda functions that read a stream (event source mappings).
    Lambda,
    /// EventBridge Pipes with a stream as source or target.
    Pipes,
    /// EventBridge rules with a stream as a target.
    EventBridgeRules,
    /// IoT rules with a Kinesis action.
    IotRules,
    /// Enhanced fan-out consumers of the messaging service's streams.
    FanOutConsumers,
}

impl Kind {
    pub const ALL: [Kind; 5] =
        [Kind::Lambda, Kind::Pipes, Kind::EventBridgeRules, Kind::IotRules, Kind::FanOutConsumers];

    /// As `integrations` names it, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Lambda => "lambda",
            Kind::Pipes => "pipes",
            Kind::EventBridgeRules => "eventBridgeRules",
            Kind::IotRules => "iotRules",
            Kind::FanOutConsumers => "fanOutConsumers",
        }
    }
}

plugin_sdk::pipeline_service_metadata! {
    plugin_aws::pipeline_settings! {
        /// OpenMetadata's `PipelineServiceMetadataPipeline` (every option it writes), plus which
        /// integrations to read (and, after them, the API budget settings of every AWS connector).
        #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[schemars(title = "PipelineServiceMetadataPipeline", description = "PipelineService Metadata Pipeline Configuration.")]
        pub struct IntegrationsMetadata {
            /// Plugin setting (not part of OpenMetadata's schema): the kinds of integration to read
            /// (every kind unless set).
            #[serde(default = "all_kinds")]
            #[schemars(title = "Integrations", extend("uniqueItems" = true))]
            pub integrations: Vec<Kind>,
        }
    }
}

fn integrations_type() -> Option<KinesisIntegrationsType> {
    Some(KinesisIntegrationsType::KinesisIntegrations)
}
fn all_kinds() -> Vec<Kind> {
    Kind::ALL.to_vec()
}

impl IntegrationsMetadata {
    /// Whether `kind` is read.
    pub fn reads(&self, kind: Kind) -> bool {
        self.integrations.contains(&kind)
    }
}

/// Where lineage ends are looked up.
pub use plugin_sdk::pipeline_settings::lineage_services;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> serde_json::Value {
        json!({
            "type": "kinesisintegrations",
            "serviceName": "kinesis_integrations",
            "serviceConnection": {"config": {"type": "KinesisIntegrations", "awsConfig": {"awsRegion": "us-east-1"},
                "messagingServiceName": "kinesis_prod"}},
            "sourceConfig": {"config": {"type": "PipelineMetadata"}}
        })
    }

    #[test]
    fn every_kind_is_read_unless_told_otherwise() {
        let s = Settings::parse(&minimal().to_string()).unwrap();
        assert!(Kind::ALL.iter().all(|k| s.pipeline().reads(*k)));
        assert_eq!(lineage_services(&s).messaging, ["kinesis_prod"]);
        let mut v = minimal();
        v["sourceConfig"]["config"]["integrations"] = json!(["lambda", "iotRules"]);
        let s = Settings::parse(&v.to_string()).unwrap();
        assert!(s.pipeline().reads(Kind::Lambda) && !s.pipeline().reads(Kind::Pipes));
    }

    #[test]
    fn every_option_openmetadata_writes_into_a_pipeline_workflow_is_accepted() {
        let mut v = minimal();
        v["sourceConfig"]["config"] = json!({"type": "PipelineMetadata", "includeLineage": false,
            "includeOwners": true, "ownershipUpdateMode": "replace", "markDeletedPipelines": true,
            "includeTags": false, "includeUnDeployedPipelines": true, "statusLookbackDays": 1,
            "overrideLineage": false, "overrideMetadata": false});
        let s = Settings::parse(&v.to_string()).unwrap();
        assert!(!s.pipeline().include_lineage());
        v["sourceConfig"]["config"]["includeTags"] = json!(true);
        assert_eq!(
            Settings::parse(&v.to_string()).unwrap_err().field.unwrap().as_str(),
            "/sourceConfig/config/includeTags"
        );
    }

    #[test]
    fn every_problem_is_named_by_its_path() {
        let mut v = minimal();
        v["sourceConfig"]["config"]["integrations"] = json!([]);
        v["sourceConfig"]["config"]["overrideLineage"] = json!(true);
        v["sourceConfig"]["config"]["apiBudgetShare"] = json!(2);
        let paths: Vec<String> =
            Settings::check_all(&v.to_string()).into_iter().map(|e| e.field.unwrap().to_string()).collect();
        assert_eq!(
            paths,
            [
                "/sourceConfig/config/overrideLineage",
                "/sourceConfig/config/apiBudgetShare",
                "/sourceConfig/config/integrations"
            ]
        );
        let mut v = minimal();
        v["sourceConfig"]["config"]["integrations"] = json!(["kafka"]);
        assert_eq!(
            Settings::parse(&v.to_string()).unwrap_err().field.unwrap().as_str(),
            "/sourceConfig/config/integrations/0"
        );
    }

    /// `schema/kinesis-integrations-plugin-config.schema.json` and its `.ui-schema.json` are what the code generates.
    #[test]
    fn the_checked_in_schema_matches_the_code() {
        plugin_sdk::schema_file::assert_config_files::<IntegrationsSource>(
            env!("CARGO_MANIFEST_DIR"),
            "kinesis-integrations-plugin-config",
            "kinesis-integrations-plugin",
        );
    }
}
