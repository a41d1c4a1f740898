//! `openmetadata_plugins._native`: the Rust core of the Python package. It loads plugins
//! through `plugin/abi` (with `host-core`, as `host-example` does), checks configurations,
//! runs test connections and pulls a run's records with the GIL released. The Python layer
//! (`python/openmetadata_plugins`) turns the records into OpenMetadata's own request models.
//! Nothing here may unwind into a plugin, and a plugin's failure comes to Python as a
//! `PluginError` with its message.

use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use abi_stable::std_types::{RResult, RSome, RStr};
use host_core::plugins::PluginDir as Dir;
use host_core::puller::Puller;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyStopIteration, PyValueError};
use pyo3::prelude::*;
use serde_json::Value;

mod logs;
mod plan;

use logs::{host_context, level_of, remember_secrets};
use plan::{Plan, Step};

create_exception!(_native, PluginError, PyException, "A plugin failed, or could not be loaded or used.");
create_exception!(
    _native,
    ConfigError,
    PyValueError,
    "A configuration the plugin cannot run with: args are the message and the list of (field, problem)."
);

fn plugin_error(e: impl std::fmt::Display) -> PyErr {
    PluginError::new_err(e.to_string())
}

/// Plugin directories loaded so far: a library is loaded once per process (abi_stable never
/// unloads one), so a directory is read once too.
static DIRS: Mutex<Vec<(PathBuf, Arc<Dir>)>> = Mutex::new(Vec::new());

/// The plugins of a directory, in file-name order, and the files that are not plugins.
#[pyclass(frozen, module = "openmetadata_plugins._native")]
struct PluginDir {
    dir: Arc<Dir>,
}

#[pymethods]
impl PluginDir {
    #[getter]
    fn path(&self) -> String {
        self.dir.dir.display().to_string()
    }

    /// The plugins that loaded.
    #[getter]
    fn plugins(&self) -> Vec<Plugin> {
        (0..self.dir.plugins.len()).map(|index| Plugin { dir: self.dir.clone(), index }).collect()
    }

    /// (path, reason) of each file that is not a compatible plugin.
    #[getter]
    fn skipped(&self) -> Vec<(String, String)> {
        self.dir.skipped.iter().map(|s| (s.path.display().to_string(), s.reason.clone())).collect()
    }

    /// The plugin for a connector type (case-insensitive), if any.
    fn find(&self, connector_type: &str) -> Option<Plugin> {
        let index =
            self.dir.plugins.iter().position(|p| p.manifest.connector_type.eq_ignore_ascii_case(connector_type))?;
        Some(Plugin { dir: self.dir.clone(), index })
    }
}

/// Loads the plugins of `path` (once per process and directory).
#[pyfunction]
fn load_plugins(py: Python<'_>, path: PathBuf) -> PyResult<PluginDir> {
    let mut dirs = DIRS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, dir)) = dirs.iter().find(|(p, _)| *p == path) {
        return Ok(PluginDir { dir: dir.clone() });
    }
    let loaded =
        py.allow_threads(|| host_core::plugins::load_dir(&path)).map_err(|e| plugin_error(format!("{e:#}")))?;
    let dir = Arc::new(loaded);
    dirs.push((path, dir.clone()));
    Ok(PluginDir { dir })
}

/// One loaded plugin.
#[pyclass(frozen, module = "openmetadata_plugins._native")]
struct Plugin {
    dir: Arc<Dir>,
    index: usize,
}

impl Plugin {
    fn inner(&self) -> &host_core::plugins::Plugin {
        &self.dir.plugins[self.index]
    }

    fn schema_value(&self) -> PyResult<Value> {
        let text = self.inner().module.config_schema()().into_result().map_err(plugin_error)?;
        serde_json::from_str(text.as_str())
            .map_err(|e| plugin_error(format!("the plugin's config schema is not JSON: {e}")))
    }
}

fn parse(text: &str, what: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("{what} is not JSON: {e}")))
}

#[pymethods]
impl Plugin {
    /// `serviceConnection.config.type` of the plugin's own configuration, e.g. `Kinesis`.
    #[getter]
    fn connector_type(&self) -> String {
        self.inner().manifest.connector_type.clone()
    }

    /// OpenMetadata's service kind: `Messaging`, `Pipeline`, …
    #[getter]
    fn service_kind(&self) -> String {
        self.inner().manifest.service_kind.clone()
    }

    #[getter]
    fn path(&self) -> String {
        self.inner().path.display().to_string()
    }

