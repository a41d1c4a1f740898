//! The context a host hands its plugins: its log callback, the level it wants, its services.
//! A context crosses the boundary as a static, so one is made per (level, callbacks) for the
//! whole process.

use std::sync::Mutex;

use abi_stable::std_types::{RResult, RStr, RString};
use plugin_abi::{host::HostInfo, HostContext, HostContextRef, LogLevel, PluginError};

/// A host's log callback: it must not unwind into the plugin.
pub type LogFn = extern "C" fn(level: LogLevel, target: RStr<'_>, message: RStr<'_>);
/// A host's service callback: it must not unwind into the plugin.
pub type CallFn = extern "C" fn(service: RStr<'_>, input: RStr<'_>) -> RResult<RString, PluginError>;

/// The context for `level` with these callbacks, made once.
pub fn host_context(level: LogLevel, log: LogFn, call: CallFn) -> HostContextRef {
    static CONTEXTS: Mutex<Vec<(LogLevel, usize, usize, HostContextRef)>> = Mutex::new(Vec::new());
    let key = (level, log as usize, call as usize);
    let mut contexts = CONTEXTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((.., context)) = contexts.iter().find(|(l, g, c, _)| (*l, *g, *c) == key) {
        return *context;
    }
    let context = HostContext { log, max_level: level, call }.into_ref();
    contexts.push((level, key.1, key.2, context));
    context
}

/// The answer to the services every host offers: `hostInfo` (as `host`, at `version`), and
/// `unsupported` for any other; never a panic across the boundary.
pub fn answer_call(service: RStr<'_>, host: &str, version: &str) -> RResult<RString, PluginError> {
    std::panic::catch_unwind(|| match service.as_str() {
        plugin_abi::host::HOST_INFO => {
            let info =
                HostInfo { host: host.into(), version: version.into(), contract: plugin_abi::ABI_VERSION.into() };
            RResult::ROk(serde_json::to_string(&info).unwrap_or_default().into())
        }
        other => RResult::RErr(plugin_abi::unsupported(other)),
    })
    .unwrap_or_else(|_| RResult::RErr(PluginError::internal("the host's service panicked")))
}
