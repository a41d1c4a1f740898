//! Amazon Data Firehose delivery streams as OpenMetadata pipelines, with lineage from their
//! source topics (Kinesis streams, MSK topics) to their destinations (S3 buckets, Redshift and
//! Snowflake tables), built as a stable-ABI plugin (`cdylib`): a drop-in for OpenMetadata's
//! `KinesisFirehose` connector. The exported root module is at the bottom of this file; each
//! function runs inside [`plugin_abi::guard`] so that no panic crosses the boundary.

use abi_stable::{
    export_root_module,
    prefix_type::PrefixTypeTrait,
    std_types::{RResult, RStr, RString},
};
use plugin_abi::{
    entity_type, guard, EntityTypeInfo, HostContextRef, Manifest, PluginError, RecordStreamBox, RecordStream_TO,
    SourcePlugin, SourcePluginRef,
};

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

extern "C" fn ffi_manifest() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(manifest().to_json().into()))
}

extern "C" fn ffi_config_schema() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(RString::from(serde_json::to_string_pretty(&config::schema()).expect("JSON"))))
}

extern "C" fn ffi_check_config(config: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| {
        let problems: Vec<serde_json::Value> = config::check_all(config.as_str())
            .into_iter()
            .map(|e| serde_json::json!({"path": e.field.as_ref().map_or("/", |f| f.as_str()), "message": e.message.as_str()}))
            .collect();
        RResult::ROk(RString::from(serde_json::Value::from(problems).to_string()))
    })
}

extern "C" fn ffi_test_connection(config: RStr<'_>, host: HostContextRef) -> RResult<RString, PluginError> {
    guard(|| {
        let settings = match config::parse(config.as_str()) {
            Ok(s) => s,
            Err(e) => return RResult::RErr(e),
        };
        let log = plugin_aws::logging::dispatch(host, settings.secrets());
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return RResult::RErr(PluginError::internal(format!("could not start a runtime: {e}"))),
        };
        // The test runs on the caller's thread: its events go to this call's host context only.
        let report = tracing::dispatcher::with_default(&log, || runtime.block_on(test_connection::run(&settings)));
        RResult::ROk(RString::from(serde_json::to_string(&report).expect("JSON")))
    })
}

extern "C" fn ffi_open(config: RStr<'_>, host: HostContextRef) -> RResult<RecordStreamBox, PluginError> {
    guard(|| {
        let settings = match config::parse(config.as_str()) {
            Ok(s) => s,
            Err(e) => return RResult::RErr(e),
        };
        let log = plugin_aws::logging::dispatch(host, settings.secrets());
        match run::start(settings, log) {
            Ok(run) => RResult::ROk(RecordStream_TO::from_value(run, abi_stable::sabi_trait::TD_Opaque)),
            Err(e) => RResult::RErr(e),
        }
    })
}

/// Named functions of later contract versions: none yet.
extern "C" fn ffi_call(function: RStr<'_>, _: RStr<'_>, _: HostContextRef) -> RResult<RString, PluginError> {
    guard(|| RResult::RErr(plugin_abi::unsupported(function.as_str())))
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