    /// The manifest, as JSON.
    #[getter]
    fn manifest(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner().manifest).map_err(plugin_error)
    }

    /// The JSON Schema of the plugin's configuration (the workflow's `source` block).
    fn schema(&self) -> PyResult<String> {
        Ok(self.schema_value()?.to_string())
    }

    /// The property names the schema marks secret.
    fn secret_keys(&self) -> PyResult<Vec<String>> {
        Ok(host_core::secrets::secret_keys(&self.schema_value()?))
    }

    /// Every problem of a `source` block (JSON): the schema's and the plugin's own checks, as
    /// (JSON pointer within `source`, message). Messages never quote a value.
    fn check(&self, py: Python<'_>, source: &str) -> PyResult<Vec<(String, String)>> {
        let source = parse(source, "the source block")?;
        let schema = self.schema_value()?;
        let plugin = self.inner();
        let found = py.allow_threads(|| host_core::validate::violations(plugin, &source, &schema));
        let found = found.map_err(|e| plugin_error(format!("{e:#}")))?;
        Ok(found.into_iter().map(|v| (v.path, v.message)).collect())
    }

    /// `source` (JSON) with its `secret:` references resolved through the secrets manager that
    /// `server` (OpenMetadata's server config, JSON) names, as host-example resolves them.
    fn resolve_secrets(&self, py: Python<'_>, source: &str, server: &str) -> PyResult<String> {
        let source = parse(source, "the source block")?;
        let server = parse(server, "the server config")?;
        let keys = host_core::secrets::secret_keys(&self.schema_value()?);
        let resolved = py.allow_threads(|| host_core::secrets::resolve(&source, &keys, &server));
        let resolved = resolved.map_err(|f| ConfigError::new_err((f.to_string(), Vec::<(String, String)>::new())))?;
        remember_secrets(&resolved, &keys);
        Ok(resolved.to_string())
    }

    /// Runs the plugin's connection steps; OpenMetadata's TestConnectionResult, as JSON.
    #[pyo3(signature = (source, level = 3))]
    fn test_connection(&self, py: Python<'_>, source: &str, level: u8) -> PyResult<String> {
        let module = self.inner().module;
        let context = host_context(level_of(level));
        let answer = py.allow_threads(|| module.test_connection()(RStr::from_str(source), context).into_result());
        answer.map(String::from).map_err(|e| plugin_error(format!("the connection test could not run: {e}")))
    }

    /// Starts a run of `source` (JSON, secrets resolved); its records come from [`Run::next`].
    #[pyo3(signature = (source, level = 3))]
    fn open(&self, py: Python<'_>, source: &str, level: u8) -> PyResult<Run> {
        let keys = host_core::secrets::secret_keys(&self.schema_value()?);
        remember_secrets(&parse(source, "the source block")?, &keys);
        let module = self.inner().module;
        let context = host_context(level_of(level));
        let stream = py.allow_threads(|| module.open()(RStr::from_str(source), context).into_result());
        let stream = stream.map_err(|e| plugin_error(format!("the run could not start: {e}")))?;
        Ok(Run { puller: Mutex::new(Some(Puller::start(stream))), not_stopped: Mutex::new(None) })
    }
}

/// One run of a plugin.
#[pyclass(frozen, module = "openmetadata_plugins._native")]
struct Run {
    puller: Mutex<Option<Puller>>,
    /// The warning of a plugin that did not stop in time at the end of its stream, for `close`.
    not_stopped: Mutex<Option<String>>,
}

#[pymethods]
impl Run {
    /// The next record; `None` when none came within `timeout` seconds. Raises StopIteration at
    /// the end of the run and PluginError when the plugin failed.
    #[pyo3(signature = (timeout = 0.2))]
    fn next(&self, py: Python<'_>, timeout: f64) -> PyResult<Option<plan::Record>> {
        let wait = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
        let received = py.allow_threads(|| {
            let guard = self.puller.lock().unwrap_or_else(|e| e.into_inner());
            guard.as_ref().map(|puller| puller.next(wait))
        });
        match received {
            None => Err(PyStopIteration::new_err(())),
            Some(Ok(RResult::ROk(RSome(r)))) => Ok(Some(plan::Record::of(r))),
            Some(Ok(RResult::ROk(_))) => {
                // The end: the stream is done with, and later calls say so too.
                let ended = self.puller.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(puller) = ended {
                    let not_stopped = py.allow_threads(move || puller.stop());
                    *self.not_stopped.lock().unwrap_or_else(|e| e.into_inner()) = not_stopped;
                }
                Err(PyStopIteration::new_err(()))
            }
            Some(Ok(RResult::RErr(e))) => Err(plugin_error(format!("the plugin failed: {e}"))),
            Some(Err(RecvTimeoutError::Timeout)) => Ok(None),
            Some(Err(RecvTimeoutError::Disconnected)) => {
                Err(plugin_error("the plugin's record stream ended without saying so"))
            }
        }
    }

