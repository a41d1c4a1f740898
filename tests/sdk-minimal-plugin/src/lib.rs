//! A complete plugin on `plugin-sdk`, and the example its crate documentation shows: a
//! `StaticTopics` connector whose configuration lists topic names, yielded as topics of the
//! run's service, with the listing status a host needs before it deletes anything.

use plugin_abi::envelope::ListingStatus;
use plugin_abi::{entity_type, Manifest, PluginError, Record, RecordKind};
use plugin_sdk::check::{Check, TestConnectionResult};
use plugin_sdk::connector::{self, Configuration, Connector};
use plugin_sdk::run::{self, Run};
use schemars::JsonSchema;
use serde::Deserialize;

/// The workflow's `source` block, as this plugin reads it. (A connector whose block has
/// OpenMetadata's full shape uses `plugin_sdk::source::Settings` instead.)
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub service_name: String,
    pub service_connection: Connection,
}

#[derive(Deserialize, JsonSchema)]
pub struct Connection {
    pub config: Config,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Always `StaticTopics`.
    #[serde(rename = "type")]
    pub connector_type: String,
    /// The topics' names.
    pub topics: Vec<String>,
}

/// How the block is read (`check_all`: the trait's default, the error of `parse`).
impl Configuration for Source {
    fn schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Source)).expect("a schema is JSON")
    }

    fn parse(config: &str) -> Result<Source, PluginError> {
        plugin_sdk::config::deserialize(config, &[])
    }

    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

pub struct StaticTopics;

impl Connector for StaticTopics {
    type Settings = Source;

    fn manifest() -> Manifest {
        let entity_types = [(entity_type::TOPIC, "markDeletedTopics")];
        connector::manifest_of(env!("CARGO_PKG_VERSION"), "StaticTopics", "Messaging", &["Topics"], &entity_types)
    }

    async fn test_connection(_: &Source) -> TestConnectionResult {
        let (name, permission, does, reach) = ("ListTopics", "none", "reads the names", "the plugin's configuration");
        let check = Check { name, permission, does, mandatory: true, reach };
        plugin_sdk::check::result(vec![check.passed(std::time::Instant::now(), "configured".into())])
    }

    fn start(source: Source, log: tracing::Dispatch) -> Result<Run, PluginError> {
        run::start("static-topics", log, move |records| async move {
            let service = source.service_name;
            let names = source.service_connection.config.topics;
            for name in &names {
                let body =
                    serde_json::json!({"name": name, "service": plugin_abi::fqn::quote(&service), "partitions": 1});
                let record = Record::new(RecordKind::Entity, entity_type::TOPIC, &[service.as_str(), name], &body);
                if records.send(Ok(record)).await.is_err() {
                    return; // the host dropped the stream
                }
            }
            let listed = names.len() as u64;
            let status = ListingStatus { complete: true, listed, emitted: listed, ..ListingStatus::default() };
            let _ = records
                .send(Ok(Record::new(RecordKind::ListingStatus, entity_type::TOPIC, &[&service], &status)))
                .await;
        })
    }
}

plugin_sdk::export_plugin!(StaticTopics);
