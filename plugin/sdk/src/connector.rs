//! The root-module functions every plugin exports, written once: each plugin says what it is,
//! how to read its configuration, test its connection and start a run ([`Connector`]), and
//! [`crate::export_plugin!`] makes the `extern "C"` functions that call these, inside the panic
//! guard.

use std::future::Future;

use abi_stable::std_types::{RResult, RStr, RString};
use plugin_abi::{guard, EntityTypeInfo, HostContextRef, Manifest, PluginError, RecordStreamBox, RecordStream_TO};

use crate::check::TestConnectionResult;
use crate::run::Run;
use crate::source::{Settings, SourceKind};

/// What a plugin supplies.
pub trait Connector {
    /// A parsed and checked configuration (for most connectors, a
    /// [`crate::source::Settings`]).
    type Settings: Configuration;
    /// What the plugin is: its connector type, service kind, entity types (see [`manifest_of`]).
    fn manifest() -> Manifest;
    /// The connection test's steps.
    fn test_connection(settings: &Self::Settings) -> impl Future<Output = TestConnectionResult>;
    /// Starts a run.
    fn start(settings: Self::Settings, log: tracing::Dispatch) -> Result<Run, PluginError>;
}

/// How a connector's configuration is described and read.
pub trait Configuration: Sized {
    /// The JSON Schema of the workflow's `source` block, as the plugin reads it.
    fn schema() -> serde_json::Value;
    /// Reads the workflow's `source` block (JSON); the first problem is the error.
    fn parse(config: &str) -> Result<Self, PluginError>;
    /// Every problem of the `source` block that can be found without connecting (by default,
    /// what keeps [`Configuration::parse`] from reading it).
    fn check_all(config: &str) -> Vec<PluginError> {
        Self::parse(config).err().into_iter().collect()
    }
    /// The secret values of a configuration, scrubbed from every log line.
    fn secrets(&self) -> Vec<String>;
    /// The form's uiSchema (see [`crate::form`]); by default, the schema's numbers and lengths
    /// in words, with no layout ([`crate::form::plain`]).
    fn form() -> Result<serde_json::Value, String> {
        Ok(crate::form::plain(&Self::schema()))
    }
}

impl<K: SourceKind> Configuration for Settings<K> {
    fn schema() -> serde_json::Value {
        Settings::<K>::schema()
    }
    fn parse(config: &str) -> Result<Self, PluginError> {
        Settings::<K>::parse(config)
    }
    fn check_all(config: &str) -> Vec<PluginError> {
        Settings::<K>::check_all(config)
    }
    fn secrets(&self) -> Vec<String> {
        Settings::<K>::secrets(self)
    }
    fn form() -> Result<serde_json::Value, String> {
        Settings::<K>::form()
    }
}

/// A manifest: the plugin's version (its crate's), connector type (`Kinesis`), service kind
/// (`Messaging`), features, and each entity type it yields with the option of the pipeline
/// settings that asks for the deletion of its stale entities (on unless set to false); the
/// contract and payload versions are this SDK's.
pub fn manifest_of(
    plugin_version: &str,
    connector_type: &str,
    service_kind: &str,
    features: &[&str],
    entity_types: &[(&str, &str)],
) -> Manifest {
    Manifest {
        connector_type: connector_type.into(),
        service_kind: service_kind.into(),
        plugin_version: plugin_version.into(),
        contract_version: plugin_abi::ABI_VERSION.into(),
        payload_format_version: plugin_abi::envelope::PAYLOAD_FORMAT_VERSION.into(),
        features: features.iter().map(|f| (*f).into()).collect(),
        entity_types: entity_types
            .iter()
            .map(|(entity_type, option)| EntityTypeInfo {
                entity_type: (*entity_type).into(),
                mark_deleted_option: Some((*option).into()),
                mark_deleted_default: true,
            })
            .collect(),
    }
}

/// `manifest`: the manifest as JSON.
pub fn manifest<C: Connector>() -> RResult<RString, PluginError> {
    guard(|| RResult::ROk(C::manifest().to_json().into()))
}

/// `config_schema`: the schema, pretty-printed.
pub fn config_schema<C: Connector>() -> RResult<RString, PluginError> {
    guard(|| {
        RResult::ROk(RString::from(serde_json::to_string_pretty(&C::Settings::schema()).expect("a schema is JSON")))
    })
}

/// `check_config`: a JSON array of `{path, message}`.
pub fn check_config<C: Connector>(config: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| {
        let problems: Vec<serde_json::Value> = C::Settings::check_all(config.as_str())
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
        let settings = match C::Settings::parse(config.as_str()) {
            Ok(s) => s,
            Err(e) => return RResult::RErr(e),
        };
        let log = crate::logging::dispatch(host, settings.secrets());
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
        let settings = match C::Settings::parse(config.as_str()) {
            Ok(s) => s,
            Err(e) => return RResult::RErr(e),
        };
        let log = crate::logging::dispatch(host, settings.secrets());
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

/// `call`: the named functions of later contract versions (since 2.3, the form's uiSchema).
pub fn call<C: Connector>(function: RStr<'_>) -> RResult<RString, PluginError> {
    guard(|| match function.as_str() {
        plugin_abi::CONFIG_UI_SCHEMA => match C::Settings::form() {
            Ok(ui) => RResult::ROk(RString::from(serde_json::to_string_pretty(&ui).expect("a uiSchema is JSON"))),
            Err(e) => RResult::RErr(PluginError::internal(format!("the config form does not fit the schema: {e}"))),
        },
        other => RResult::RErr(plugin_abi::unsupported(other)),
    })
}