    /// Stops the run: the plugin's stream is dropped, which cancels its work; waits a moment
    /// for that (`host_core::puller::STOP_GRACE`). `None` when the plugin stopped in time, else
    /// the warning to give.
    fn close(&self, py: Python<'_>) -> Option<String> {
        let ended = self.not_stopped.lock().unwrap_or_else(|e| e.into_inner()).take();
        match self.puller.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(puller) => py.allow_threads(move || puller.stop()),
            None => ended,
        }
    }
}

/// The `fields` the listing of an entity type asks for (`host_core::converge::listing_fields`).
#[pyfunction]
fn listing_fields(entity_type: &str) -> &'static str {
    host_core::converge::listing_fields(entity_type)
}

/// The plugin's source block as a custom connection gives it: see `host_core::custom`.
#[pyclass(frozen, module = "openmetadata_plugins._native")]
struct Translated {
    inner: host_core::custom::Translated,
}

#[pymethods]
impl Translated {
    /// The plugin's `source` block, as JSON.
    #[getter]
    fn source(&self) -> String {
        self.inner.source.to_string()
    }

    /// Where the user wrote what a JSON pointer of `source` holds.
    fn user_path(&self, pointer: &str) -> String {
        self.inner.user_path(pointer)
    }
}

/// Reads the `source` block that OpenMetadata's framework hands a custom source (JSON) as the
/// plugin's (see `host_core::custom::from_custom`). Raises ConfigError with every problem.
#[pyfunction]
fn translate(om_source: &str, schema: &str, om_defaults: &str) -> PyResult<Translated> {
    let om_source = parse(om_source, "the source block")?;
    let schema = parse(schema, "the schema")?;
    let defaults = parse(om_defaults, "the defaults")?;
    match host_core::custom::from_custom(&om_source, &schema, &defaults) {
        Ok(inner) => Ok(Translated { inner }),
        Err(problems) => {
            let list: Vec<(String, String)> = problems.into_iter().map(|v| (v.path, v.message)).collect();
            let text: Vec<String> = list.iter().map(|(p, m)| format!("  {p}: {m}")).collect();
            Err(ConfigError::new_err((format!("the configuration is not valid:\n{}", text.join("\n")), list)))
        }
    }
}

/// Whether a run may look for stale entities of a type (`host_core::deletion::may_delete`), the
/// type as the plugin's manifest describes it (`type_info`, JSON) and the option that asks read
/// from the plugin's `source` block (JSON): `None` to go on, else why it keeps them all.
#[pyfunction]
#[pyo3(signature = (plural, type_info, source, interrupted, listing_complete, failures))]
fn may_delete(
    plural: &str,
    type_info: &str,
    source: &str,
    interrupted: Option<&str>,
    listing_complete: bool,
    failures: usize,
) -> PyResult<Option<String>> {
    let info: plugin_abi::EntityTypeInfo = serde_json::from_str(type_info)
        .map_err(|e| PyValueError::new_err(format!("not an entity type of a manifest: {e}")))?;
    let source = parse(source, "the source block")?;
    let facts = host_core::deletion::RunFacts {
        plural,
        option: host_core::deletion::option_asked(&info, &source),
        interrupted,
        listing_complete,
        failures,
    };
    Ok(host_core::deletion::may_delete(&facts).err())
}

/// The indices in `existing` (FQNs) of the entities not in `seen`, or why none is deleted
/// (`host_core::deletion::stale`).
#[pyfunction]
fn stale(
    plural: &str,
    existing: Vec<String>,
    seen: Vec<String>,
    max_share: f64,
    allow: &str,
) -> (Vec<usize>, Option<String>) {
    match host_core::deletion::stale(plural, &existing, &seen, max_share, allow) {
        Ok(indices) => (indices, None),
        Err(kept) => (Vec::new(), Some(kept)),
    }
}

/// The property names a JSON Schema marks secret.
#[pyfunction]
fn secret_keys(schema: &str) -> PyResult<Vec<String>> {
    Ok(host_core::secrets::secret_keys(&parse(schema, "the schema")?))
}

/// A copy of `value` (JSON) with the values of secret keys replaced by `***`.
#[pyfunction]
fn redact(value: &str, keys: Vec<String>) -> PyResult<String> {
    Ok(host_core::secrets::redact(&parse(value, "the value")?, &keys).to_string())
}

/// A copy of `value` (JSON) without the secret keys, at any depth: a connection as a service
/// stores it.
#[pyfunction]
fn without_secrets(value: &str, keys: Vec<String>) -> PyResult<String> {
    Ok(host_core::secrets::without(&parse(value, "the value")?, &keys).to_string())
}

/// A fully qualified name of `parts`, each quoted where it holds a `.` (`plugin_abi::fqn`).
#[pyfunction]
fn fqn(parts: Vec<String>) -> String {
    plugin_abi::fqn::build(parts.iter().map(String::as_str))
}

