//! Amazon Kinesis Data Streams as an OpenMetadata messaging source, built as a stable-ABI
//! plugin (`cdylib`): a [`Connector`] exported as the root module by `plugin_sdk::export_plugin!`
//! (every function behind the panic guard).

use plugin_abi::{entity_type, Manifest, PluginError};
use plugin_sdk::check::TestConnectionResult;
use plugin_sdk::connector::Connector;
use plugin_sdk::run::Run;

pub mod aws;
pub mod budget;
pub mod classify;
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

/// The plugin as `plugin_sdk::connector` runs it.
pub struct Kinesis;

impl Connector for Kinesis {
    type Settings = config::Settings;

    fn manifest() -> Manifest {
        let entity_types = [(entity_type::TOPIC, "markDeletedTopics")];
        plugin_sdk::connector::manifest_of(
            env!("CARGO_PKG_VERSION"),
            CONNECTOR_TYPE,
            "Messaging",
            &["Topics", "Sample Data"],
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

plugin_sdk::export_plugin!(Kinesis);
