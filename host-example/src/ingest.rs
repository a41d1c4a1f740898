//! `ingest`: one run of a source plugin into a sink, with progress, a summary and an exit code.
//! Nothing here knows a connector: the plugin's manifest says its service kind and entity
//! types, its records say what they are, and `crate::endpoints` says where each goes.

use std::time::{Duration, Instant};

use abi_stable::std_types::RStr;
use host_core::deletion::Decision;
use host_core::failure::{self, fail, Categorize, Exit};
use host_core::plan::Plan;
use host_core::plugins::Plugin;
use host_core::puller::Puller;
use plugin_abi::{fqn, ErrorKind, LogLevel};
use serde_json::Value;

use crate::endpoints;
use crate::pipeline_status::{Outcome, Reporter};
use crate::records::Pull;
use crate::requests;
use crate::signals::Interrupt;
use crate::sink::{FileSink, RestSink, Sink, SinkConfig};
use crate::summary::{RunState, StepCounts, Summary, TypeSummary};
use crate::workflow::Workflow;

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
    let kind = plugin.manifest.service_kind.as_str();
    let Some(service) = endpoints::service(kind) else {
        fail!(
            BadInput,
            "the plugin's service kind '{kind}' is not one this host writes ({})",
            endpoints::service_kinds().join(", ")
        )
    };
    let (mut sink, connection, rest) = open_sink(workflow, schema, service, &service_name, options)?;
    let stream = open_run(workflow, plugin, schema, options)?;

    // From here on the run has started: failures go into the summary.
    let mut summary = Summary {
        service: fqn::quote(&service_name),
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
    let service_request = service_request(plugin, service, &service_name, connection);
    if let Err(e) = sink.service(service_request) {
        summary.errors.push(format!("cannot create the {} service '{service_name}': {e:#}", service.kind));
    } else {
        // What OpenMetadata holds is read before anything is written: every request is merged
        // with it. Without it nothing is written, since a merge-less write can wipe curation.
        let entities: Vec<&'static endpoints::Entity> =
            plan.types().iter().filter_map(|t| endpoints::entity(&t.entity_type)).collect();
        match sink.stored(&entities, &service_name) {
            Ok(stored) => {
                if let Some(stored) = stored {
                    plan.set_stored(stored);
                }
                Pull { sink: sink.as_mut(), plan: &mut plan, summary: &mut summary }.run(&records, interrupt);
            }
            Err(e) => summary.errors.push(format!("{e:#}; nothing was written")),
        }
    }
    // Dropping the receiver stops the puller, which drops the plugin's stream (its work is
    // cancelled); it gets a moment to do so.
    if let Some(warning) = records.stop() {
        tracing::warn!("{warning}");
    }
    finish_writes(sink.as_mut(), &mut plan, &mut summary);
    delete_stale(sink.as_mut(), &plan, &mut summary, plugin, workflow, options);
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

/// The workflow's sink, the service connection to store (a file never holds a secret: the
/// fields the plugin's schema marks secret are masked), and whether the sink is OpenMetadata.
fn open_sink(
    workflow: &Workflow,
    schema: &Value,
    service: &'static endpoints::Service,
    service_name: &str,
    options: Options,
) -> failure::Result<(Box<dyn Sink>, Option<Value>, bool)> {
    let connection =
        workflow.store_service_connection().then(|| workflow.source.get("serviceConnection").cloned()).flatten();
    Ok(match SinkConfig::from_workflow(workflow).bad_input()? {
        SinkConfig::File { filename } => {
            let secret_keys = host_core::secrets::secret_keys(schema);
            let connection = connection.map(|c| host_core::secrets::redact(&c, &secret_keys));
            (Box::new(FileSink::create(filename).bad_input()?), connection, false)
        }
        SinkConfig::Rest { server, options: rest_options } => {
            let sink = RestSink::connect(
                &server,
                &rest_options,
                service,
                service_name,
                workflow.stored_connection_used,
                options.sink_concurrency,
                options.sink_timeout,
            )
            .bad_input()?;
            (Box::new(sink), connection, true)
        }
    })
}

/// Starts the plugin's run. The plugin gets the secrets' values; what is sent to OpenMetadata
/// keeps the references.
fn open_run(
    workflow: &Workflow,
    plugin: &Plugin,
    schema: &Value,
    options: Options,
) -> failure::Result<plugin_abi::RecordStreamBox> {
    let source = host_core::secrets::resolve(
        &workflow.source,
        &host_core::secrets::secret_keys(schema),
        &workflow.workflow_config.open_metadata_server_config,
    )?;
    let config = serde_json::to_string(&source).bad_input()?;
    match plugin.module.open()(RStr::from_str(&config), crate::logging::host_context(options.level)).into_result() {
        Ok(stream) => Ok(stream),
        Err(e) if e.is(ErrorKind::InvalidConfig) => {
            // The plugin's paths are within `source`.
            let at = e.field.as_ref().map_or_else(|| "source".to_string(), |f| format!("source{f}"));
            fail!(BadInput, "{at}: {} (the plugin refused the configuration)", e.message)
        }
        Err(e) => fail!(RunFailed, "the plugin could not start the run: {e}"),
    }
}

/// The service's request. OpenMetadata's custom connection holds a Python class and string
/// options, not this plugin's configuration: a custom service is registered without it.
fn service_request(
    plugin: &Plugin,
    service: &'static endpoints::Service,
    service_name: &str,
    connection: Option<Value>,
) -> crate::requests::Request {
    let connector_type = plugin.manifest.connector_type.as_str();
    let service_type = service.service_type(connector_type);
    let connection = connection.filter(|_| service_type == connector_type);
    if service_type != connector_type {
        tracing::info!(
            "OpenMetadata has no {connector_type} service type: '{service_name}' is registered as a {service_type} \
             service, without its connection (OpenMetadata runs it through the wheel's PluginSource)"
        );
    }
    requests::put_service(service, service_name, service_type, connection)
}

/// The queued writes, then the lineage (not after an interrupt), then what the plan makes of
/// the run's end, into the summary.
fn finish_writes(sink: &mut dyn Sink, plan: &mut Plan, summary: &mut Summary) {
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
        match sink.lineage(lineage, plan.stored()) {
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
        .filter_map(|t| endpoints::entity(&t.entity_type).map(|entity| TypeSummary::new(entity, t.clone())))
        .collect();
}

/// Each type's unseen entities: deleted when the deletion decision allows, else kept with why.
fn delete_stale(
    sink: &mut dyn Sink,
    plan: &Plan,
    summary: &mut Summary,
    plugin: &Plugin,
    workflow: &Workflow,
    options: Options,
) {
    for i in 0..summary.types.len() {
        let deletion = match deletion(summary, &summary.types[i], plugin, workflow) {
            Decision::Keep(reason) => reason,
            Decision::Delete(seen) => {
                let entity = summary.types[i].entity;
                let existing = plan.stored().and_then(|s| s.listed(entity.entity_type)).unwrap_or_default();
                match sink.delete_stale(entity, &summary.service, existing, seen, options.max_delete_share) {
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
}

/// What becomes of the unseen entities of a type (`host_core::deletion`). The source option that
/// asks for their deletion is the one the plugin's manifest names for the type.
fn deletion(summary: &Summary, t: &TypeSummary, plugin: &Plugin, workflow: &Workflow) -> Decision {
    let Some(info) = plugin.manifest.entity_type(t.entity.entity_type) else {
        return Decision::Keep(format!("kept (the plugin does not declare {} in its manifest)", t.entity.plural));
    };
    let option = host_core::deletion::option_asked(info, &workflow.source);
    let facts = host_core::deletion::RunFacts {
        plural: t.entity.plural,
        option,
        interrupted: summary.interrupted.map(Interrupt::name),
        listing_complete: t.complete(),
        failures: summary.errors.len() + summary.record_errors.len() + summary.writes.failures(),
    };
    host_core::deletion::decide(&facts, &t.run.seen())
}
