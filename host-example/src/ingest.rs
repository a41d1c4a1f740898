//! `ingest`: one run of a source plugin into a sink, with progress, a summary and an exit code.
//! Nothing here knows a connector: the plugin's manifest says its service kind and entity
//! types, its records say what they are, and `crate::endpoints` says where each goes.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use std::sync::mpsc::RecvTimeoutError;

use host_core::puller::Puller;

use abi_stable::std_types::{RNone, RResult, RSome, RStr};
use plugin_abi::{
    envelope::{Labels, LineageEdge, ListingStatus, Progress},
    fqn, ErrorKind, LogLevel, Record, RecordKind,
};
use serde_json::Value;

use crate::endpoints::{self, Entity};
use crate::pipeline_status::{Outcome, Reporter};
use crate::requests::{self, Request};
use crate::signals::Interrupt;
use crate::sink::{FileSink, LineageWrites, RestSink, Sink, SinkConfig, TypeWrites, Writes};
use crate::workflow::Workflow;
use host_core::failure::{self, fail, Categorize, Exit};
use host_core::plugins::Plugin;

/// Knobs of a run that OpenMetadata's workflow file has no place for.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub level: LogLevel,
    /// The largest share of the service's entities of a type a run may soft-delete.
    pub max_delete_share: f64,
    /// Requests in flight at once (metadata-rest).
    pub sink_concurrency: usize,
    /// How long one OpenMetadata call may take.
    pub sink_timeout: Duration,
}

/// What a run did with one entity type.
#[derive(Debug)]
pub struct TypeSummary {
    pub entity: &'static Entity,
    /// The plugin's listing status for this type in this run's service.
    pub status: Option<ListingStatus>,
    /// FQNs of the entities seen (written, or existing but unreadable): never deleted.
    pub seen: Vec<String>,
    /// Entity records taken from the plugin.
    pub entities_taken: u64,
    /// What happened to entities that were not seen: deleted, or why not.
    pub deletion: String,
}

impl TypeSummary {
    fn new(entity: &'static Entity) -> Self {
        TypeSummary { entity, status: None, seen: Vec::new(), entities_taken: 0, deletion: String::new() }
    }

    fn complete(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.complete)
    }
}

/// What a run did, printed at its end.
#[derive(Debug, Default)]
pub struct Summary {
    pub service: String,
    pub types: Vec<TypeSummary>,
    pub writes: Writes,
    pub lineage: LineageWrites,
    /// Lineage records received.
    pub lineage_edges: u64,
    /// What became of the entities' tags and owners (`labels` records).
    pub labels: crate::labels::LabelCounts,
    pub rest: bool,
    /// The signal that stopped the run.
    pub interrupted: Option<i32>,
    pub warnings: Vec<String>,
    /// What failed the run as a whole: the plugin failed, a listing was cut short, the sink
    /// could not go on.
    pub errors: Vec<String>,
    /// Objects of the source that failed one by one (could not be read, a record that is not
    /// a valid request): name and why. They lower the success percentage.
    pub record_errors: Vec<(String, String)>,
    /// `workflowConfig.successThreshold`: the success percentage below which a run with
    /// failures is failed rather than partly successful.
    pub success_threshold: u8,
    /// `workflowConfig.raiseOnError`: whether a partly successful run exits 1.
    pub raise_on_error: bool,
    /// The steps' names: the connector type, and the sink's (`OpenMetadata`, `File`).
    pub source_name: String,
    pub sink_name: String,
    /// Records of kinds or entity types this host does not know, skipped: how many of each.
    pub skipped_records: BTreeMap<String, u64>,
    /// Source API calls by operation, as the plugin counted them.
    pub api_calls: BTreeMap<String, u64>,
    pub output: Option<String>,
    /// What was reported to the ingestion pipeline, when the workflow names one.
    pub pipeline_status: Option<String>,
    pub elapsed: Duration,
}

