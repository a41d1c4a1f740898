//! The plugins' logging and the host's answers to them: a plugin's events wait in a queue that
//! Python drains into its `logging`. A plugin logs from its own threads; taking the GIL there
//! could deadlock against a Python thread waiting on that plugin, so the callback only queues.
//! Every message is scrubbed of the secret values of the configurations run in this process.

use std::collections::VecDeque;
use std::sync::Mutex;

use abi_stable::std_types::{RResult, RStr, RString};
use plugin_abi::{HostContextRef, LogLevel, PluginError as AbiError};
use pyo3::prelude::*;
use serde_json::Value;

/// Events queued at most; older ones are dropped and counted when Python falls behind.
const LOG_QUEUE: usize = 10_000;

struct Logs {
    events: VecDeque<(u8, String, String)>,
    dropped: u64,
}

static LOGS: Mutex<Logs> = Mutex::new(Logs { events: VecDeque::new(), dropped: 0 });

/// Secret values of the configurations run in this process: scrubbed from every message.
static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Remembers the values of `keys` in `source`, to scrub them from every message.
pub(crate) fn remember_secrets(source: &Value, keys: &[String]) {
    fn walk(v: &Value, keys: &[String], out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        Value::String(s) if keys.contains(k) && s.len() >= 4 => out.push(s.clone()),
                        _ => walk(v, keys, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, keys, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(source, keys, &mut found);
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for s in found {
        if !secrets.contains(&s) {
            secrets.push(s);
        }
    }
}

/// `text` without any secret value remembered.
fn scrub(mut text: String) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for s in secrets.iter() {
        if text.contains(s.as_str()) {
            text = text.replace(s.as_str(), "***");
        }
    }
    text
}

extern "C" fn plugin_log(level: LogLevel, target: RStr<'_>, message: RStr<'_>) {
    let _ = std::panic::catch_unwind(|| {
        let event = (level as u8, target.as_str().to_string(), scrub(message.as_str().to_string()));
        let mut logs = LOGS.lock().unwrap_or_else(|e| e.into_inner());
        if logs.events.len() >= LOG_QUEUE {
            logs.events.pop_front();
            logs.dropped += 1;
        }
        logs.events.push_back(event);
    });
}

extern "C" fn host_call(service: RStr<'_>, _input: RStr<'_>) -> RResult<RString, AbiError> {
    host_core::context::answer_call(service, "openmetadata_plugins", env!("CARGO_PKG_VERSION"))
}

/// A Python-side level (1 error … 5 trace) as the plugin's.
pub(crate) fn level_of(level: u8) -> LogLevel {
    match level {
        0 | 1 => LogLevel::Error,
        2 => LogLevel::Warn,
        3 => LogLevel::Info,
        4 => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

/// The host context a plugin gets: its log level, the log queue and the host's answers.
pub(crate) fn host_context(level: LogLevel) -> HostContextRef {
    host_core::context::host_context(level, plugin_log, host_call)
}

/// The plugins' log events since the last call: (level 1 error … 5 trace, target, message),
/// and how many were dropped because the queue was full.
#[pyfunction]
pub(crate) fn drain_logs() -> (Vec<(u8, String, String)>, u64) {
    let mut logs = LOGS.lock().unwrap_or_else(|e| e.into_inner());
    let dropped = std::mem::take(&mut logs.dropped);
    (logs.events.drain(..).collect(), dropped)
}
