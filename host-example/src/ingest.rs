//! `ingest`: one run of a source plugin into a sink, with progress, a summary and an exit code.

use std::fmt;
use std::time::{Duration, Instant};

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};

use abi_stable::std_types::{RNone, ROption, RResult, RSome, RStr};
use plugin_abi::{envelope::ListingStatus, fqn, ErrorKind, LogLevel, PluginError, Record, RecordKind, RecordStreamBox};
use serde_json::Value;

use crate::endpoints::{self, Entity};
use crate::failure::{self, fail, Categorize, Exit};
use crate::plugins::Plugin;
use crate::requests::{self, Request};
use crate::signals::Interrupt;
use crate::sink::{FileSink, RestSink, Sink, SinkConfig, Writes};
use crate::workflow::Workflow;

/// Knobs of a run that OpenMetadata's workflow file has no place for.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub level: LogLevel,
    /// The largest share of the service's topics a run may soft-delete.
    pub max_delete_share: f64,
    /// Requests in flight at once (metadata-rest).
    pub sink_concurrency: usize,
    /// How long one OpenMetadata call may take.
    pub sink_timeout: Duration,
}

/// What a run did, printed at its end.
#[derive(Debug, Default)]
pub struct Summary {
    pub service: String,
    pub streams_listed: u64,
    pub streams_filtered: u64,
    pub topics: u64,
    pub writes: Writes,
    pub rest: bool,
    pub listing_complete: bool,
    /// Streams that exist but are not topics yet (warned about, kept as seen).
    pub not_yet_topics: u64,
    /// The signal that stopped the run.
    pub interrupted: Option<i32>,
    /// What happened to topics that were not seen: deleted, or why not.
    pub deletion: String,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    /// Source API calls by operation, as the plugin counted them.
    pub api_calls: std::collections::BTreeMap<String, u64>,
    pub output: Option<String>,
    pub elapsed: Duration,
}

