//! Amazon Data Firehose delivery streams as OpenMetadata pipelines, with lineage from their
//! source topics (Kinesis streams, MSK topics) to their destinations (S3 buckets, Redshift and
//! Snowflake tables), built as a stable-ABI plugin (`cdylib`): a drop-in for OpenMetadata's
//! `KinesisFirehose` connector: a [`Connector`] exported as the root module by
//! `plugin_sdk::export_plugin!` (every function behind the panic guard).

use plugin_abi::{entity_type, Manifest, PluginError};
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

/// The plugin as `plugin_sdk::connector` runs it.
pub struct Firehose;

impl Connector for Firehose {
    type Settings = config::Settings;

    fn manifest() -> Manifest {
        let entity_types = [(entity_type::PIPELINE, "markDeletedPipelines")];
        plugin_sdk::connector::manifest_of(
            env!("CARGO_PKG_VERSION"),
            CONNECTOR_TYPE,
            "Pipeline",
            &["Pipelines", "Lineage"],
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

plugin_sdk::export_plugin!(Firehose);
