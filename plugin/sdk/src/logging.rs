//! Sends the plugin's `tracing` events (the AWS SDK's included) to the host's log callback.
//!
//! A cdylib has its own `tracing` globals, so without this its events would go nowhere. Each
//! call into the plugin (a connection test, a run) gets a dispatcher of its own, holding the
//! host's callback and that call's secrets: it is the default on the threads that do the call's
//! work (the run's runtime threads, or the caller's thread), so two runs in one process each
//! scrub their own secrets and log to their own host context. Nothing is process-wide.

use std::fmt::Write as _;

use abi_stable::std_types::RStr;
use plugin_abi::{HostContextRef, LogLevel};
use tracing::{field::Field, Dispatch, Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The dispatcher of one call: events at the host's level reach `host`, with every secret
/// (however short) replaced by `***`.
pub fn dispatch(host: HostContextRef, secrets: Vec<String>) -> Dispatch {
    let mut secrets: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
    // Longest first, so that a secret inside another is not half-replaced.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    Dispatch::new(tracing_subscriber::registry().with(ForwardLayer {
        log: host.log(),
        max_level: host.max_level(),
        secrets,
    }))
}

/// Makes `dispatch` the default of the current thread for the rest of its life (a runtime's
/// worker and blocking threads call this as they start).
pub fn adopt(dispatch: &Dispatch) {
    // The guard would restore the previous default when dropped: the thread keeps this one.
    std::mem::forget(tracing::dispatcher::set_default(dispatch));
}

/// Replaces every secret in `message` with `***`.
pub fn scrub(mut message: String, secrets: &[String]) -> String {
    for secret in secrets {
        if message.contains(secret.as_str()) {
            message = message.replace(secret.as_str(), "***");
        }
    }
    message
}

fn level_of(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warn,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        Level::TRACE => LogLevel::Trace,
    }
}

struct ForwardLayer {
    log: plugin_abi::host::LogCallback,
    max_level: LogLevel,
    secrets: Vec<String>,
}

impl<S: Subscriber> Layer<S> for ForwardLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        level_of(metadata.level()) <= self.max_level
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        let level = level_of(meta.level());
        if level > self.max_level {
            return;
        }
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        let mut message = visitor.message;
        if !visitor.fields.is_empty() {
            if !message.is_empty() {
                message.push(' ');
            }
            message.push_str(visitor.fields.trim_start());
        }
        let message = scrub(message, &self.secrets);
        (self.log)(level, RStr::from_str(meta.target()), RStr::from_str(&message));
    }
}

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl tracing::field::Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_secret_is_scrubbed_however_short_longest_first() {
        let secrets = vec!["abcdef".to_string(), "k9".to_string(), "abc".to_string()];
        let mut sorted = secrets.clone();
        sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
        assert_eq!(scrub("key abcdef, token k9, part abc".into(), &sorted), "key ***, token ***, part ***");
    }
}
