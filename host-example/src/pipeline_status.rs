//! The status of a run as OpenMetadata's deployed ingestion pipelines report it: when the
//! workflow names its `ingestionPipelineFQN`, the run says `running` at its start and its final
//! state at its end (`PUT /v1/services/ingestionPipelines/{fqn}/pipelineStatus`, a
//! PipelineStatus: run id, state, start and end, one summary per step), so that the OpenMetadata
//! UI shows it. A pipeline that does not exist, or a server that cannot take the status, is a
//! warning: the run itself goes on.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::openmetadata::{encode, Client};
use crate::summary::{RunState, StepCounts};
use crate::workflow::Workflow;

/// At most this many failures are listed per step (OpenMetadata keeps a sample too).
const MAX_FAILURES: usize = 100;

/// Reports one run's status.
pub struct Reporter {
    client: Client,
    fqn: String,
    run_id: String,
    started_ms: i64,
}

/// What the run did, for the status at its end.
pub struct Outcome<'a> {
    pub state: RunState,
    /// The source step's name (the connector type) and counts.
    pub source: (&'a str, StepCounts),
    /// The sink step's name and counts.
    pub sink: (&'a str, StepCounts),
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Reporter {
    /// For a workflow with `ingestionPipelineFQN`: looks the pipeline up and reports `running`.
    /// `Ok(None)` when the workflow names none; `Err(warning)` when the status cannot be
    /// reported (the pipeline does not exist, the server cannot be used).
    pub fn start(workflow: &Workflow, timeout: Duration) -> Result<Option<Reporter>, String> {
        let Some(fqn) = workflow.ingestion_pipeline_fqn.clone().filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        let cannot = |why: String| format!("the status of ingestion pipeline '{fqn}' is not reported: {why}");
        let client = Client::from_config(&workflow.workflow_config.open_metadata_server_config, timeout)
            .map_err(|e| cannot(format!("{e:#}")))?;
        let path = format!("/v1/services/ingestionPipelines/name/{}", encode(&fqn));
        match client.call("GET", &path, None) {
            Ok(_) => {}
            Err(e) if e.status() == Some(404) => return Err(cannot("it does not exist in OpenMetadata".into())),
            Err(e) => return Err(cannot(e.to_string())),
        }
        let run_id = workflow
            .pipeline_run_id
            .clone()
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let reporter = Reporter { client, fqn, run_id, started_ms: now_ms() };
        reporter.put(json!({
            "runId": reporter.run_id,
            "pipelineState": "running",
            "startDate": reporter.started_ms,
            "timestamp": reporter.started_ms,
        }))?;
        tracing::info!("reporting to ingestion pipeline {} as run {}", reporter.fqn, reporter.run_id);
        Ok(Some(reporter))
    }

    /// Reports the final state, with a summary per step.
    pub fn finish(&self, outcome: &Outcome<'_>) -> Result<(), String> {
        let step = |(name, c): &(&str, StepCounts)| {
            let failures: Vec<Value> = c
                .failures
                .iter()
                .take(MAX_FAILURES)
                .map(|(name, error)| json!({"name": name, "error": error}))
                .collect();
            json!({
                "name": name,
                "records": c.records,
                "updated_records": c.updated_records,
                "warnings": c.warnings,
                "errors": c.errors,
                "filtered": c.filtered,
                "failures": failures,
            })
        };
        self.put(json!({
            "runId": self.run_id,
            "pipelineState": outcome.state.pipeline_state(),
            "startDate": self.started_ms,
            "timestamp": self.started_ms,
            "endDate": now_ms(),
            "status": [step(&outcome.source), step(&outcome.sink)],
        }))
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    fn put(&self, status: Value) -> Result<(), String> {
        let path = format!("/v1/services/ingestionPipelines/{}/pipelineStatus", encode(&self.fqn));
        self.client
            .call("PUT", &path, Some(&status))
            .map(|_| ())
            .map_err(|e| format!("the status of ingestion pipeline '{}' could not be reported: {e}", self.fqn))
    }
}
