//! What a run's records mean, for the Python layer: `host_core::plan` as a class whose steps the
//! Python layer executes with OpenMetadata's own models and sink.

use pyo3::prelude::*;
use serde_json::Value;

use crate::{parse, plugin_error};

/// What a run's records mean (`host_core::plan`): the steps the Python layer executes with
/// OpenMetadata's own models and sink.
#[pyclass(module = "openmetadata_plugins._native")]
pub(crate) struct Plan {
    inner: host_core::plan::Plan,
}

/// One record of a run, as `Run.next` gives it: its kind (`entity`, `sampleData`, …), the entity
/// type and FQN parts it is for, and its body (JSON text).
#[pyclass(module = "openmetadata_plugins._native", frozen, get_all)]
pub(crate) struct Record {
    kind: String,
    entity_type: String,
    fqn: Vec<String>,
    body: String,
}

impl Record {
    pub(crate) fn of(record: plugin_abi::Record) -> Record {
        Record {
            kind: record.kind.into(),
            entity_type: record.entity_type.into(),
            fqn: record.fqn.iter().map(|p| p.to_string()).collect(),
            body: record.body.into(),
        }
    }
}

/// The end of a run's records ([`Plan::finish`]): what failed the run as a whole, what could not
/// be read, the plugin's warnings, its API calls, the records skipped as unknown, and what
/// became of each entity type.
#[pyclass(module = "openmetadata_plugins._native", frozen, get_all)]
pub(crate) struct Finish {
    errors: Vec<String>,
    /// (name, why)
    failed: Vec<(String, String)>,
    warnings: Vec<String>,
    api_calls: std::collections::BTreeMap<String, u64>,
    /// Records of kinds this package does not know, by kind.
    skipped: std::collections::BTreeMap<String, u64>,
    types: Vec<TypeOutcome>,
}

#[pymethods]
impl Finish {
    /// The API calls as a summary says them (`ListStreams 3, …`); `None` when none was made.
    #[getter]
    fn api_calls_said(&self) -> Option<String> {
        host_core::plan::api_calls_said(&self.api_calls)
    }
}

/// What became of one entity type in a run.
#[pyclass(module = "openmetadata_plugins._native", frozen, get_all)]
#[derive(Clone)]
pub(crate) struct TypeOutcome {
    entity_type: String,
    /// FQNs of the entities written (handed to the sink).
    written: Vec<String>,
    /// FQNs of entities that exist but could not be read, or are not entities yet: never deleted.
    kept: Vec<String>,
    /// Entities not sent: OpenMetadata already held what their request says.
    unchanged: u64,
    /// The plugin's listing status: `None` when it sent none.
    listed: Option<u64>,
    filtered: Option<u64>,
    /// Every page of the listing was read and the run was not cut short.
    complete: bool,
}

/// One step of a plan, as Python reads it; `kind` says which it is and which attributes it has:
/// `write` (`entity_type`, `fqn`, and JSON texts: `body`, `labels` and `sample` when there are
/// some), `failed` (`name`, `message`), `error` and `warning` (`message`).
#[pyclass(module = "openmetadata_plugins._native", frozen, get_all)]
pub(crate) struct Step {
    kind: &'static str,
    entity_type: Option<String>,
    fqn: Option<String>,
    body: Option<String>,
    labels: Option<String>,
    sample: Option<String>,
    name: Option<String>,
    message: Option<String>,
}

impl Step {
    fn of(step: host_core::plan::Step) -> PyResult<Step> {
        use host_core::plan::Step as S;
        let none = Step {
            kind: "",
            entity_type: None,
            fqn: None,
            body: None,
            labels: None,
            sample: None,
            name: None,
            message: None,
        };
        Ok(match step {
            S::Write(w) => Step {
                kind: "write",
                entity_type: Some(w.entity_type),
                fqn: Some(w.fqn),
                body: Some(w.body.to_string()),
                labels: w.labels.map(|l| to_json(&l, "an entity's labels")).transpose()?,
                sample: w.sample.map(|s| s.to_string()),
                ..none
            },
            S::Failed(name, why) => Step { kind: "failed", name: Some(name), message: Some(why), ..none },
            S::Error(message) => Step { kind: "error", message: Some(message), ..none },
            S::Warning(message) => Step { kind: "warning", message: Some(message), ..none },
        })
    }
}

/// `value` as JSON text for Python; a value that cannot be written is an error that names it.
fn to_json(value: &impl serde::Serialize, what: &str) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| plugin_error(format!("{what} cannot be written as JSON: {e}")))
}