impl Summary {
    /// The summary as JSON, for scripts (`ingest --output json`).
    pub fn to_json(&self) -> Value {
        let step = |name: &str, c: StepCounts| {
            serde_json::json!({
                "name": name, "records": c.records, "updatedRecords": c.updated_records, "warnings": c.warnings,
                "errors": c.errors, "filtered": c.filtered,
                "failures": c.failures.iter().map(|(n, e)| serde_json::json!({"name": n, "error": e})).collect::<Vec<_>>(),
            })
        };
        let empty = TypeWrites::default();
        let types: Vec<Value> = self
            .types
            .iter()
            .map(|t| {
                let w = self.writes.by_type.get(t.entity.entity_type).unwrap_or(&empty);
                let status = t.status.clone().unwrap_or_default();
                serde_json::json!({
                    "entityType": t.entity.entity_type, "listed": status.listed, "filtered": status.filtered,
                    "created": w.created, "updated": w.updated, "writtenInBulk": w.upserted, "samples": w.samples,
                    "listingComplete": t.complete(), "notYet": status.not_yet, "deletion": t.deletion,
                    "failures": w.failures.iter().map(|(n, e)| serde_json::json!({"name": n, "error": e})).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::json!({
            "service": self.service,
            "state": self.state().pipeline_state(),
            "exitCode": self.exit().code(),
            "successPercent": (self.success_percent() * 10.0).round() / 10.0,
            "successThreshold": self.success_threshold,
            "steps": [step(&self.source_name, self.source_step()), step(&self.sink_name, self.sink_step())],
            "entityTypes": types,
            "lineage": {"edges": self.lineage_edges, "added": self.lineage.added, "skipped": self.lineage.skipped, "failed": self.lineage.failures},
            "labels": self.labels.to_json(),
            "warnings": self.warnings,
            "errors": self.errors,
            "apiCalls": self.api_calls,
            "output": self.output,
            "pipelineStatus": self.pipeline_status,
            "seconds": (self.elapsed.as_secs_f64() * 100.0).round() / 100.0,
        })
    }
}

/// How a run ended, as OpenMetadata's pipeline status names it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RunState {
    Success,
    /// Some objects failed, and the success percentage is at or above the threshold.
    PartialSuccess,
    Failed,
    /// Stopped by this signal.
    Stopped(i32),
}

impl RunState {
    /// OpenMetadata's `pipelineState`.
    pub fn pipeline_state(self) -> &'static str {
        match self {
            RunState::Success => "success",
            RunState::PartialSuccess => "partialSuccess",
            RunState::Failed => "failed",
            RunState::Stopped(_) => "stopped",
        }
    }
}

/// What one step (source or sink) did, as OpenMetadata's StepSummary counts it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepCounts {
    pub records: u64,
    pub updated_records: u64,
    pub warnings: u64,
    pub errors: u64,
    pub filtered: u64,
    /// Name and error of what failed.
    pub failures: Vec<(String, String)>,
}

impl StepCounts {
    /// The share of records that went through, in percent (100 when there were none).
    pub fn success_percent(&self) -> f64 {
        let all = self.records + self.errors;
        if all == 0 {
            100.0
        } else {
            self.records as f64 * 100.0 / all as f64
        }
    }
}

impl Summary {
    /// The source step: entities read, objects that failed, filtered, warnings.
    pub fn source_step(&self) -> StepCounts {
        let statuses = self.types.iter().filter_map(|t| t.status.as_ref());
        StepCounts {
            records: self.types.iter().map(|t| t.entities_taken).sum(),
            updated_records: 0,
            warnings: self.warnings.len() as u64,
            errors: self.record_errors.len() as u64,
            filtered: statuses.map(|s| s.filtered).sum(),
            failures: self.record_errors.clone(),
        }
    }

    /// The sink step: requests written, updated, failed; lineage edges skipped as warnings.
    pub fn sink_step(&self) -> StepCounts {
        let w = self.writes.by_type.values();
        let mut failures: Vec<(String, String)> =
            self.writes.by_type.values().flat_map(|w| w.failures.iter().cloned()).collect();
        failures.extend(self.lineage.failures.iter().map(|f| ("lineage".to_string(), f.clone())));
        StepCounts {
            records: w.clone().map(|w| w.created + w.updated + w.upserted + w.samples).sum::<u64>()
                + self.lineage.added,
            updated_records: w.map(|w| w.updated).sum(),
            warnings: self.lineage.skipped.len() as u64,
            errors: failures.len() as u64,
            filtered: 0,
            failures,
        }
    }

