//! The contract between source-connector plugins and the hosts that load them.
//!
//! A plugin is a `cdylib` that exports one [`SourcePlugin`] root module with
//! `#[export_root_module]`. A host loads it with
//! `abi_stable::library::lib_header_from_path` + `init_root_module::<SourcePluginRef>()`
//! (not `RootModule::load_from_file`, which caches one module per type: see
//! `../shared/notes/abi-stable.md`).
//!
//! Everything that crosses the boundary is an `abi_stable` type. Configuration and record
//! payloads cross as JSON text, so their formats can evolve (versioned by the schemas in
//! `schema/`) without changing the binary layout.

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    package_version_strings,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
    StableAbi,
};

pub mod envelope;
pub mod error;
pub mod fqn;
pub mod host;
pub mod record;

pub use error::{guard, ErrorKind, PluginError};
pub use host::{HostContext, LogLevel};
pub use record::{Record, RecordKind, RecordStream, RecordStreamBox, RecordStream_TO};

/// The version of this contract, as abi_stable checks it at load time.
pub const ABI_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a plugin says about itself, without being configured.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The OpenMetadata connector type, e.g. `Kinesis` (`serviceConnection.config.type`).
    pub connector_type: RString,
    /// The OpenMetadata service kind, e.g. `Messaging`.
    pub service_kind: RString,
    /// The plugin's own version.
    pub plugin_version: RString,
    /// The contract version the plugin was built against ([`ABI_VERSION`]).
    pub abi_version: RString,
    /// The features it supports, e.g. `["Topics", "Sample Data"]`.
    pub features: abi_stable::std_types::RVec<RString>,
}

/// The root module every source plugin exports.
///
/// It is a prefix type: functions added in later minor versions go after `open` (the
/// `last_prefix_field`) and their getters return `Option`, so a host built against this version
/// keeps loading newer plugins and a newer host can tell that an older plugin lacks a function
/// (`check_config`, added in 1.1, is the first such).
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = SourcePluginRef)))]
pub struct SourcePlugin {
    /// The plugin's [`Manifest`].
    pub manifest: extern "C" fn() -> RResult<Manifest, PluginError>,
    /// The JSON Schema (draft 2020-12) of the configuration `test_connection` and `open` accept.
    pub config_schema: extern "C" fn() -> RResult<RString, PluginError>,
    /// Checks that the configured source can be reached. `config` is JSON (the workflow's
    /// `source` block); the result is JSON shaped like OpenMetadata's TestConnectionResult.
    pub test_connection: extern "C" fn(config: RStr<'_>, host: HostContext) -> RResult<RString, PluginError>,
    /// Starts a run: returns a stream of records. Dropping the stream stops the run's work.
    #[sabi(last_prefix_field)]
    pub open: extern "C" fn(config: RStr<'_>, host: HostContext) -> RResult<RecordStreamBox, PluginError>,
    /// Since 1.1: every problem of the configuration (the workflow's `source` block, as JSON)
    /// that the plugin can find without connecting, all at once: a JSON array of
    /// `{"path": "/serviceConnection/config/awsConfig/awsRegion", "message": "…"}` (paths within
    /// `source`), empty when there is none. Messages never quote a secret. Hosts built against
    /// 1.0 do not see it; hosts of 1.1 call it when a plugin has it (`check_config()` is `None`
    /// for a 1.0 plugin).
    pub check_config: extern "C" fn(config: RStr<'_>) -> RResult<RString, PluginError>,
}

impl RootModule for SourcePluginRef {
    declare_root_module_statics! {SourcePluginRef}
    const BASE_NAME: &'static str = "openmetadata_source_plugin";
    const NAME: &'static str = "openmetadata_source_plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
