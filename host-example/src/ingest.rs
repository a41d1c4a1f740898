//! `ingest`: one run of a source plugin into a sink, with progress, a summary and an exit code.
//! Nothing here knows a connector: the plugin's manifest says its service kind and entity
//! types, its records say what they are, and `crate::endpoints` says where each goes.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use std::sync::mpsc::RecvTimeoutError;

use host_core::puller::Puller;

use abi_stable::std_types::{RNone, RResult, RSome, RStr};
use host_core::plan::{Plan, Step, TypeRun};
use plugin_abi::{envelope::ListingStatus, fqn, ErrorKind, LogLevel};
use serde_json::Value;

use crate::endpoints::{self, Entity};
use crate::pipeline_status::{Outcome, Reporter};
use crate::requests;
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
    fn new(entity: &'static Entity, run: &TypeRun) -> Self {
        TypeSummary {
            entity,
            status: run.status.clone(),
            seen: run.seen(),
            entities_taken: run.written.len() as u64,
            deletion: String::new(),
        }
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
    let declared: Vec<&str> = plugin.manifest.entity_types.iter().map(|t| t.entity_type.as_str()).collect();
    for entity_type in declared.iter().filter(|t| endpoints::entity(t).is_none()) {
        summary
            .warnings
            .push(format!("the plugin yields entities of type '{entity_type}', which this host cannot write"));
    }
    let mut plan = Plan::new(&service_name, endpoints::entity_types(), declared);
    let records = Puller::start(stream);
    let service_request =
        requests::put_service(service, &service_name, plugin.manifest.connector_type.as_str(), connection);
    if let Err(e) = sink.service(service_request) {
        summary.errors.push(format!("cannot create the {} service '{service_name}': {e:#}", service.kind));
    } else {
        Pull { sink: sink.as_mut(), plan: &mut plan, summary: &mut summary }.run(&records, interrupt);
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
    let lineage = plan.take_lineage();
    summary.lineage_edges = lineage.len() as u64;
    if summary.interrupted.is_none() && !lineage.is_empty() {
        match sink.lineage(lineage) {
            Ok(done) => summary.lineage = done,
            Err(e) => summary.errors.push(format!("{e:#}")),
        }
    }
    let finish = plan.finish(summary.errors.is_empty() && summary.interrupted.is_none());
    summary.warnings.extend(finish.warnings);
    summary.errors.extend(finish.errors);
    summary.record_errors.extend(finish.failed);
    summary.api_calls = finish.api_calls;
    summary.skipped_records = plan.skipped().clone();
    summary.types = plan
        .types()
        .iter()
        .filter_map(|t| endpoints::entity(&t.entity_type).map(|entity| TypeSummary::new(entity, t)))
        .collect();
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
    let option = host_core::deletion::option_asked(info, &workflow.source);
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

/// Pulls records into the sink until the end, an error, or a signal, as the plan says.
struct Pull<'a> {
    sink: &'a mut dyn Sink,
    plan: &'a mut Plan,
    summary: &'a mut Summary,
}

impl Pull<'_> {
    fn run(&mut self, records: &Puller, interrupt: &Interrupt) {
        let noun =
            self.plan.types().first().and_then(|t| endpoints::entity(&t.entity_type)).map_or("entities", |e| e.plural);
        let mut display = crate::progress::Display::start(noun);
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
                    display.update(self.plan.progress(), self.entities());
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.summary.errors.push("the plugin's record stream ended without saying so".into());
                    break;
                }
            };
            let steps = self.plan.take(&record.kind, &record.entity_type, &record.fqn_parts(), &record.body);
            if !steps.into_iter().all(|step| self.execute(step)) {
                break;
            }
            display.update(self.plan.progress(), self.entities());
        }
        display.finish();
        // An entity cut short by a signal is not written.
        if self.summary.interrupted.is_none() {
            if let Some(step) = self.plan.end() {
                self.execute(step);
            }
        }
    }

    fn entities(&self) -> u64 {
        self.plan.types().iter().map(|t| t.written.len() as u64).sum()
    }

    /// Does one step of the plan; false when the sink cannot go on.
    fn execute(&mut self, step: Step) -> bool {
        let write = match step {
            Step::Write(write) => write,
            Step::Failed(name, why) => {
                self.summary.record_errors.push((name, why));
                return true;
            }
            Step::Error(error) => {
                self.summary.errors.push(error);
                return true;
            }
            Step::Warning(warning) => {
                self.summary.warnings.push(warning);
                return true;
            }
        };
        // The plan passes only types this host writes.
        let Some(entity) = endpoints::entity(&write.entity_type) else { return true };
        let mut request = requests::put_entity(entity, write.fqn.clone(), write.body);
        if let Some(labels) = &write.labels {
            let labelled = self.sink.labels(entity, &write.fqn, labels, &mut self.summary.labels);
            self.summary.warnings.extend(labelled.warnings.iter().cloned());
            labelled.apply(&mut request.body);
        }
        let sample = write.sample.and_then(|sample| requests::put_sample_data(entity, write.fqn.clone(), sample));
        match self.sink.entity(entity, request, sample) {
            Ok(()) => true,
            Err(e) => {
                self.summary.errors.push(format!("cannot write {} {}: {e:#}", entity.entity_type, write.fqn));
                false
            }
        }
    }
}