/// A tag a record names (`{"classification", "name", …}`, JSON) as the three things a host
/// sends for it (`host_core::labels`): its TagLabel, and the bodies of the requests that make its
/// classification and itself when they are missing; each as JSON.
#[pyfunction]
fn tag_requests(tag: &str) -> PyResult<(String, String, String)> {
    let tag: plugin_abi::envelope::TagRef =
        serde_json::from_str(tag).map_err(|e| PyValueError::new_err(format!("not a tag of a labels record: {e}")))?;
    Ok((
        host_core::labels::tag_label(&tag).to_string(),
        host_core::labels::classification_request(&tag).to_string(),
        host_core::labels::tag_request(&tag).to_string(),
    ))
}

/// The owner policy (`host_core::labels::choose_owner`) for the entity `fqn`: `find(name)` is the
/// host's look-up (an owner reference as JSON, or None); an exception of `lookup_errors` is a
/// failed look-up (the owner is left as it is, said), any other is raised. Returns what to do
/// (`kept`, `set`, `not found`, `failed`), the reference to set (JSON) and the warning to give.
#[pyfunction]
fn choose_owner(
    fqn: &str,
    names: Vec<String>,
    has_owners: bool,
    find: &Bound<'_, PyAny>,
    lookup_errors: &Bound<'_, PyAny>,
) -> PyResult<(&'static str, Option<String>, Option<String>)> {
    use host_core::labels::OwnerChoice;
    let mut raised: Option<PyErr> = None;
    let choice = host_core::labels::choose_owner(fqn, &names, has_owners, |name| {
        let found = find
            .call1((name,))
            .and_then(|r| r.extract::<Option<String>>())
            .and_then(|r| r.map(|text| parse(&text, "an owner reference")).transpose());
        found.map_err(|e| {
            let text = e.to_string();
            if !e.is_instance(find.py(), lookup_errors) {
                raised = Some(e);
            }
            text
        })
    });
    if let Some(e) = raised {
        return Err(e);
    }
    Ok(match choice {
        OwnerChoice::Kept => ("kept", None, None),
        OwnerChoice::Set(reference) => ("set", Some(reference.to_string()), None),
        OwnerChoice::NotFound(why) => ("not found", None, Some(why)),
        OwnerChoice::Failed(why) => ("failed", None, Some(why)),
    })
}

/// Whether the stored edge (the answer of `getLineageEdge`, JSON) already holds what the
/// AddLineageRequest (JSON) would write (`host_core::converge::lineage`).
#[pyfunction]
fn lineage_edge_held(request: &str, stored: &str) -> PyResult<bool> {
    Ok(host_core::converge::lineage::held(&parse(request, "the lineage request")?, &parse(stored, "the stored edge")?))
}

/// The contract version this host speaks.
#[pyfunction]
fn contract_version() -> &'static str {
    plugin_abi::ABI_VERSION
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PluginError", py.get_type::<PluginError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DEFAULT_MAX_DELETE_SHARE", host_core::deletion::DEFAULT_MAX_SHARE)?;
    m.add("MAX_DELETE_SHARE_ENV", host_core::deletion::MAX_SHARE_ENV)?;
    m.add("OWNER_TYPES", host_core::labels::OWNER_TYPES.to_vec())?;
    m.add_class::<PluginDir>()?;
    m.add_class::<Plugin>()?;
    m.add_class::<Run>()?;
    m.add_class::<Translated>()?;
    m.add_class::<Plan>()?;
    m.add_class::<Step>()?;
    m.add_class::<plan::Record>()?;
    m.add_class::<plan::Finish>()?;
    m.add_class::<plan::TypeOutcome>()?;
    m.add_function(wrap_pyfunction!(load_plugins, m)?)?;
    m.add_function(wrap_pyfunction!(translate, m)?)?;
    m.add_function(wrap_pyfunction!(may_delete, m)?)?;
    m.add_function(wrap_pyfunction!(stale, m)?)?;
    m.add_function(wrap_pyfunction!(logs::drain_logs, m)?)?;
    m.add_function(wrap_pyfunction!(secret_keys, m)?)?;
    m.add_function(wrap_pyfunction!(redact, m)?)?;
    m.add_function(wrap_pyfunction!(without_secrets, m)?)?;
    m.add_function(wrap_pyfunction!(contract_version, m)?)?;
    m.add_function(wrap_pyfunction!(fqn, m)?)?;
    m.add_function(wrap_pyfunction!(tag_requests, m)?)?;
    m.add_function(wrap_pyfunction!(lineage_edge_held, m)?)?;
    m.add_function(wrap_pyfunction!(choose_owner, m)?)?;
    m.add_function(wrap_pyfunction!(listing_fields, m)?)?;
    Ok(())
}
