//! The root-module functions every plugin exports, written once: each plugin says what it is,
//! how to read its configuration, test its connection and start a run ([`Connector`]), and
//! [`crate::export_plugin!`] makes the `extern "C"` functions that call these, inside the panic
//! guard.

use std::future::Future;

use abi_stable::std_types::{RResult, RStr, RString};
use plugin_abi::{guard, HostContextRef, Manifest, PluginError, RecordStreamBox, RecordStream_TO};

use crate::check::TestConnectionResult;
use crate::run::Run;

/// What a plugin supplies.
pub trait Connector {
    /// A parsed and checked configuration.
    type Settings;
    /// What the plugin is: its connector type, service kind, entity types.
    fn manifest() -> Manifest;
    /// The JSON Schema of the workflow's `source` block, as the plugin reads it.
    fn schema() -> serde_json::Value;
    /// Reads the workflow's `source` block (JSON); the first problem is the error.
    fn parse(config: &str) -> Result<Self::Settings, PluginError>;
    /// Every problem of the `source` block that can be found without connecting (by default,
    /// what keeps [`Connector::parse`] from reading it).
    fn check_all(config: &str) -> Vec<PluginError> {
        Self::parse(config).err().into_iter().collect()
    }
    /// The secret values of a configuration, scrubbed from every log line.
    fn secrets(settings: &Self::Settings) -> Vec<String>;
    /// The connection test's steps.
    fn test_connection(settings: &Self::Settings) -> impl Future<Output = TestConnectionResult>;
    /// Starts a run.
    fn start(settings: Self::Settings, log: tracing::Dispatch) -> Result<Run, PluginError>;
}

/// `manifest`: the manifest as JSON.
pub fn manifest<C: Connector>() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(C::manifest().to_json().into()))
}

/// `config_schema`: the schema, pretty-printed.
pub fn config_schema<C: Connector>() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(RString::from(serde_json::to_string_pretty(&C::schema()).expect("a schema is JSON"))))
}

/// `check_config`: a JSON array of `{path, message}`.
pub fn check_config<C: Connector>(config: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| {
        let problems: Vec<serde_json::Value> = C::check_all(config.as_str())
            .into_iter()
            .map(|e| serde_json::json!({"path": e.field.as_ref().map_or("/", |f| f.as_str()), "message": e.message.as_str()}))
            .collect();
        RResult::ROk(RString::from(serde_json::Value::from(problems).to_string()))
    })
}

/// `test_connection`: runs on the caller's thread, its events going to this call's host
/// context only.
pub fn test_connection<C: Connector>(config: RStr<'_>, host: HostContextRef) -> RResult<RString, PluginError> {
    guard(|| {
        let settings = match C::parse(config.as_str()) {
            Ok(s) => s,
            Err(e) => return RResult::RErr(e),
        };
        let log = crate::logging::dispatch(host, C::secrets(&settings));
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return RResult::RErr(PluginError::internal(format!("could not start a runtime: {e}"))),
        };
        let report = tracing::dispatcher::with_default(&log, || runtime.block_on(C::test_connection(&settings)));
        RResult::ROk(RString::from(serde_json::to_string(&report).expect("JSON")))
    })
}

/// `open`: starts a run and hands the host its record stream.
pub fn open<C: Connector>(config: RStr<'_>, host: HostContextRef) -> RResult<RecordStreamBox, PluginError> {
    guard(|| {
        let settings = match C::parse(config.as_str()) {
            Ok(s) => s,
            Err(e) => return RResult::RErr(e),
        };
        let log = crate::logging::dispatch(host, C::secrets(&settings));
        if let Some(info) = host.info() {
            tracing::dispatcher::with_default(&log, || {
                tracing::debug!("run opened by {} {} (contract {})", info.host, info.version, info.contract)
            });
        }
        match C::start(settings, log) {
            Ok(run) => RResult::ROk(RecordStream_TO::from_value(run, abi_stable::sabi_trait::TD_Opaque)),
            Err(e) => RResult::RErr(e),
        }
    })
}

/// `call`: the named functions of later contract versions; none yet.
pub fn call(function: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| RResult::RErr(plugin_abi::unsupported(function.as_str())))
}
