//! What a run did, as its summary shows it (text, and JSON for scripts), and how it ended:
//! OpenMetadata's pipeline state, the success percentage against the threshold, the exit code.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use host_core::failure::Exit;
use host_core::plan::TypeRun;
use serde_json::Value;

use crate::endpoints::Entity;
use crate::signals::Interrupt;
use crate::sink::{LineageWrites, TypeWrites, Writes};

/// What a run did with one entity type.
#[derive(Debug)]
pub struct TypeSummary {
    pub entity: &'static Entity,
    /// What the plan made of the type's records: its listing status, the entities written and
    /// those kept (seen: never deleted).
    pub run: TypeRun,
    /// What happened to entities that were not seen: deleted, or why not.
    pub deletion: String,
}

impl TypeSummary {
    pub fn new(entity: &'static Entity, run: TypeRun) -> Self {
        TypeSummary { entity, run, deletion: String::new() }
    }

    pub fn complete(&self) -> bool {
        self.run.complete()
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
                let status = t.run.status.clone().unwrap_or_default();
                serde_json::json!({
                    "entityType": t.entity.entity_type, "listed": status.listed, "filtered": status.filtered,
                    "created": w.created, "updated": w.updated, "writtenInBulk": w.upserted, "samples": w.samples,
                    "unchanged": t.run.unchanged,
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
            "lineage": {"edges": self.lineage_edges, "added": self.lineage.added, "unchanged": self.lineage.unchanged,
                "skipped": self.lineage.skipped, "failed": self.lineage.failures},
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
        let statuses = self.types.iter().filter_map(|t| t.run.status.as_ref());
        StepCounts {
            records: self.types.iter().map(|t| t.run.written.len() as u64).sum(),
            updated_records: 0,
            warnings: self.warnings.len() as u64,
            errors: self.record_errors.len() as u64,
            filtered: statuses.map(|s| s.filtered).sum(),
            failures: self.record_errors.clone(),
        }
    }

    /// The sink step: requests written, updated, failed; lineage edges skipped as warnings.
    /// An entity not sent because OpenMetadata holds it as it is counts as gone through: it is
    /// in the sink as the run would have written it.
    pub fn sink_step(&self) -> StepCounts {
        let unchanged: u64 = self.types.iter().map(|t| t.run.unchanged).sum();
        let w = self.writes.by_type.values();
        let mut failures: Vec<(String, String)> =
            self.writes.by_type.values().flat_map(|w| w.failures.iter().cloned()).collect();
        failures.extend(self.lineage.failures.iter().map(|f| ("lineage".to_string(), f.clone())));
        StepCounts {
            records: w.clone().map(|w| w.created + w.updated + w.upserted + w.samples).sum::<u64>()
                + self.lineage.added
                + self.lineage.unchanged
                + unchanged,
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
        for t in &self.types {
            self.write_type(f, t)?;
        }
        self.write_lineage(f)?;
        if self.labels.entities > 0 {
            writeln!(f, "  tags and owners:   {}", self.labels)?;
        }
        if let Some(output) = &self.output {
            writeln!(f, "  output:            {output}")?;
        }
        if let Some(status) = &self.pipeline_status {
            writeln!(f, "  pipeline status:   {status}")?;
        }
        self.write_steps(f)?;
        self.write_problems(f)?;
        writeln!(f, "  success:           {:.1}% (threshold {}%)", self.success_percent(), self.success_threshold)?;
        writeln!(f, "  time:              {:.2}s", self.elapsed.as_secs_f64())?;
        write!(f, "  result:            {}", self.result())
    }
}

impl Summary {
    /// One entity type's lines: listed, written, unchanged, samples, deletion, failures.
    fn write_type(&self, f: &mut fmt::Formatter<'_>, t: &TypeSummary) -> fmt::Result {
        let empty = TypeWrites::default();
        let plural = t.entity.plural;
        let w = self.writes.by_type.get(t.entity.entity_type).unwrap_or(&empty);
        let status = t.run.status.clone().unwrap_or_default();
        if self.types.len() > 1 {
            writeln!(f, "  [{plural}]")?;
        }
        writeln!(f, "  listed:            {}", status.listed)?;
        writeln!(f, "  filtered out:      {}", status.filtered)?;
        self.write_written(f, plural, w)?;
        if self.rest {
            let label = format!("{plural} unchanged:");
            writeln!(f, "  {label:<19}{} (OpenMetadata holds them as they are: not sent)", t.run.unchanged)?;
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
        Ok(())
    }

    /// How many of a type were written, and how (in bulk, created, updated).
    fn write_written(&self, f: &mut fmt::Formatter<'_>, plural: &str, w: &TypeWrites) -> fmt::Result {
        let label = format!("{plural} written:");
        if self.rest && w.upserted > 0 && w.created + w.updated == 0 {
            // The server's bulk answer does not say which were new.
            writeln!(f, "  {label:<19}{} (in bulk)", w.upserted)
        } else if self.rest && w.upserted > 0 {
            let all = w.created + w.updated + w.upserted;
            writeln!(f, "  {label:<19}{all} (in bulk {}, created {}, updated {})", w.upserted, w.created, w.updated)
        } else if self.rest {
            writeln!(f, "  {label:<19}{} (created {}, updated {})", w.created + w.updated, w.created, w.updated)
        } else {
            writeln!(f, "  {label:<19}{}", w.created)
        }
    }

    fn write_lineage(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lineage_edges == 0 {
            return Ok(());
        }
        let l = &self.lineage;
        writeln!(
            f,
            "  lineage edges:     {} added, {} unchanged, {} skipped, {} failed",
            l.added,
            l.unchanged,
            l.skipped.len(),
            l.failures.len()
        )?;
        for skipped in &l.skipped {
            writeln!(f, "    - skipped: {skipped}")?;
        }
        for failed in &l.failures {
            writeln!(f, "    - failed: {failed}")?;
        }
        Ok(())
    }

    /// The per-step table, as OpenMetadata's summary has it, and the API calls.
    fn write_steps(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        if let Some(calls) = host_core::plan::api_calls_said(&self.api_calls) {
            writeln!(f, "  api calls:         {calls}")?;
        }
        Ok(())
    }

    fn write_problems(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
        Ok(())
    }

    /// The closing line's verdict.
    fn result(&self) -> String {
        match self.state() {
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics(complete: bool) -> TypeSummary {
        let status = plugin_abi::envelope::ListingStatus { complete, ..Default::default() };
        let run = TypeRun { entity_type: "topic".into(), status: Some(status), ..TypeRun::default() };
        TypeSummary::new(crate::endpoints::entity("topic").expect("topics are written"), run)
    }

    /// A run that read 10 topics, with `failed` objects that failed one by one.
    fn summary(failed: usize) -> Summary {
        let mut summary =
            Summary { types: vec![topics(true)], success_threshold: 90, raise_on_error: true, ..Summary::default() };
        summary.types[0].run.written = (0..10).map(|i| format!("svc.w{i}")).collect();
        summary.record_errors = (0..failed).map(|i| (format!("svc.t{i}"), "could not be read".to_string())).collect();
        summary
    }

    #[test]
    fn a_clean_run_succeeds() {
        let s = summary(0);
        assert_eq!((s.state(), s.exit()), (RunState::Success, Exit::Success));
        assert_eq!(s.success_percent(), 100.0);
    }

    #[test]
    fn failures_above_the_threshold_are_a_partial_success_that_exits_1_unless_raise_on_error_is_false() {
        let mut s = summary(1); // 10 of 11: 90.9%
        assert_eq!((s.state(), s.exit()), (RunState::PartialSuccess, Exit::RunFailed));
        s.raise_on_error = false;
        assert_eq!(s.exit(), Exit::Success);
        assert_eq!(s.to_json()["state"], "partialSuccess");
    }

    #[test]
    fn failures_below_the_threshold_an_error_or_an_incomplete_listing_fail_the_run() {
        let s = summary(2); // 10 of 12: 83.3%
        assert_eq!((s.state(), s.exit()), (RunState::Failed, Exit::RunFailed));
        let mut s = summary(0);
        s.errors.push("the plugin failed".into());
        assert_eq!(s.state(), RunState::Failed);
        let mut s = summary(0);
        s.types[0] = topics(false);
        assert_eq!(s.state(), RunState::Failed);
        let mut s = summary(0);
        s.types[0].run.status = None;
        assert_eq!(s.state(), RunState::Failed, "no listing status at all");
    }

    #[test]
    fn a_signal_stops_the_run_whatever_else_happened() {
        let mut s = summary(5);
        s.errors.push("cut short".into());
        s.interrupted = Some(15);
        assert_eq!((s.state(), s.exit()), (RunState::Stopped(15), Exit::Interrupted(15)));
        assert_eq!(s.to_json()["state"], "stopped");
    }
}