    /// The lowest success percentage of the steps, as OpenMetadata computes it.
    pub fn success_percent(&self) -> f64 {
        self.source_step().success_percent().min(self.sink_step().success_percent())
    }

    /// Stopped by a signal; failed when the run as a whole failed (an error, an incomplete
    /// listing) or too many objects did; partly successful when some objects failed; else
    /// successful.
    pub fn state(&self) -> RunState {
        let failed_objects = self.source_step().errors + self.sink_step().errors;
        if let Some(signal) = self.interrupted {
            RunState::Stopped(signal)
        } else if !self.errors.is_empty() || !self.types.iter().all(TypeSummary::complete) {
            RunState::Failed
        } else if failed_objects == 0 {
            RunState::Success
        } else if self.success_percent() >= f64::from(self.success_threshold) {
            RunState::PartialSuccess
        } else {
            RunState::Failed
        }
    }

    /// The exit code: a partly successful run exits 1 unless `raiseOnError` is false.
    pub fn exit(&self) -> Exit {
        match self.state() {
            RunState::Stopped(signal) => Exit::Interrupted(signal),
            RunState::Success => Exit::Success,
            RunState::PartialSuccess if !self.raise_on_error => Exit::Success,
            RunState::PartialSuccess | RunState::Failed => Exit::RunFailed,
        }
    }

    fn of_type(&mut self, entity: &'static Entity) -> &mut TypeSummary {
        if let Some(i) = self.types.iter().position(|t| std::ptr::eq(t.entity, entity)) {
            return &mut self.types[i];
        }
        self.types.push(TypeSummary::new(entity));
        self.types.last_mut().expect("just pushed")
    }

