//! The contract between source-connector plugins and the hosts that load them (version 2.3).
//!
//! # Writing a plugin
//! A plugin is a `cdylib` crate that depends on this one and exports one [`SourcePlugin`] root
//! module with `#[export_root_module]` (see `plugin/kinesis/src/lib.rs` and
//! `plugin/firehose/src/lib.rs`). It implements six functions:
//! - `manifest`: a JSON [`Manifest`]: its connector type (`serviceConnection.config.type`), the
//!   OpenMetadata service kind it fills (`Messaging`, `Pipeline`, …), the entity types its
//!   records carry and the `markDeleted*` option of each, [`ABI_VERSION`] and
//!   [`envelope::PAYLOAD_FORMAT_VERSION`].
//! - `config_schema`: the JSON Schema of the workflow's `source` block it accepts (secrets
//!   marked `format: password` + `writeOnly`, so hosts mask them).
//! - `check_config`: every problem it can find in a configuration without connecting.
//! - `test_connection`: one step per permission, shaped like OpenMetadata's
//!   TestConnectionResult.
//! - `open`: starts a run and returns a [`RecordStream`] of [`Record`]s: per entity an
//!   `entity` record (OpenMetadata's create request), optionally `labels` (its tags and owners
//!   by name, since 2.1), `schemaOrigin` (where its message schema came from, since 2.2) and
//!   `sampleData` after it,
//!   `lineage` edges between entities named by FQN, and, last, one `listingStatus` per
//!   (scope, entity type) saying whether the listing was complete.
//! - `call`: the named functions of later versions: since 2.3, [`CONFIG_UI_SCHEMA`] (the
//!   config form's layout); a name a plugin does not know is answered with [`unsupported`].
//!
//! Every exported function and every trait-object method runs its body inside [`guard`]: a
//! panic must never unwind across the boundary. The plugin owns its async runtime and forwards
//! its `tracing` events to the host's [`HostContext::log`]. Messages never hold a secret.
//!
//! # Loading plugins
//! A host loads each file with `abi_stable::library::lib_header_from_path` +
//! `init_root_module::<SourcePluginRef>()` (not `RootModule::load_from_file`, which caches one
//! module per type).
//!
//! # Growing the contract
//! From 2.0 on, every change is additive and keeps hosts and plugins of any 2.x working together,
//! in both directions, without touching a binary layout: new functions are named functions
//! ([`SourcePlugin::call`], [`HostContext::call`]) answered with [`ErrorKind::Unsupported`] by
//! an older side; record kinds, entity types and error kinds are strings (a host skips a record
//! kind or entity type it does not know, with a warning); the manifest and record bodies are
//! JSON, read with unknown fields ignored. abi_stable refuses a plugin of another major version
//! at load time. (Appending prefix-type fields would work only one way: abi_stable refuses a
//! plugin whose root module has fewer fields than the host's.)
//!
//! Versions: 2.0, the frozen layout; 2.1, the `labels` record kind; 2.2, `schemaOrigin`; 2.3,
//! the named function [`CONFIG_UI_SCHEMA`].

use abi_stable::{
    declare_root_module_statics,
    library::RootModule,
    sabi_types::VersionStrings,
    std_types::{RResult, RStr, RString},
    StableAbi,
};

pub mod config_schema;
pub mod envelope;
pub mod error;
pub mod fqn;
pub mod host;
pub mod manifest;
pub mod message_schema;
pub mod record;

pub use error::{guard, ErrorKind, PluginError};
pub use host::{HostContext, HostContextRef, LogLevel};
pub use manifest::{EntityTypeInfo, Manifest};
pub use record::{entity_type, Record, RecordKind, RecordStream, RecordStreamBox, RecordStream_TO};

/// The version of this contract, as abi_stable checks it at load time (the major must match).
#[cfg(not(feature = "next-minor-fixture"))]
pub const ABI_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The contract as a later minor version would have it, for the compatibility fixture only.
#[cfg(feature = "next-minor-fixture")]
pub const ABI_VERSION: &str = "2.4.0";

/// The root module every source plugin exports.
///
/// Its layout is frozen at 2.0. abi_stable accepts a plugin whose prefix type has *more* fields
/// than the host's, but refuses one with fewer: a host built with an appended field could no
/// longer load the plugins built before it. So functions added in later 2.x versions are
/// named functions reached through [`SourcePlugin::call`] (and host services through
/// [`HostContext::call`]), which both sides answer with [`ErrorKind::Unsupported`] for a name
/// they do not know.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = SourcePluginRef)))]
pub struct SourcePlugin {
    /// The plugin's [`Manifest`], as JSON.
    pub manifest: extern "C" fn() -> RResult<RString, PluginError>,
    /// The JSON Schema (draft-07, as OpenMetadata's connection schemas and the forms rendered
    /// from them) of the configuration (the workflow's `source` block) that the other functions
    /// accept.
    pub config_schema: extern "C" fn() -> RResult<RString, PluginError>,
    /// Every problem of the configuration (the workflow's `source` block, as JSON) that the
    /// plugin can find without connecting, all at once: a JSON array of
    /// `{"path": "/serviceConnection/config/awsConfig/awsRegion", "message": "…"}` (paths within
    /// `source`), empty when there is none. Messages never quote a secret.
    pub check_config: extern "C" fn(config: RStr<'_>) -> RResult<RString, PluginError>,
    /// Checks that the configured source can be reached; the result is JSON shaped like
    /// OpenMetadata's TestConnectionResult.
    pub test_connection: extern "C" fn(config: RStr<'_>, host: HostContextRef) -> RResult<RString, PluginError>,
    /// Starts a run: returns a stream of records. Dropping the stream stops the run's work.
    pub open: extern "C" fn(config: RStr<'_>, host: HostContextRef) -> RResult<RecordStreamBox, PluginError>,
    /// A function of a later 2.x version, by name: `input` and the answer are JSON. A name the
    /// plugin does not know is answered with an [`ErrorKind::Unsupported`] error (see
    /// [`unsupported`]), so a host tells an older plugin from a failure.
    #[sabi(last_prefix_field)]
    pub call: extern "C" fn(function: RStr<'_>, input: RStr<'_>, host: HostContextRef) -> RResult<RString, PluginError>,
}

/// The named function (since 2.3) that answers the config form's layout: react-jsonschema-form's
/// uiSchema for [`SourcePlugin::config_schema`], as JSON (the fields a person fills first, an
/// example per field, each refusal in a person's words; see `plugin_sdk::form`). Its input is
/// `{}`. A host that gets [`ErrorKind::Unsupported`] (a 2.0 to 2.2 plugin) renders the schema
/// as it is.
pub const CONFIG_UI_SCHEMA: &str = "configUiSchema";

/// The answer to a named function that the callee does not offer.
pub fn unsupported(function: &str) -> PluginError {
    PluginError::new(ErrorKind::Unsupported, format!("no function named '{function}' here"))
}

impl RootModule for SourcePluginRef {
    declare_root_module_statics! {SourcePluginRef}
    const BASE_NAME: &'static str = "openmetadata_source_plugin";
    const NAME: &'static str = "openmetadata_source_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new(ABI_VERSION);
}
