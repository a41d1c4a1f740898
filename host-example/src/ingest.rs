//! `ingest`: one run of a source plugin into a sink, with progress, a summary and an exit code.

use std::fmt;
use std::time::{Duration, Instant};

use abi_stable::std_types::{RResult, RStr};
use anyhow::{Context, Result};
use plugin_abi::{envelope::ListingStatus, fqn, LogLevel, Record, RecordKind};
use serde_json::Value;

use crate::plugins::Plugin;
use crate::requests::{self, Request};
use crate::sink::{FileSink, SinkConfig};
use crate::workflow::Workflow;

/// What a run did, printed at its end.
#[derive(Debug, Default)]
pub struct Summary {
    pub service: String,
    pub streams_listed: u64,
    pub streams_filtered: u64,
    pub topics: u64,
    pub samples: u64,
    pub listing_complete: bool,
    /// What happened about topics that were not seen: the deleteStale request, or why not.
    pub deletion: String,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
    pub output: Option<String>,
    pub elapsed: Duration,
}

impl Summary {
    /// 0 when everything worked; 1 when anything failed (an error, an incomplete listing).
    pub fn exit_code(&self) -> i32 {
        if self.errors.is_empty() && self.listing_complete {
            0
        } else {
            1
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Workflow summary")?;
        writeln!(f, "  service:           {}", self.service)?;
        writeln!(f, "  streams listed:    {}", self.streams_listed)?;
        writeln!(f, "  filtered out:      {}", self.streams_filtered)?;
        writeln!(f, "  topics written:    {}", self.topics)?;
        writeln!(f, "  samples written:   {}", self.samples)?;
        writeln!(f, "  listing complete:  {}", if self.listing_complete { "yes" } else { "no" })?;
        writeln!(f, "  unseen topics:     {}", self.deletion)?;
        if let Some(output) = &self.output {
            writeln!(f, "  output:            {output}")?;
        }
        writeln!(f, "  warnings:          {}", self.warnings.len())?;
        for w in &self.warnings {
            writeln!(f, "    - {w}")?;
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
pub fn run(workflow: &Workflow, plugin: &Plugin, level: LogLevel) -> Result<Summary> {
    let started = Instant::now();
    let SinkConfig::File { filename } = SinkConfig::from_workflow(workflow)?;
    let service_name = workflow.service_name().context("source.serviceName is missing")?.to_string();
    let service_fqn = fqn::quote(&service_name);
    let mark_deleted =
        workflow.source.pointer("/sourceConfig/config/markDeletedTopics").and_then(Value::as_bool).unwrap_or(true);
    let schema: Value = serde_json::from_str(plugin.module.config_schema()().into_result()?.as_str())
        .context("the plugin's config schema is not JSON")?;
    let secret_keys = requests::secret_keys(&schema);

    let mut sink = FileSink::create(filename)?;
    let mut summary = Summary { service: service_fqn.clone(), ..Default::default() };

    // The service comes first, as OpenMetadata's sink sends it; a file never holds a secret.
    let connection = workflow
        .store_service_connection()
        .then(|| workflow.source.get("serviceConnection").map(|c| requests::redact(c, &secret_keys)))
        .flatten();
    sink.write(&requests::put_service(&service_name, plugin.manifest.connector_type.as_str(), connection))?;

    let config = serde_json::to_string(&workflow.source)?;
    let open = plugin.module.open();
    let mut stream = match open(RStr::from_str(&config), crate::logging::host_context(level)) {
        RResult::ROk(stream) => stream,
        RResult::RErr(e) => {
            sink.discard();
            anyhow::bail!("the plugin could not start the run: {e}");
        }
    };

    let mut seen: Vec<String> = Vec::new();
    let mut status: Option<ListingStatus> = None;
    let mut last_progress = Instant::now();
    loop {
        let record: Record = match stream.next() {
            RResult::ROk(abi_stable::std_types::RSome(record)) => record,
            RResult::ROk(abi_stable::std_types::RNone) => break,
            RResult::RErr(e) => {
                summary.errors.push(format!("the run failed: {e}"));
                break;
            }
        };
        let topic_fqn = || fqn::build([service_name.as_str(), record.entity.as_str()]);
        match record.kind {
            RecordKind::Topic => {
                let body: Value = serde_json::from_str(record.payload.as_str())
                    .with_context(|| format!("the plugin sent a topic '{}' that is not JSON", record.entity))?;
                seen.push(topic_fqn());
                sink.write(&requests::put_topic(topic_fqn(), body))?;
                summary.topics += 1;
            }
            RecordKind::TopicSampleData => {
                let body: Value = serde_json::from_str(record.payload.as_str())
                    .with_context(|| format!("the plugin sent sample data of '{}' that is not JSON", record.entity))?;
                let has_messages = body.get("messages").and_then(Value::as_array).is_some_and(|m| !m.is_empty());
                if has_messages {
                    sink.write(&requests::put_sample_data(topic_fqn(), body))?;
                    summary.samples += 1;
                }
            }
            RecordKind::ListingStatus => {
                let s: ListingStatus = serde_json::from_str(record.payload.as_str())
                    .context("the plugin sent a listing status that is not readable")?;
                // Streams that exist but could not be read are seen: never deleted for a failure.
                seen.extend(s.unresolved.iter().map(|name| fqn::build([service_name.as_str(), name.as_str()])));
                status = Some(s);
            }
        }
        if last_progress.elapsed() >= Duration::from_secs(5) {
            tracing::info!("progress: {} topics, {} samples written", summary.topics, summary.samples);
            last_progress = Instant::now();
        }
    }
    drop(stream);

    match &status {
        Some(s) => {
            summary.streams_listed = s.streams_listed;
            summary.streams_filtered = s.streams_filtered;
            summary.listing_complete = s.complete && summary.errors.is_empty();
            summary.warnings.extend(s.warnings.iter().cloned());
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
            summary.listing_complete = false;
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
        let request: Request = requests::delete_stale(&service_fqn, seen);
        sink.write(&request)?;
        "those not seen in this run are to be soft-deleted (deleteStale request written)".into()
    };
    summary.output = Some(sink.commit()?.display().to_string());
    summary.elapsed = started.elapsed();
    Ok(summary)
}
