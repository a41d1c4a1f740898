//! `ingest`: one run of a source plugin into a sink, with progress, a summary and an exit code.

use std::fmt;
use std::time::{Duration, Instant};

use abi_stable::std_types::{RNone, RResult, RSome, RStr};
use anyhow::{Context, Result};
use plugin_abi::{envelope::ListingStatus, fqn, LogLevel, RecordKind};
use serde_json::Value;

use crate::plugins::Plugin;
use crate::requests::{self, Request};
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
    /// 0 when everything worked; 1 when anything failed (an error, an incomplete listing, a
    /// topic the sink could not write).
    pub fn exit_code(&self) -> i32 {
        if self.errors.is_empty() && self.listing_complete && self.writes.failures.is_empty() {
            0
        } else {
            1
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
        write!(f, "  result:            {}", if self.exit_code() == 0 { "success" } else { "FAILED (exit code 1)" })
    }
}

/// Runs the workflow's source through `plugin` into the workflow's sink.
/// `schema` is the plugin's config schema (its secret fields are masked in files).
pub fn run(workflow: &Workflow, plugin: &Plugin, schema: &Value, options: Options) -> Result<Summary> {
    let started = Instant::now();
    let service_name = workflow.service_name().context("source.serviceName is missing")?.to_string();
    let service_fqn = fqn::quote(&service_name);
    let mark_deleted =
        workflow.source.pointer("/sourceConfig/config/markDeletedTopics").and_then(Value::as_bool).unwrap_or(true);
    let sink_config = SinkConfig::from_workflow(workflow)?;
    let rest = matches!(sink_config, SinkConfig::Rest { .. });
    let connection =
        workflow.store_service_connection().then(|| workflow.source.get("serviceConnection").cloned()).flatten();
    let (mut sink, connection): (Box<dyn Sink>, Option<Value>) = match sink_config {
        SinkConfig::File { filename } => {
            // A file never holds a secret: the fields the plugin's schema marks secret are masked.
            let secret_keys = requests::secret_keys(schema);
            (Box::new(FileSink::create(filename)?), connection.map(|c| requests::redact(&c, &secret_keys)))
        }
        SinkConfig::Rest { server } => (Box::new(RestSink::connect(&server, options.sink_concurrency)?), connection),
    };
    let mut summary = Summary { service: service_fqn.clone(), rest, ..Default::default() };
    sink.service(requests::put_service(&service_name, plugin.manifest.connector_type.as_str(), connection))?;

    let config = serde_json::to_string(&workflow.source)?;
    let mut stream = plugin.module.open()(RStr::from_str(&config), crate::logging::host_context(options.level))
        .into_result()
        .map_err(|e| anyhow::anyhow!("the plugin could not start the run: {e}"))?;

    let topic_fqn = |name: &str| fqn::build([service_name.as_str(), name]);
    let mut seen: Vec<String> = Vec::new();
    let mut status: Option<ListingStatus> = None;
    // A topic waits for the next record, which may be its sample: both go to the sink together.
    let mut pending: Option<Request> = None;
    let mut last_progress = Instant::now();
    loop {
        let record = match stream.next() {
            RResult::ROk(RSome(record)) => record,
            RResult::ROk(RNone) => break,
            RResult::RErr(e) => {
                summary.errors.push(format!("the run failed: {e}"));
                break;
            }
        };
        let name = record.entity.as_str();
        match record.kind {
            RecordKind::Topic => {
                if let Some(topic) = pending.take() {
                    sink.topic(topic, None)?;
                }
                let body: Value = serde_json::from_str(record.payload.as_str())
                    .with_context(|| format!("the plugin sent a topic '{name}' that is not JSON"))?;
                let fqn = topic_fqn(name);
                seen.push(fqn.clone());
                pending = Some(requests::put_topic(fqn, body));
                summary.topics += 1;
            }
            RecordKind::TopicSampleData => {
                let body: Value = serde_json::from_str(record.payload.as_str())
                    .with_context(|| format!("the plugin sent sample data of '{name}' that is not JSON"))?;
                let fqn = topic_fqn(name);
                let has_messages = body.get("messages").and_then(Value::as_array).is_some_and(|m| !m.is_empty());
                let its_topic = pending.as_ref().is_some_and(|t| t.entity_fqn.as_deref() == Some(fqn.as_str()));
                let sample = has_messages.then(|| requests::put_sample_data(fqn, body));
                match pending.take() {
                    Some(topic) if its_topic => sink.topic(topic, sample)?,
                    other => {
                        if let Some(topic) = other {
                            sink.topic(topic, None)?;
                        }
                        summary.warnings.push(format!("sample data of '{name}' came without its topic; not written"));
                    }
                }
            }
            RecordKind::ListingStatus => {
                let s: ListingStatus = serde_json::from_str(record.payload.as_str())
                    .context("the plugin sent a listing status that is not readable")?;
                // Streams that exist but could not be read count as seen: never deleted for a failure.
                seen.extend(s.unresolved.iter().map(|name| topic_fqn(name)));
                status = Some(s);
            }
        }
        if last_progress.elapsed() >= Duration::from_secs(5) {
            tracing::info!("progress: {} topics read", summary.topics);
            last_progress = Instant::now();
        }
    }
    if let Some(topic) = pending.take() {
        sink.topic(topic, None)?;
    }
    drop(stream);
    summary.writes = sink.finish_writes()?;

    match &status {
        Some(s) => {
            summary.streams_listed = s.streams_listed;
            summary.streams_filtered = s.streams_filtered;
            summary.listing_complete = s.complete && summary.errors.is_empty();
            summary.warnings.extend(s.warnings.iter().cloned());
            summary.api_calls = s.api_calls.clone();
            if let Some(reason) = &s.reason {
                summary.errors.push(format!("the listing is incomplete: {reason}"));
            }
            if !s.unresolved.is_empty() {
                summary.errors.push(format!(
                    "{} stream(s) could not be read: {}",
                    s.unresolved.len(),
                    s.unresolved.join(", ")
                ));
            }
        }
        None => {
            if summary.errors.is_empty() {
                summary.errors.push("the plugin ended the run without a listing status".into());
            }
        }
    }

    summary.deletion = if !mark_deleted {
        "kept (markDeletedTopics is false)".into()
    } else if !summary.listing_complete {
        "kept: nothing is marked deleted after an incomplete listing".into()
    } else {
        match sink.delete_stale(&service_name, &service_fqn, seen, options.max_delete_share) {
            Ok(what) => what,
            Err(e) => {
                summary.errors.push(format!("{e:#}"));
                "kept: the deletion failed".into()
            }
        }
    };
    summary.output = sink.close()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}
