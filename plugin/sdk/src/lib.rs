//! What every source-connector plugin shares, AWS or not, so that the next plugin copies
//! nothing from the last: the exported root module ([`export_plugin!`] over a
//! [`connector::Connector`], every function behind the panic guard), the run's own runtime and
//! bounded record channel ([`run`]), log forwarding to the host with secrets scrubbed
//! ([`logging`]), OpenMetadata's filter patterns ([`filter`]), pipeline requests and where their lineage ends are
//! looked up ([`pipeline`], [`lineage`]), reading a workflow's `source`
//! block once for every connector ([`source`]) with errors that name the field ([`config`]), test-connection reports ([`check`]), the config form's layout ([`form`]) and
//! the checked-in schema file test ([`schema_file`]). What is AWS's is in `plugin-aws`.
//!
//! A complete plugin (the `tests/sdk-minimal-plugin` fixture, which the end-to-end tests load
//! into host-example):
//!
#![doc = concat!("```rust,ignore\n", include_str!("../../../tests/sdk-minimal-plugin/src/lib.rs"), "```")]

// The declaration macros name this crate in serde's default paths (strings, where `$crate` is
// not expanded): so that they work in this crate's own tests too.
extern crate self as plugin_sdk;

pub mod check;
pub mod config;
pub mod connector;
pub mod filter;
pub mod form;
pub mod lineage;
pub mod logging;
pub mod pipeline;
pub mod pipeline_settings;
pub mod run;
pub mod schema_file;
pub mod source;

/// For [`export_plugin!`]'s expansion in the plugin's crate.
#[doc(hidden)]
pub use abi_stable;
#[doc(hidden)]
pub use plugin_abi;

/// Exports a [`connector::Connector`] as the plugin's root module, the one hosts find through
/// abi_stable's header: its manifest, configuration schema, `check_config`, `test_connection`,
/// `open` and `call`, each guarded so that no panic crosses the boundary. The plugin's crate
/// depends on `abi_stable` (its root-module attribute names it).
#[macro_export]
macro_rules! export_plugin {
    ($connector:ty) => {
        /// The connector this plugin exports.
        type ExportedConnector = $connector;

        mod exported_plugin {
            use super::ExportedConnector;
            use $crate::abi_stable::prefix_type::PrefixTypeTrait as _;
            use $crate::abi_stable::std_types::{RResult, RStr, RString};
            use $crate::plugin_abi::{HostContextRef, PluginError, RecordStreamBox, SourcePlugin, SourcePluginRef};

            extern "C" fn manifest() -> RResult<RString, PluginError> {
                $crate::connector::manifest::<ExportedConnector>()
            }

            extern "C" fn config_schema() -> RResult<RString, PluginError> {
                $crate::connector::config_schema::<ExportedConnector>()
            }

            extern "C" fn check_config(config: RStr<'_>) -> RResult<RString, PluginError> {
                $crate::connector::check_config::<ExportedConnector>(config)
            }

            extern "C" fn test_connection(config: RStr<'_>, host: HostContextRef) -> RResult<RString, PluginError> {
                $crate::connector::test_connection::<ExportedConnector>(config, host)
            }

            extern "C" fn open(config: RStr<'_>, host: HostContextRef) -> RResult<RecordStreamBox, PluginError> {
                $crate::connector::open::<ExportedConnector>(config, host)
            }

            extern "C" fn call(function: RStr<'_>, _: RStr<'_>, _: HostContextRef) -> RResult<RString, PluginError> {
                $crate::connector::call::<ExportedConnector>(function)
            }

            /// The plugin's root module, found by hosts through abi_stable's exported header.
            #[$crate::abi_stable::export_root_module]
            pub fn root_module() -> SourcePluginRef {
                SourcePlugin { manifest, config_schema, check_config, test_connection, open, call }.leak_into_prefix()
            }
        }
        pub use exported_plugin::root_module;
    };
}
