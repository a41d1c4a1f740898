//! What the host hands a plugin when it starts work: for now, where the plugin's logs go.

use abi_stable::{std_types::RStr, StableAbi};

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

/// The host's side of a call into a plugin.
#[repr(C)]
#[derive(StableAbi, Clone, Copy)]
pub struct HostContext {
    /// Where the plugin sends its log events (its own `tracing` events and its dependencies').
    // Written out (not `LogCallback`): the StableAbi derive reads function pointer types inline.
    pub log: extern "C" fn(level: LogLevel, target: RStr<'_>, message: RStr<'_>),
    /// The most verbose level the host wants; the plugin drops finer events before crossing.
    pub max_level: LogLevel,
}
