//! The commands, one file each; this file holds what they all do first: read the workflow and
//! start the log at its level, pick the workflow's plugin, complete and check its `source`.

pub mod ingest;
pub mod plugins;
pub mod test_connection;
pub mod validate;

use std::path::{Path, PathBuf};

use anyhow::Context;
use host_core::failure::{fail, Categorize, Exit, Result};
use host_core::plugins::{load_dir, Plugin, PluginDir};
use host_core::validate::Violation;
use plugin_abi::LogLevel;

use crate::workflow::{LoggerLevel, Workflow};
use crate::{logging, stored_connection};

/// The log level a `--log-level` value names.
pub fn parse_level(s: &str) -> LogLevel {
    match s {
        "error" => LogLevel::Error,
        "warn" => LogLevel::Warn,
        "debug" => LogLevel::Debug,
        "trace" => LogLevel::Trace,
        _ => LogLevel::Info,
    }
}

/// Reads the workflow and starts the log at its level (or the flag's).
pub fn load_workflow(path: &Path, flag: Option<LogLevel>) -> Result<(Workflow, LogLevel)> {
    let workflow = Workflow::load(path).bad_input()?;
    let level = flag.unwrap_or(match workflow.workflow_config.logger_level {
        Some(LoggerLevel::Debug) => LogLevel::Debug,
        Some(LoggerLevel::Warn) => LogLevel::Warn,
        Some(LoggerLevel::Error) => LogLevel::Error,
        Some(LoggerLevel::Info) | None => LogLevel::Info,
    });
    logging::init(level);
    Ok((workflow, level))
}

/// The plugin for the workflow's `serviceConnection.config.type`, else its `source.type`.
pub fn pick_for<'a>(found: &'a PluginDir, workflow: &Workflow) -> Result<&'a Plugin> {
    let wanted: Vec<&str> = [workflow.connection_type(), workflow.source_type()].into_iter().flatten().collect();
    if wanted.is_empty() {
        fail!(BadInput, "source.type: the workflow does not say which connector it is for");
    }
    let field =
        if workflow.connection_type().is_some() { "source.serviceConnection.config.type" } else { "source.type" };
    pick(found, &wanted).map_err(|mut f| {
        f.error = f.error.context(format!("{field}: no plugin for this connector"));
        f
    })
}

pub fn pick<'a>(found: &'a PluginDir, wanted: &[&str]) -> Result<&'a Plugin> {
    for skipped in &found.skipped {
        tracing::warn!("skipped {}: {}", skipped.path.display(), skipped.reason);
    }
    if let Some(plugin) = wanted.iter().find_map(|w| found.find(w)) {
        return Ok(plugin);
    }
    let have = found.connector_types();
    fail!(
        BadInput,
        "no plugin for connector '{}' in {} (plugins found: {})",
        wanted[0],
        found.dir.display(),
        if have.is_empty() { "none".to_string() } else { have.join(", ") }
    )
}

/// Makes the workflow's `source` whole (the connection stored in OpenMetadata when it has
/// none) and checks it; the plugin's schema, for later use.
pub fn prepare(plugin: &Plugin, workflow: &mut Workflow, path: &Path) -> Result<serde_json::Value> {
    let schema = plugin_schema(plugin)?;
    stored_connection::complete(workflow, plugin, &schema, std::time::Duration::from_secs(60))?;
    validate_source(plugin, workflow, &schema, path)?;
    Ok(schema)
}

/// The plugin's config schema.
pub fn plugin_schema(plugin: &Plugin) -> Result<serde_json::Value> {
    let schema_text = plugin.module.config_schema()().into_result().run_failed()?;
    serde_json::from_str(schema_text.as_str()).context("the plugin's config schema is not JSON").run_failed()
}

/// Validates `source` against the plugin's schema and against the plugin's own checks
/// (`check_config`): every violation is listed at once, each with its path.
fn validate_source(plugin: &Plugin, workflow: &Workflow, schema: &serde_json::Value, path: &Path) -> Result<()> {
    let violations = violations(plugin, workflow, schema)?;
    if violations.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = violations.iter().map(|v| format!("  source{}: {}", v.path, v.message)).collect();
    fail!(
        BadInput,
        "{} is not a valid {} workflow:\n{}",
        path.display(),
        plugin.manifest.connector_type,
        list.join("\n")
    )
}

/// Every violation of `source`: the schema's and the plugin's own.
pub fn violations(plugin: &Plugin, workflow: &Workflow, schema: &serde_json::Value) -> Result<Vec<Violation>> {
    host_core::validate::violations(plugin, &workflow.source, schema).run_failed()
}
