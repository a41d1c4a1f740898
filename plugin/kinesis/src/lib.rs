//! Amazon Kinesis Data Streams as an OpenMetadata messaging source, built as a stable-ABI
//! plugin (`cdylib`): a [`Connector`] exported as the root module by `plugin_sdk::export_plugin!`
//! (every function behind the panic guard).

use plugin_abi::{entity_type, EntityTypeInfo, Manifest, PluginError};
use plugin_sdk::check::TestConnectionResult;
use plugin_sdk::connector::Connector;
use plugin_sdk::run::Run;

pub mod aws;
pub mod budget;
pub mod config;
pub mod decode;
pub mod infer;
pub mod kinesis;
pub mod registry;
pub mod run;
pub mod sample;
pub mod tags;
pub mod test_connection;
pub mod topic;

/// The connector type in OpenMetadata (`serviceConnection.config.type`).
pub const CONNECTOR_TYPE: &str = "Kinesis";

pub fn manifest() -> Manifest {
    Manifest {
        connector_type: CONNECTOR_TYPE.into(),
        service_kind: "Messaging".into(),
        plugin_version: env!("CARGO_PKG_VERSION").into(),
        contract_version: plugin_abi::ABI_VERSION.into(),
        payload_format_version: plugin_abi::envelope::PAYLOAD_FORMAT_VERSION.into(),
        features: vec!["Topics".into(), "Sample Data".into()],
        entity_types: vec![EntityTypeInfo {
            entity_type: entity_type::TOPIC.into(),
            mark_deleted_option: Some("markDeletedTopics".into()),
            mark_deleted_default: true,
        }],
    }
}

/// The plugin as `plugin_sdk::connector` runs it.
pub struct Kinesis;

impl Connector for Kinesis {
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

plugin_sdk::export_plugin!(Kinesis);
