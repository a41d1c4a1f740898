//! Amazon Kinesis Data Streams as an OpenMetadata messaging source, built as a stable-ABI
//! plugin (`cdylib`). The exported root module is at the bottom of this file; each function
//! runs inside [`plugin_abi::guard`] so that no panic crosses the boundary.

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    std_types::{RResult, RStr, RString},
};
use plugin_abi::{
    entity_type, guard, EntityTypeInfo, HostContextRef, Manifest, PluginError, RecordStreamBox, SourcePlugin,
    SourcePluginRef,
};
use plugin_aws::check::TestConnectionResult;
use plugin_aws::connector::{self, Connector};
use plugin_aws::run::Run;

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

extern "C" fn ffi_manifest() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(manifest().to_json().into()))
}

extern "C" fn ffi_config_schema() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(RString::from(serde_json::to_string_pretty(&config::schema()).expect("JSON"))))
}

/// The plugin as `plugin_aws::connector` runs it.
pub struct Kinesis;

impl Connector for Kinesis {
    type Settings = config::Settings;

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

extern "C" fn ffi_check_config(config: RStr<'_>) -> RResult<RString, PluginError> {
    connector::check_config::<Kinesis>(config)
}

extern "C" fn ffi_test_connection(config: RStr<'_>, host: HostContextRef) -> RResult<RString, PluginError> {
    connector::test_connection::<Kinesis>(config, host)
}

extern "C" fn ffi_open(config: RStr<'_>, host: HostContextRef) -> RResult<RecordStreamBox, PluginError> {
    connector::open::<Kinesis>(config, host)
}

extern "C" fn ffi_call(function: RStr<'_>, _: RStr<'_>, _: HostContextRef) -> RResult<RString, PluginError> {
    connector::call(function)
}

/// The plugin's root module, found by hosts through abi_stable's exported header.
#[export_root_module]
pub fn root_module() -> SourcePluginRef {
    SourcePlugin {
        manifest: ffi_manifest,
        config_schema: ffi_config_schema,
        check_config: ffi_check_config,
        test_connection: ffi_test_connection,
        open: ffi_open,
        call: ffi_call,
    }
    .leak_into_prefix()
}
