//! Sends the plugin's `tracing` events (the AWS SDK's included) to the host's log callback.
//!
//! A cdylib has its own `tracing` globals, so without this its events would go nowhere. The
//! subscriber is installed once per process; each call into the plugin sets where events go.
//! Every message is scrubbed of the run's secrets before it crosses.

use std::fmt::Write as _;
use std::sync::{Once, RwLock};

use abi_stable::std_types::RStr;
use plugin_abi::{HostContext, LogLevel};
use tracing::{field::Field, Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

struct Sink {
    host: HostContext,
    secrets: Vec<String>,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static INSTALL: Once = Once::new();

/// Routes log events to `host` from now on, hiding `secrets` in them.
pub fn attach(host: HostContext, secrets: Vec<String>) {
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(ForwardLayer);
        // Fails only if something else in this library set one first; then events go there.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
    // Short secrets would scrub ordinary words; AWS secrets are long.
    let secrets = secrets.into_iter().filter(|s| s.len() >= 8).collect();
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = Some(Sink { host, secrets });
    tracing::callsite::rebuild_interest_cache();
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

struct ForwardLayer;

impl<S: Subscriber> Layer<S> for ForwardLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        let sink = SINK.read().unwrap_or_else(|e| e.into_inner());
        sink.as_ref().is_some_and(|s| level_of(metadata.level()) <= s.host.max_level)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let sink = SINK.read().unwrap_or_else(|e| e.into_inner());
        let Some(sink) = sink.as_ref() else { return };
        let meta = event.metadata();
        let level = level_of(meta.level());
        if level > sink.host.max_level {
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
        for secret in &sink.secrets {
            if message.contains(secret.as_str()) {
                message = message.replace(secret.as_str(), "***");
            }
        }
        (sink.host.log)(level, RStr::from_str(meta.target()), RStr::from_str(&message));
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