impl Summary {
    /// Interrupted by a signal; else success when everything worked; else failed (an error,
    /// an incomplete listing, a topic the sink could not write).
    pub fn exit(&self) -> Exit {
        if let Some(signal) = self.interrupted {
            Exit::Interrupted(signal)
        } else if self.errors.is_empty() && self.listing_complete && self.writes.failures.is_empty() {
            Exit::Success
        } else {
            Exit::RunFailed
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.writes;
        writeln!(f, "Workflow summary")?;
        writeln!(f, "  service:           {}", self.service)?;
        writeln!(f, "  streams listed:    {}", self.streams_listed)?;
        writeln!(f, "  filtered out:      {}", self.streams_filtered)?;
        if self.rest {
            writeln!(
                f,
                "  topics written:    {} (created {}, updated {})",
                w.created + w.updated,
                w.created,
                w.updated
            )?;
        } else {
            writeln!(f, "  topics written:    {}", w.created)?;
        }
        writeln!(f, "  samples written:   {}", w.samples)?;
        writeln!(f, "  listing complete:  {}", if self.listing_complete { "yes" } else { "no" })?;
        if self.not_yet_topics > 0 {
            writeln!(f, "  not topics yet:    {} (being created or without an open shard; kept)", self.not_yet_topics)?;
        }
        writeln!(f, "  unseen topics:     {}", self.deletion)?;
        if let Some(output) = &self.output {
            writeln!(f, "  output:            {output}")?;
        }
        if !self.api_calls.is_empty() {
            let calls: Vec<String> =
                self.api_calls.iter().filter(|(_, n)| **n > 0).map(|(op, n)| format!("{op} {n}")).collect();
            writeln!(f, "  api calls:         {}", calls.join(", "))?;
        }
        writeln!(f, "  warnings:          {}", self.warnings.len())?;
        for warning in &self.warnings {
            writeln!(f, "    - {warning}")?;
        }
        writeln!(f, "  failed topics:     {}", w.failures.len())?;
        for (topic, why) in &w.failures {
            writeln!(f, "    - {topic}: {why}")?;
        }
        writeln!(f, "  errors:            {}", self.errors.len())?;
        for e in &self.errors {
            writeln!(f, "    - {e}")?;
        }
        writeln!(f, "  time:              {:.2}s", self.elapsed.as_secs_f64())?;
        let result = match self.exit() {
            Exit::Success => "success".to_string(),
            Exit::Interrupted(signal) => {
                format!("INTERRUPTED by {} (exit code {})", Interrupt::name(signal), self.exit().code())
            }
            other => format!("FAILED (exit code {})", other.code()),
        };
        write!(f, "  result:            {result}")
    }
}

/// Runs the workflow's source through `plugin` into the workflow's sink.
/// `schema` is the plugin's config schema (its secret fields are masked in files).
///
/// Failures before the run starts (the sink's configuration, an OpenMetadata server that cannot
/// be used, a configuration the plugin refuses) are returned as bad input; once the run has
/// started, every failure is recorded in the summary, which is always returned.
pub fn run(
    workflow: &Workflow,
    plugin: &Plugin,
    schema: &Value,
    options: Options,
    interrupt: &Interrupt,
) -> failure::Result<Summary> {
    let started = Instant::now();
    let Some(service_name) = workflow.service_name().map(str::to_string) else {
        fail!(BadInput, "source.serviceName is missing")
    };
    let service_fqn = fqn::quote(&service_name);
    let kind = plugin.manifest.service_kind.as_str();
    let Some(service) = endpoints::service(kind) else {
        fail!(
            BadInput,
            "the plugin's service kind '{kind}' is not one this host writes ({})",
            endpoints::service_kinds().join(", ")
        )
    };
    // What the records of contract 1.x are: topics and their sample data.
    let entity = endpoints::entity("topic").expect("topics are in the table");
    let mark_deleted = workflow
        .source
        .pointer(&format!("/sourceConfig/config/{}", entity.mark_deleted_option))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let sink_config = SinkConfig::from_workflow(workflow).bad_input()?;
    let rest = matches!(sink_config, SinkConfig::Rest { .. });
    let connection =
        workflow.store_service_connection().then(|| workflow.source.get("serviceConnection").cloned()).flatten();
    let (mut sink, connection): (Box<dyn Sink>, Option<Value>) = match sink_config {
        SinkConfig::File { filename } => {
            // A file never holds a secret: the fields the plugin's schema marks secret are masked.
            let secret_keys = requests::secret_keys(schema);
            (Box::new(FileSink::create(filename).bad_input()?), connection.map(|c| requests::redact(&c, &secret_keys)))
        }
        SinkConfig::Rest { server } => (
            Box::new(
                RestSink::connect(&server, service, &service_name, options.sink_concurrency, options.sink_timeout)
                    .bad_input()?,
            ),
            connection,
        ),
    };

    let config = serde_json::to_string(&workflow.source).bad_input()?;
    let stream = match plugin.module.open()(RStr::from_str(&config), crate::logging::host_context(options.level))
        .into_result()
    {
        Ok(stream) => stream,
        Err(e) if e.kind == ErrorKind::InvalidConfig => {
            // The plugin's paths are within `source`.
            let at = e.field.as_ref().map_or_else(|| "source".to_string(), |f| format!("source{f}"));
            fail!(BadInput, "{at}: {} (the plugin refused the configuration)", e.message)
        }
        Err(e) => fail!(RunFailed, "the plugin could not start the run: {e}"),
    };

    // From here on the run has started: failures go into the summary.
    let mut summary = Summary { service: service_fqn.clone(), rest, ..Default::default() };
    let records = Puller::start(stream);
    let mut seen: Vec<String> = Vec::new();
    let mut status: Option<ListingStatus> = None;
    let service_request =
        requests::put_service(service, &service_name, plugin.manifest.connector_type.as_str(), connection);
    if let Err(e) = sink.service(service_request) {
        summary.errors.push(format!("cannot create the messaging service '{service_name}': {e:#}"));
    } else {
        pull(&records, sink.as_mut(), entity, &service_fqn, interrupt, &mut summary, &mut seen, &mut status);
    }
    // Dropping the receiver stops the puller, which drops the plugin's stream (its work is
    // cancelled); it gets a moment to do so.
    records.stop(Duration::from_secs(3));
    if summary.interrupted.is_some() {
        sink.abort();
    }
    match sink.finish_writes() {
        Ok(writes) => summary.writes = writes,
        Err(e) => summary.errors.push(format!("{e:#}")),
    }
    apply_status(&mut summary, status, &service_fqn, &mut seen);

    summary.deletion = if let Some(signal) = summary.interrupted {
        format!("kept: the run was interrupted ({})", Interrupt::name(signal))
    } else if !mark_deleted {
        format!("kept ({} is false)", entity.mark_deleted_option)
    } else if !summary.listing_complete {
        "kept: nothing is marked deleted after an incomplete listing".into()
    } else if !summary.errors.is_empty() || !summary.writes.failures.is_empty() {
        "kept: nothing is marked deleted after a run with errors".into()
    } else {
        match sink.delete_stale(entity, &service_name, &service_fqn, seen, options.max_delete_share) {
            Ok(what) => what,
            Err(e) => {
                summary.errors.push(format!("{e:#}"));
                "kept: the deletion failed (see errors)".into()
            }
        }
    };
    let succeeded = summary.exit() == Exit::Success;
    match sink.close(succeeded) {
        Ok(output) => summary.output = output,
        Err(e) => summary.errors.push(format!("{e:#}")),
    }
    if !succeeded && !rest {
        summary.output = Some("not written: the previous file, if any, is left as it was".into());
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The plugin's stream, pulled on a thread of its own so that the run can be interrupted while
/// the plugin is busy: the host waits for records, or for a signal, never only for the plugin.
struct Puller {
    records: Option<Receiver<RResult<ROption<Record>, PluginError>>>,
    done: Receiver<()>,
}

impl Puller {
    fn start(mut stream: RecordStreamBox) -> Self {
        let (tx, rx) = sync_channel(16);
        let (done_tx, done_rx) = sync_channel(1);
        std::thread::Builder::new()
            .name("plugin-records".into())
            .spawn(move || {
                loop {
                    let item = stream.next();
                    let last = !matches!(item, RResult::ROk(RSome(_)));
                    if tx.send(item).is_err() || last {
                        break;
                    }
                }
                drop(stream);
                let _ = done_tx.send(());
            })
            .expect("a thread");
        Puller { records: Some(rx), done: done_rx }
    }

    fn next(&self, wait: Duration) -> Result<RResult<ROption<Record>, PluginError>, RecvTimeoutError> {
        self.records.as_ref().ok_or(RecvTimeoutError::Disconnected)?.recv_timeout(wait)
    }

    /// Stops pulling; waits up to `grace` for the plugin's stream to be dropped.
    fn stop(mut self, grace: Duration) {
        drop(self.records.take());
        if self.done.recv_timeout(grace).is_err() {
            tracing::warn!("the plugin did not stop within {grace:?}; its work ends with this process");
        }
    }
}

/// Pulls records into the sink until the end, an error, or a signal.
#[allow(clippy::too_many_arguments)]
fn pull(
    records: &Puller,
    sink: &mut dyn Sink,
    entity: &Entity,
    service_fqn: &str,
    interrupt: &Interrupt,
    summary: &mut Summary,
    seen: &mut Vec<String>,
    status: &mut Option<ListingStatus>,
) {
    // A topic waits for the next record, which may be its sample: both go to the sink together.
    let mut pending: Option<Request> = None;
    let mut last_progress = Instant::now();
    let write = |sink: &mut dyn Sink, topic: Request, sample: Option<Request>, summary: &mut Summary| {
        let fqn = topic.entity_fqn.clone().unwrap_or_default();
        sink.topic(topic, sample).map_err(|e| summary.errors.push(format!("cannot write topic {fqn}: {e:#}"))).is_ok()
    };
    loop {
        if let Some(signal) = interrupt.received() {
            summary.interrupted = Some(signal);
            return;
        }
        let record = match records.next(Duration::from_millis(200)) {
            Ok(RResult::ROk(RSome(record))) => record,
            Ok(RResult::ROk(RNone)) => break,
            Ok(RResult::RErr(e)) => {
                summary.errors.push(format!("the plugin failed: {e}"));
                break;
            }
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => {
                summary.errors.push("the plugin's record stream ended without saying so".into());
                break;
            }
        };
        let name = record.entity.as_str();
        match record.kind {
            RecordKind::Topic => {
                if let Some(topic) = pending.take() {
                    if !write(sink, topic, None, summary) {
                        return;
                    }
                }
                let body: Value = match serde_json::from_str(record.payload.as_str()) {
                    Ok(body) => body,
                    Err(e) => {
                        summary.errors.push(format!("the plugin sent a topic '{name}' that is not JSON: {e}"));
                        continue;
                    }
                };
                match topic_fqn(&body, service_fqn) {
                    Ok(fqn) => {
                        seen.push(fqn.clone());
                        pending = Some(requests::put_entity(entity, fqn, body));
                        summary.topics += 1;
                    }
                    Err(why) => summary.errors.push(format!("topic '{name}' not written: {why}")),
                }
            }
            RecordKind::TopicSampleData => {
                let body: Value = match serde_json::from_str(record.payload.as_str()) {
                    Ok(body) => body,
                    Err(e) => {
                        summary.errors.push(format!("the plugin sent sample data of '{name}' that is not JSON: {e}"));
                        continue;
                    }
                };
                let has_messages = body.get("messages").and_then(Value::as_array).is_some_and(|m| !m.is_empty());
                // The sample belongs to the pending topic when it names the same stream.
                let its_topic =
                    pending.as_ref().is_some_and(|t| t.body.get("name").and_then(Value::as_str) == Some(name));
                match pending.take() {
                    Some(topic) if its_topic => {
                        let fqn = topic.entity_fqn.clone().unwrap_or_default();
                        let sample = if has_messages { requests::put_sample_data(entity, fqn, body) } else { None };
                        if !write(sink, topic, sample, summary) {
                            return;
                        }
                    }
                    other => {
                        if let Some(topic) = other {
                            if !write(sink, topic, None, summary) {
                                return;
                            }
                        }
                        summary.warnings.push(format!("sample data of '{name}' came without its topic; not written"));
                    }
                }
            }
            RecordKind::ListingStatus => match serde_json::from_str::<ListingStatus>(record.payload.as_str()) {
                Ok(s) => *status = Some(s),
                Err(e) => summary.errors.push(format!("the plugin sent a listing status that is not readable: {e}")),
            },
        }
        if last_progress.elapsed() >= Duration::from_secs(5) {
            tracing::info!("progress: {} topics read", summary.topics);
            last_progress = Instant::now();
        }
    }
    if let Some(topic) = pending.take() {
        write(sink, topic, None, summary);
    }
}

/// The FQN OpenMetadata will give the topic: the payload's `service` (the service's FQN) and
/// its quoted `name`, the same fields the server builds it from.
fn topic_fqn(body: &Value, service_fqn: &str) -> Result<String, String> {
    let name = body.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or("the request has no name")?;
    let service = body.get("service").and_then(Value::as_str).ok_or("the request has no service")?;
    if service != service_fqn {
        return Err(format!("the request names service '{service}', not this run's '{service_fqn}'"));
    }
    Ok(format!("{service}.{}", fqn::quote(name)))
}

/// Takes the plugin's listing status into the summary.
fn apply_status(summary: &mut Summary, status: Option<ListingStatus>, service_fqn: &str, seen: &mut Vec<String>) {
    let Some(s) = status else {
        if summary.errors.is_empty() && summary.interrupted.is_none() {
            summary.errors.push("the plugin ended the run without a listing status".into());
        }
        return;
    };
    summary.streams_listed = s.streams_listed;
    summary.streams_filtered = s.streams_filtered;
    summary.listing_complete = s.complete && summary.errors.is_empty();
    summary.warnings.extend(s.warnings.iter().cloned());
    summary.api_calls = s.api_calls.clone();
    summary.not_yet_topics = s.not_yet_topics.len() as u64;
    // Streams that exist but could not be read, or are not topics yet, count as seen: never
    // deleted for that.
    let unseen_fqn = |name: &String| format!("{service_fqn}.{}", fqn::quote(name));
    seen.extend(s.unresolved.iter().chain(&s.not_yet_topics).map(unseen_fqn));
    if let Some(reason) = &s.reason {
        summary.errors.push(format!("the listing is incomplete: {reason}"));
    }
    if !s.unresolved.is_empty() {
        summary.errors.push(format!("{} stream(s) could not be read: {}", s.unresolved.len(), s.unresolved.join(", ")));
    }
}