#[pymethods]
impl Plan {
    /// A plan for a run in `service_name` by a host that writes the entity types `writable`;
    /// `declared` are the plugin manifest's types.
    #[new]
    fn new(service_name: &str, writable: Vec<String>, declared: Vec<String>) -> Plan {
        Plan {
            inner: host_core::plan::Plan::new(
                service_name,
                writable.iter().map(String::as_str),
                declared.iter().map(String::as_str),
            ),
        }
    }

    /// Takes one record, as `Run.next` gives it: the steps it completes.
    fn take(&mut self, record: &Record) -> PyResult<Vec<Step>> {
        let parts: Vec<&str> = record.fqn.iter().map(String::as_str).collect();
        self.inner.take(&record.kind, &record.entity_type, &parts, &record.body).into_iter().map(Step::of).collect()
    }

    /// The waiting entity's write, at the end of the records.
    fn end(&mut self) -> PyResult<Vec<Step>> {
        self.inner.end().into_iter().map(Step::of).collect()
    }

    /// What OpenMetadata holds: one answer of the listing of the service's `entity_type`
    /// (`GET /v1/{collection}?service=…&fields=` [`listing_fields`]), read as host-example reads
    /// it (`host_core::converge::read_page`: an answer that is not a page is an error, named);
    /// each request is then merged with its stored entity. Returns the next page's cursor.
    fn add_stored_page(&mut self, entity_type: &str, page: &str) -> PyResult<Option<String>> {
        let page: Value = serde_json::from_str(page)
            .map_err(|e| plugin_error(format!("the listing of {entity_type}s answered what is not JSON: {e}")))?;
        let (data, after) = host_core::converge::read_page(&page)
            .map_err(|why| plugin_error(format!("the listing of {entity_type}s answered what is not a page: {why}")))?;
        self.inner.add_stored(entity_type, data).map_err(plugin_error)?;
        Ok(after)
    }

    /// Whether a lineage edge between these ends (entity type, id) is worth reading before it is
    /// written (`host_core::converge::lineage::worth_reading`): not when an end is an entity
    /// this run made.
    fn edge_worth_reading(&self, ends: Vec<(String, String)>) -> bool {
        let stored = self.inner.stored();
        let listed = |t: &str, id: &str| stored.and_then(|s| s.holds(t, id));
        host_core::converge::lineage::worth_reading(ends.iter().map(|(t, id)| (t.as_str(), id.as_str())), listed)
    }

    /// Whether the entity has owners in OpenMetadata, as the run's listing says (`None`: its
    /// type was not listed).
    fn has_owners(&self, entity_type: &str, fqn: &str) -> Option<bool> {
        self.inner.stored()?.has_owners(entity_type, fqn)
    }

    /// Whether OpenMetadata already holds what `body` (a write's request, with its labels on,
    /// JSON) says: then it is not sent. Counted for the type.
    fn unchanged(&mut self, entity_type: &str, fqn: &str, body: &str) -> PyResult<bool> {
        let body = parse(body, "a request")?;
        Ok(self.inner.unchanged(entity_type, fqn, &body))
    }

    /// The plugin's latest progress (JSON), if any.
    fn progress(&self) -> PyResult<Option<String>> {
        self.inner.progress().map(|p| to_json(p, "the plugin's progress")).transpose()
    }

    /// The lineage edges received (JSON texts), taken out of the plan.
    fn take_lineage(&mut self) -> PyResult<Vec<String>> {
        self.inner.take_lineage().iter().map(|e| to_json(e, "a lineage edge")).collect()
    }

    /// Takes the listing statuses in (`quiet`: no error so far): the run's end.
    fn finish(&mut self, quiet: bool) -> Finish {
        let finish = self.inner.finish(quiet);
        let types = self
            .inner
            .types()
            .iter()
            .map(|t| TypeOutcome {
                entity_type: t.entity_type.clone(),
                written: t.written.clone(),
                kept: t.kept.clone(),
                unchanged: t.unchanged,
                listed: t.status.as_ref().map(|s| s.listed),
                filtered: t.status.as_ref().map(|s| s.filtered),
                complete: t.status.as_ref().is_some_and(|s| s.complete),
            })
            .collect();
        let skipped = self.inner.skipped().clone();
        Finish {
            errors: finish.errors,
            failed: finish.failed,
            warnings: finish.warnings,
            api_calls: finish.api_calls,
            skipped,
            types,
        }
    }
}
