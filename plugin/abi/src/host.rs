//! What the host hands a plugin when it starts work: where the plugin's logs go, at what level.
//!
//! Its layout is frozen at 2.0 (see [`crate::SourcePlugin`]): what later hosts offer comes as
//! named services through [`HostContext::call`].

use abi_stable::{
    std_types::{RResult, RStr, RString},
    StableAbi,
};

use crate::PluginError;

/// Log levels, most severe first (the order of `tracing::Level`).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

/// The host's logging function: level, target (e.g. `kinesis_plugin::listing`), message.
/// It must not panic (a panic cannot unwind through `extern "C"`).
pub type LogCallback = extern "C" fn(level: LogLevel, target: RStr<'_>, message: RStr<'_>);

/// The host's side of a call into a plugin; it crosses as a [`HostContextRef`].
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = HostContextRef)))]
pub struct HostContext {
    /// Where the plugin sends its log events (its own `tracing` events and its dependencies').
    // Written out (not `LogCallback`): the StableAbi derive reads function pointer types inline.
    pub log: extern "C" fn(level: LogLevel, target: RStr<'_>, message: RStr<'_>),
    /// The most verbose level the host wants; the plugin drops finer events before crossing.
    pub max_level: LogLevel,
    /// A service of the host, by name: `input` and the answer are JSON; a name the host does
    /// not know is answered with an `unsupported` error. Hosts of 2.0 offer `hostInfo`
    /// (`{"host": name, "version": …, "contract": …}`). It must not panic.
    #[sabi(last_prefix_field)]
    pub call: extern "C" fn(service: RStr<'_>, input: RStr<'_>) -> RResult<RString, PluginError>,
}

/// What `hostInfo` answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    /// The host's name, e.g. `host-example`.
    pub host: String,
    pub version: String,
    /// The contract version the host was built against.
    pub contract: String,
}

/// The name of the host service that answers a [`HostInfo`].
pub const HOST_INFO: &str = "hostInfo";

impl HostContextRef {
    /// The host's [`HostInfo`], when it says.
    pub fn info(self) -> Option<HostInfo> {
        let answer = (self.call())(RStr::from_str(HOST_INFO), RStr::from_str("{}")).into_result().ok()?;
        serde_json::from_str(answer.as_str()).ok()
    }
}

impl HostContext {
    /// The context as it crosses the boundary. It lives for the rest of the process (a few
    /// bytes; hosts make one per level they use).
    pub fn into_ref(self) -> HostContextRef {
        use abi_stable::prefix_type::PrefixTypeTrait;
        self.leak_into_prefix()
    }
}
