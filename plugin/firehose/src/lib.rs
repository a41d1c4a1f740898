//! Amazon Data Firehose delivery streams as OpenMetadata pipelines, with lineage from their
//! source topics (Kinesis streams, MSK topics) to their destinations (S3 buckets, Redshift and
//! Snowflake tables), built as a stable-ABI plugin (`cdylib`): a drop-in for OpenMetadata's
//! `KinesisFirehose` connector: a [`Connector`] exported as the root module by
//! `plugin_sdk::export_plugin!` (every function behind the panic guard).

use plugin_abi::{entity_type, EntityTypeInfo, Manifest, PluginError};
use plugin_sdk::check::TestConnectionResult;
use plugin_sdk::connector::Connector;
use plugin_sdk::run::Run;

pub mod aws;
pub mod budget;
pub mod config;
pub mod firehose;
pub mod pipeline;
pub mod run;
pub mod test_connection;

/// The connector type in OpenMetadata (`serviceConnection.config.type`).
pub const CONNECTOR_TYPE: &str = "KinesisFirehose";

pub fn manifest() -> Manifest {
    Manifest {
        connector_type: CONNECTOR_TYPE.into(),
        service_kind: "Pipeline".into(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        contract_version: plugin_abi::ABI_VERSION.into(),
        payload_format_version: plugin_abi::envelope::PAYLOAD_FORMAT_VERSION.into(),
        features: vec!["Pipelines".into(), "Lineage".into()],
        entity_types: vec![EntityTypeInfo {
            entity_type: entity_type::PIPELINE.into(),
            mark_deleted_option: Some("markDeletedPipelines".into()),
            mark_deleted_default: true,
        }],
    }
}

/// The plugin as `plugin_sdk::connector` runs it.
pub struct Firehose;

impl Connector for Firehose {
    type Settings = config::Settings;

    fn manifest() -> Manifest {
        manifest()
    }

    fn schema() -> serde_json::Value {
        config::schema()
    }

    fn parse(json: &str) -> Result<config::Settings, PluginError> {
        config::parse(json)
    }

    fn check_all(json: &str) -> Vec<PluginError> {
        config::check_all(json)
    }

    fn secrets(settings: &config::Settings) -> Vec<String> {
        settings.secrets()
    }

    async fn test_connection(settings: &config::Settings) -> TestConnectionResult {
        test_connection::run(settings).await
    }

    fn start(settings: config::Settings, log: tracing::Dispatch) -> Result<Run, PluginError> {
        run::start(settings, log)
    }
}

plugin_sdk::export_plugin!(Firehose);