    fn skip(&mut self, what: String) {
        *self.skipped_records.entry(what).or_default() += 1;
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Workflow summary")?;
        writeln!(f, "  service:           {}", self.service)?;
        let empty = TypeWrites::default();
        for t in &self.types {
            let plural = t.entity.plural;
            let w = self.writes.by_type.get(t.entity.entity_type).unwrap_or(&empty);
            let status = t.status.clone().unwrap_or_default();
            if self.types.len() > 1 {
                writeln!(f, "  [{plural}]")?;
            }
            writeln!(f, "  listed:            {}", status.listed)?;
            writeln!(f, "  filtered out:      {}", status.filtered)?;
            let label = format!("{plural} written:");
            if self.rest && w.upserted > 0 && w.created + w.updated == 0 {
                // The server's bulk answer does not say which were new.
                writeln!(f, "  {label:<19}{} (in bulk)", w.upserted)?;
            } else if self.rest && w.upserted > 0 {
                writeln!(
                    f,
                    "  {label:<19}{} (in bulk {}, created {}, updated {})",
                    w.created + w.updated + w.upserted,
                    w.upserted,
                    w.created,
                    w.updated
                )?;
            } else if self.rest {
                writeln!(f, "  {label:<19}{} (created {}, updated {})", w.created + w.updated, w.created, w.updated)?;
            } else {
                writeln!(f, "  {label:<19}{}", w.created)?;
            }
            if t.entity.sample_data.is_some() {
                writeln!(f, "  samples written:   {}", w.samples)?;
            }
            writeln!(f, "  listing complete:  {}", if t.complete() { "yes" } else { "no" })?;
            if !status.not_yet.is_empty() {
                let label = format!("not {plural} yet:");
                writeln!(f, "  {label:<19}{} (being created or not ready; kept)", status.not_yet.len())?;
            }
            let label = format!("unseen {plural}:");
            writeln!(f, "  {label:<19}{}", t.deletion)?;
            let label = format!("failed {plural}:");
            writeln!(f, "  {label:<19}{}", w.failures.len())?;
            for (name, why) in &w.failures {
                writeln!(f, "    - {name}: {why}")?;
            }
        }
        if self.lineage_edges > 0 {
            let l = &self.lineage;
            writeln!(
                f,
                "  lineage edges:     {} added, {} skipped, {} failed",
                l.added,
                l.skipped.len(),
                l.failures.len()
            )?;
            for skipped in &l.skipped {
                writeln!(f, "    - skipped: {skipped}")?;
            }
            for failed in &l.failures {
                writeln!(f, "    - failed: {failed}")?;
            }
        }
        if self.labels.entities > 0 {
            writeln!(f, "  tags and owners:   {}", self.labels)?;
        }
        if let Some(output) = &self.output {
            writeln!(f, "  output:            {output}")?;
        }
        if let Some(status) = &self.pipeline_status {
            writeln!(f, "  pipeline status:   {status}")?;
        }
        writeln!(
            f,
            "  steps:             {:>8} {:>8} {:>8} {:>8} {:>8}",
            "records", "updated", "warnings", "errors", "filtered"
        )?;
        for (name, c) in [(self.source_name.as_str(), self.source_step()), (self.sink_name.as_str(), self.sink_step())]
        {
            writeln!(
                f,
                "    {name:<17}{:>8} {:>8} {:>8} {:>8} {:>8}",
                c.records, c.updated_records, c.warnings, c.errors, c.filtered
            )?;
        }
        if !self.api_calls.is_empty() {
            let calls: Vec<String> =
                self.api_calls.iter().filter(|(_, n)| **n > 0).map(|(op, n)| format!("{op} {n}")).collect();
            writeln!(f, "  api calls:         {}", calls.join(", "))?;
        }
        let skipped = self
            .skipped_records
            .iter()
            .map(|(what, n)| format!("skipped {n} record(s) of {what}: this host does not know it (a newer plugin?)"));
        let warnings: Vec<String> = self.warnings.iter().cloned().chain(skipped).collect();
        writeln!(f, "  warnings:          {}", warnings.len())?;
        for warning in &warnings {
            writeln!(f, "    - {warning}")?;
        }
        writeln!(f, "  errors:            {}", self.errors.len() + self.record_errors.len())?;
        for e in &self.errors {
            writeln!(f, "    - {e}")?;
        }
        for (name, why) in &self.record_errors {
            writeln!(f, "    - {name}: {why}")?;
        }
        writeln!(f, "  success:           {:.1}% (threshold {}%)", self.success_percent(), self.success_threshold)?;
        writeln!(f, "  time:              {:.2}s", self.elapsed.as_secs_f64())?;
        let result = match self.state() {
            RunState::Success => "success".to_string(),
            RunState::Stopped(signal) => {
                format!("INTERRUPTED by {} (exit code {})", Interrupt::name(signal), self.exit().code())
            }
            RunState::PartialSuccess => format!(
                "PARTIAL SUCCESS: {:.1}% succeeded, threshold {}% (exit code {})",
                self.success_percent(),
                self.success_threshold,
                self.exit().code()
            ),
            RunState::Failed => format!("FAILED (exit code {})", self.exit().code()),
        };
        write!(f, "  result:            {result}")
    }
}

/// Runs the workflow's source through `plugin` into the workflow's sink.
/// `schema` is the plugin's config schema (its secret fields are masked in files).
///
/// Failures before the run starts (the sink's configuration, an OpenMetadata server that cannot
/// be used, a configuration the plugin refuses) are returned as bad input; once the run has
/// started, every failure is recorded in the summary, which is always returned. With an
/// `ingestionPipelineFQN`, the run's status is reported to OpenMetadata at its start and its
/// end, whatever the end.
pub fn run(
    workflow: &Workflow,
    plugin: &Plugin,
    schema: &Value,
    options: Options,
    interrupt: &Interrupt,
) -> failure::Result<Summary> {
    let (reporter, warning) = match Reporter::start(workflow, options.sink_timeout) {
        Ok(reporter) => (reporter, None),
        Err(warning) => {
            tracing::warn!("{warning}");
            (None, Some(warning))
        }
    };
    let result = run_source(workflow, plugin, schema, options, interrupt);
    let connector = plugin.manifest.connector_type.as_str();
    let sink_step = match workflow.sink.as_ref().map(|s| s.sink_type.as_str()) {
        Some("file") => "File",
        _ => "OpenMetadata",
    };
    match result {
        Ok(mut summary) => {
            summary.warnings.extend(warning);
            summary.source_name = connector.to_string();
            summary.sink_name = sink_step.to_string();
            if let Some(reporter) = &reporter {
                let outcome = Outcome {
                    state: summary.state(),
                    source: (connector, summary.source_step()),
                    sink: (sink_step, summary.sink_step()),
                };
                match reporter.finish(&outcome) {
                    Ok(()) => {
                        summary.pipeline_status =
                            Some(format!("{} (run {})", outcome.state.pipeline_state(), reporter.run_id()))
                    }
                    Err(warning) => summary.warnings.push(warning),
                }
            }
            Ok(summary)
        }
        Err(failure) => {
            if let Some(reporter) = &reporter {
                let failed = StepCounts {
                    errors: 1,
                    failures: vec![("workflow".into(), format!("{:#}", failure.error))],
                    ..StepCounts::default()
                };
                let outcome = Outcome {
                    state: RunState::Failed,
                    source: (connector, failed),
                    sink: (sink_step, StepCounts::default()),
                };
                if let Err(warning) = reporter.finish(&outcome) {
                    tracing::warn!("{warning}");
                }
            }
            Err(failure)
        }
    }
}

fn run_source(
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
    let sink_config = SinkConfig::from_workflow(workflow).bad_input()?;
    let rest = matches!(sink_config, SinkConfig::Rest { .. });
    let connection =
        workflow.store_service_connection().then(|| workflow.source.get("serviceConnection").cloned()).flatten();
    let (mut sink, connection): (Box<dyn Sink>, Option<Value>) = match sink_config {
        SinkConfig::File { filename } => {
            // A file never holds a secret: the fields the plugin's schema marks secret are masked.
            let secret_keys = host_core::secrets::secret_keys(schema);
            (
                Box::new(FileSink::create(filename).bad_input()?),
                connection.map(|c| host_core::secrets::redact(&c, &secret_keys)),
            )
        }
        SinkConfig::Rest { server, options: rest_options } => (
            Box::new(
                RestSink::connect(
                    &server,
                    &rest_options,
                    service,
                    &service_name,
                    workflow.stored_connection_used,
                    options.sink_concurrency,
                    options.sink_timeout,
                )
                .bad_input()?,
            ),
            connection,
        ),
    };

    // The plugin gets the secrets' values; what is sent to OpenMetadata keeps the references.
    let source = host_core::secrets::resolve(
        &workflow.source,
        &host_core::secrets::secret_keys(schema),
        &workflow.workflow_config.open_metadata_server_config,
    )?;
    let config = serde_json::to_string(&source).bad_input()?;
    let stream = match plugin.module.open()(RStr::from_str(&config), crate::logging::host_context(options.level))
        .into_result()
    {
        Ok(stream) => stream,
        Err(e) if e.is(ErrorKind::InvalidConfig) => {
            // The plugin's paths are within `source`.
            let at = e.field.as_ref().map_or_else(|| "source".to_string(), |f| format!("source{f}"));
            fail!(BadInput, "{at}: {} (the plugin refused the configuration)", e.message)
        }
        Err(e) => fail!(RunFailed, "the plugin could not start the run: {e}"),
    };

    // From here on the run has started: failures go into the summary.
    let mut summary = Summary {
        service: service_fqn.clone(),
        rest,
        success_threshold: workflow.success_threshold(),
        raise_on_error: workflow.workflow_config.raise_on_error.unwrap_or(true),
        ..Default::default()
    };
    // The types the plugin says it yields come first, in its order, even when none arrives.
    for declared in &plugin.manifest.entity_types {
        match endpoints::entity(&declared.entity_type) {
            Some(entity) => {
                summary.of_type(entity);
            }
            None => summary.warnings.push(format!(
                "the plugin yields entities of type '{}', which this host cannot write",
                declared.entity_type
            )),
        }
    }
    let records = Puller::start(stream);
    let mut lineage: Vec<LineageEdge> = Vec::new();
    let service_request =
        requests::put_service(service, &service_name, plugin.manifest.connector_type.as_str(), connection);
    if let Err(e) = sink.service(service_request) {
        summary.errors.push(format!("cannot create the {} service '{service_name}': {e:#}", service.kind));
    } else {
        let mut pull = Pull {
            sink: sink.as_mut(),
            service_name: &service_name,
            summary: &mut summary,
            pending: None,
            progress: None,
        };
        pull.run(&records, interrupt, &mut lineage);
    }
    // Dropping the receiver stops the puller, which drops the plugin's stream (its work is
    // cancelled); it gets a moment to do so.
    if !records.stop(Duration::from_secs(3)) {
        tracing::warn!("the plugin did not stop within 3 s; its work ends with this process");
    }
    if summary.interrupted.is_some() {
        sink.abort();
    }
    match sink.finish_writes() {
        Ok(writes) => summary.writes = writes,
        Err(e) => summary.errors.push(format!("{e:#}")),
    }
    summary.lineage_edges = lineage.len() as u64;
    if summary.interrupted.is_none() && !lineage.is_empty() {
        match sink.lineage(lineage) {
            Ok(done) => summary.lineage = done,
            Err(e) => summary.errors.push(format!("{e:#}")),
        }
    }
    apply_statuses(&mut summary);
    for i in 0..summary.types.len() {
        let deletion = deletion(&summary, &summary.types[i], plugin, workflow);
        let deletion = match deletion {
            Ok(reason) => reason,
            Err(seen) => {
                let entity = summary.types[i].entity;
                match sink.delete_stale(entity, &service_name, &service_fqn, seen, options.max_delete_share) {
                    Ok(what) => what,
                    Err(e) => {
                        summary.errors.push(format!("{e:#}"));
                        "kept: the deletion failed (see errors)".into()
                    }
                }
            }
        };
        summary.types[i].deletion = deletion;
    }
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

/// Whether the unseen entities of a type are to be soft-deleted (`host_core::deletion`): `Err(seen)`
/// to go ahead (with the FQNs seen), `Ok(why not)` otherwise. The source option that asks for
/// it is the one the plugin's manifest names for the type.
fn deletion(summary: &Summary, t: &TypeSummary, plugin: &Plugin, workflow: &Workflow) -> Result<String, Vec<String>> {
    let Some(info) = plugin.manifest.entity_type(t.entity.entity_type) else {
        return Ok(format!("kept (the plugin does not declare {} in its manifest)", t.entity.plural));
    };
    let option = info.mark_deleted_option.as_deref().map(|option| {
        let asked = workflow
            .source
            .pointer(&format!("/sourceConfig/config/{option}"))
            .and_then(Value::as_bool)
            .unwrap_or(info.mark_deleted_default);
        (option, asked)
    });
    let facts = host_core::deletion::RunFacts {
        plural: t.entity.plural,
        option,
        interrupted: summary.interrupted.map(Interrupt::name),
        listing_complete: t.complete(),
        failures: summary.errors.len() + summary.record_errors.len() + summary.writes.failures(),
    };
    match host_core::deletion::may_delete(&facts) {
        Ok(()) => Err(t.seen.clone()),
        Err(kept) => Ok(kept),
    }
}

/// Pulls records into the sink until the end, an error, or a signal.
struct Pull<'a> {
    sink: &'a mut dyn Sink,
    service_name: &'a str,
    summary: &'a mut Summary,
    /// An entity waits for the next record, which may be its sample data: both go to the sink
    /// together.
    pending: Option<(&'static Entity, Request)>,
    /// The plugin's latest progress.
    progress: Option<Progress>,
}

impl Pull<'_> {
    fn run(&mut self, records: &Puller, interrupt: &Interrupt, lineage: &mut Vec<LineageEdge>) {
        let noun = self.summary.types.first().map_or("entities", |t| t.entity.plural);
        let mut display = crate::progress::Display::start(noun);
        let mut entities = 0u64;
        loop {
            if let Some(signal) = interrupt.received() {
                self.summary.interrupted = Some(signal);
                break;
            }
            let record = match records.next(Duration::from_millis(200)) {
                Ok(RResult::ROk(RSome(record))) => record,
                Ok(RResult::ROk(RNone)) => break,
                Ok(RResult::RErr(e)) => {
                    self.summary.errors.push(format!("the plugin failed: {e}"));
                    break;
                }
                Err(RecvTimeoutError::Timeout) => {
                    display.update(self.progress.as_ref(), entities);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.summary.errors.push("the plugin's record stream ended without saying so".into());
                    break;
                }
            };
            if !self.take(record, lineage, &mut entities) {
                break;
            }
            display.update(self.progress.as_ref(), entities);
        }
        display.finish();
        if self.summary.interrupted.is_none() {
            self.flush(None);
        }
    }

    /// Takes one record; false when the sink cannot go on.
    fn take(&mut self, record: Record, lineage: &mut Vec<LineageEdge>, entities: &mut u64) -> bool {
        let Some(kind) = record.known_kind() else {
            self.summary.skip(format!("kind '{}'", record.kind));
            return true;
        };
        let Some(entity) = endpoints::entity(record.entity_type.as_str()) else {
            self.summary.skip(format!("entity type '{}'", record.entity_type));
            return true;
        };
        let fqn = record.fqn();
        let body: Value = match serde_json::from_str(record.body.as_str()) {
            Ok(body) => body,
            Err(e) => {
                self.summary
                    .errors
                    .push(format!("the plugin sent a {} record for {fqn} that is not JSON: {e}", record.kind));
                return true;
            }
        };
        match kind {
            RecordKind::Entity => {
                if !self.flush(None) {
                    return false;
                }
                if let Err(why) = self.check_entity(&record, &body) {
                    self.summary.record_errors.push((fqn, format!("{} not written: {why}", entity.entity_type)));
                    return true;
                }
                *entities += 1;
                let t = self.summary.of_type(entity);
                t.seen.push(fqn.clone());
                t.entities_taken += 1;
                self.pending = Some((entity, requests::put_entity(entity, fqn, body)));
            }
            RecordKind::SampleData => {
                let its_entity = self
                    .pending
                    .as_ref()
                    .is_some_and(|(e, r)| std::ptr::eq(*e, entity) && r.entity_fqn.as_deref() == Some(&fqn));
                let has_messages = body.get("messages").and_then(Value::as_array).is_some_and(|m| !m.is_empty());
                if its_entity {
                    let sample = if has_messages { requests::put_sample_data(entity, fqn, body) } else { None };
                    return self.flush(sample);
                }
                if !self.flush(None) {
                    return false;
                }
                self.summary
                    .warnings
                    .push(format!("sample data of {fqn} came without its {}; not written", entity.entity_type));
            }
            RecordKind::Labels => {
                let its_entity = self
                    .pending
                    .as_ref()
                    .is_some_and(|(e, r)| std::ptr::eq(*e, entity) && r.entity_fqn.as_deref() == Some(&fqn));
                if !its_entity {
                    self.summary
                        .warnings
                        .push(format!("tags and owners of {fqn} came without its {}; not written", entity.entity_type));
                    return true;
                }
                let labels = match serde_json::from_value::<Labels>(body) {
                    Ok(labels) => labels,
                    Err(e) => {
                        self.summary.errors.push(format!("the plugin sent labels of {fqn} that are not readable: {e}"));
                        return true;
                    }
                };
                let labelled = self.sink.labels(entity, &fqn, &labels, &mut self.summary.labels);
                self.summary.warnings.extend(labelled.warnings.iter().cloned());
                if let Some((_, request)) = self.pending.as_mut() {
                    labelled.apply(&mut request.body);
                }
            }
            RecordKind::Lineage => match serde_json::from_value::<LineageEdge>(body) {
                Ok(edge) => lineage.push(edge),
                Err(e) => self
                    .summary
                    .errors
                    .push(format!("the plugin sent a lineage edge of {fqn} that is not readable: {e}")),
            },
            RecordKind::Progress => match serde_json::from_value::<Progress>(body) {
                Ok(progress) => self.progress = Some(progress),
                Err(e) => tracing::debug!("a progress record that is not readable: {e}"),
            },
            RecordKind::ListingStatus => match serde_json::from_value::<ListingStatus>(body) {
                // Only the listing of this run's service decides about its entities.
                Ok(status) if record.fqn_parts() == [self.service_name] => {
                    self.summary.of_type(entity).status = Some(status)
                }
                Ok(_) => self.summary.warnings.push(format!(
                    "a listing status for the scope {fqn} is not about this run's service {}; ignored",
                    fqn::quote(self.service_name)
                )),
                Err(e) => {
                    self.summary.errors.push(format!("the plugin sent a listing status that is not readable: {e}"))
                }
            },
        }
        true
    }

    /// An entity of this run's service, whose request names it as its FQN does.
    fn check_entity(&self, record: &Record, body: &Value) -> Result<(), String> {
        let parts = record.fqn_parts();
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return Err("the record has no FQN".into());
        };
        if parts.len() < 2 || *first != self.service_name {
            return Err(format!("it is not in this run's service '{}'", self.service_name));
        }
        let name =
            body.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or("the request has no name")?;
        if name != *last {
            return Err(format!("the request's name '{name}' is not the record's '{last}'"));
        }
        if let Some(service) = body.get("service").and_then(Value::as_str) {
            if service != fqn::quote(self.service_name) {
                return Err(format!(
                    "the request names service '{service}', not this run's '{}'",
                    fqn::quote(self.service_name)
                ));
            }
        }
        Ok(())
    }

