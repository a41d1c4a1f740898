//! What reads and writes Amazon Kinesis data streams, as OpenMetadata pipelines with lineage:
//! Lambda event source mappings, EventBridge Pipes and rules, IoT rules and enhanced fan-out
//! consumers, from AWS's own configuration, for a Custom Pipeline service. Built as a
//! stable-ABI plugin (`cdylib`) on the plugin kit: a [`Connector`] exported as the root module by
//! `plugin_sdk::export_plugin!`.

use plugin_abi::{entity_type, Manifest, PluginError};
use plugin_sdk::check::TestConnectionResult;
use plugin_sdk::connector::Connector;
use plugin_sdk::run::Run;

pub mod aws;
pub mod budget;
pub mod config;
pub mod integrations;
pub mod pipeline;
pub mod run;
pub mod test_connection;

/// The connector type in OpenMetadata (`serviceConnection.config.type`).
pub const CONNECTOR_TYPE: &str = "KinesisIntegrations";

/// The plugin as `plugin_sdk::connector` runs it.
pub struct KinesisIntegrations;

impl Connector for KinesisIntegrations {
    type Settings = config::Settings;

    fn manifest() -> Manifest {
        let entity_types = [(entity_type::PIPELINE, "markDeletedPipelines")];
        let features = ["Pipelines", "Lineage"];
        plugin_sdk::connector::manifest_of(
            env!("CARGO_PKG_VERSION"),
            CONNECTOR_TYPE,
            "Pipeline",
            &features,
            &entity_types,
        )
    }

    async fn test_connection(settings: &config::Settings) -> TestConnectionResult {
        test_connection::run(settings).await
    }

    fn start(settings: config::Settings, log: tracing::Dispatch) -> Result<Run, PluginError> {
        run::start(settings, log)
    }
}

plugin_sdk::export_plugin!(KinesisIntegrations);
