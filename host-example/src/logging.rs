//! The host's log: `tracing` to stderr, and the callback through which plugins log into it.

use abi_stable::std_types::{RResult, RStr, RString};
use plugin_abi::{HostContextRef, LogLevel, PluginError};
use tracing::Level;
use tracing_subscriber::EnvFilter;

/// Starts the host's log at `level`; `RUST_LOG` refines it when set.
pub fn init(level: LogLevel) {
    let default = match level {
        LogLevel::Error => "error",
        LogLevel::Warn => "warn",
        LogLevel::Info => "info",
        LogLevel::Debug => "debug",
        LogLevel::Trace => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a person at a terminal, not in files and CI logs.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| crate::progress::LogWriter)
        .with_target(true)
        .with_ansi(ansi)
        .try_init();
}

/// What a plugin gets to log with: events at `level` and coarser reach [`plugin_log`].
pub fn host_context(level: LogLevel) -> HostContextRef {
    host_core::context::host_context(level, plugin_log, host_call)
}

/// The host's services to plugins, by name: `hostInfo`.
extern "C" fn host_call(service: RStr<'_>, _input: RStr<'_>) -> RResult<RString, PluginError> {
    host_core::context::answer_call(service, env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
}

/// Receives a plugin's log events. It must not unwind into the plugin.
extern "C" fn plugin_log(level: LogLevel, target: RStr<'_>, message: RStr<'_>) {
    let _ = std::panic::catch_unwind(|| {
        let (target, message) = (target.as_str(), message.as_str());
        match level {
            LogLevel::Error => {
                tracing::event!(target: "plugin", Level::ERROR, "[{target}] {message}")
            }
            LogLevel::Warn => {
                tracing::event!(target: "plugin", Level::WARN, "[{target}] {message}")
            }
            LogLevel::Info => {
                tracing::event!(target: "plugin", Level::INFO, "[{target}] {message}")
            }
            LogLevel::Debug => {
                tracing::event!(target: "plugin", Level::DEBUG, "[{target}] {message}")
            }
            LogLevel::Trace => {
                tracing::event!(target: "plugin", Level::TRACE, "[{target}] {message}")
            }
        }
    });
}