    /// Sends the pending entity (with `sample`, when it is the entity's); false when the sink
    /// cannot go on.
    fn flush(&mut self, sample: Option<Request>) -> bool {
        let Some((entity, request)) = self.pending.take() else { return true };
        let fqn = request.entity_fqn.clone().unwrap_or_default();
        match self.sink.entity(entity, request, sample) {
            Ok(()) => true,
            Err(e) => {
                self.summary.errors.push(format!("cannot write {} {fqn}: {e:#}", entity.entity_type));
                false
            }
        }
    }
}

/// Takes the plugin's listing statuses into the summary.
fn apply_statuses(summary: &mut Summary) {
    let service_fqn = summary.service.clone();
    let quiet = summary.errors.is_empty() && summary.interrupted.is_none();
    let mut errors = Vec::new();
    let mut record_errors = Vec::new();
    for t in &mut summary.types {
        let Some(s) = &mut t.status else {
            if quiet {
                errors.push(format!("the plugin ended the run without a listing status for its {}", t.entity.plural));
            }
            continue;
        };
        summary.warnings.extend(s.warnings.iter().cloned());
        for (op, n) in &s.api_calls {
            *summary.api_calls.entry(op.clone()).or_default() += n;
        }
        // Objects that exist but could not be read, or are not entities yet, count as seen:
        // never deleted for that.
        let fqn_of = |name: &String| format!("{service_fqn}.{}", fqn::quote(name));
        t.seen.extend(s.unresolved.iter().chain(&s.not_yet).map(fqn_of));
        record_errors.extend(
            s.unresolved
                .iter()
                .map(|name| (fqn_of(name), "exists but could not be read (see the warnings)".to_string())),
        );
        if let Some(reason) = &s.reason {
            errors.push(format!("the listing of {} is incomplete: {reason}", t.entity.plural));
        }
        // A run that failed as a whole (or was stopped) did not see everything, whatever the
        // plugin says.
        if !quiet {
            s.complete = false;
        }
    }
    summary.errors.extend(errors);
    summary.record_errors.extend(record_errors);
}
