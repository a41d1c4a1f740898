//! `host-example`: loads source-connector plugins from a directory and runs OpenMetadata
//! ingestion workflows with them. This file only wires the commands together.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use plugin_abi::LogLevel;

mod endpoints;
mod ingest;
mod labels;
mod logging;
mod openmetadata;
mod pipeline_status;
mod progress;
mod requests;
mod signals;
mod sink;
mod stale;
mod stored_connection;
mod test_connection;
mod tls;
mod workflow;

use host_core::failure::{fail, Categorize, Exit, Result};
use host_core::plugins::{self, Plugin, PluginDir};
use host_core::validate;
use workflow::{LoggerLevel, Workflow};

/// Runs OpenMetadata ingestion workflows with source-connector plugins loaded at run time.
#[derive(Parser)]
#[command(
    name = "host-example",
    version,
    after_help = "Exit codes:\n  0    success (or a partial success with workflowConfig.raiseOnError: false)\n  1    the run started and failed, or partly failed: an error, an incomplete listing, objects that\n       could not be read or written, a failed mandatory connection step\n  2    the input is wrong, found before anything ran: workflow file, configuration, plugin\n       directory, secrets, an OpenMetadata server that cannot be used\n  130  interrupted by SIGINT\n  143  interrupted by SIGTERM"
)]
struct Cli {
    /// Directory holding the plugins (default: $OM_PLUGIN_DIR, else ./plugins).
    #[arg(long, global = true, value_name = "DIR")]
    plugin_dir: Option<PathBuf>,
    /// Log level, overriding the workflow's `workflowConfig.loggerLevel`.
    #[arg(long, global = true, value_name = "LEVEL", value_parser = ["error", "warn", "info", "debug", "trace"])]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the workflows, in the order given: each lists its source and writes to its sink.
    Ingest {
        /// A workflow file (YAML or JSON), as for OpenMetadata's `metadata ingest -c`. Given
        /// more than once, the workflows run one after the other (all are checked before the
        /// first starts), each with its own summary; the exit code is the worst of them.
        #[arg(short = 'c', long = "config", value_name = "FILE", required = true)]
        config: Vec<PathBuf>,
        /// The largest share (0–1) of the service's entities of a type that one run may soft-delete; a run
        /// that would delete more deletes none.
        #[arg(long, default_value_t = 0.75, value_name = "SHARE", env = "OM_MAX_DELETE_SHARE")]
        max_delete_share: f64,
        /// OpenMetadata requests in flight at once (metadata-rest sink).
        #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
        sink_concurrency: u16,
        /// The most seconds one OpenMetadata call may take before it is retried (metadata-rest).
        #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        sink_timeout: u64,
        /// How the summary is printed: `text`, or `json` (one JSON object per workflow, one per
        /// line, for scripts).
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        output: String,
    },
    /// Checks that the workflow's source can be reached, step by step.
    TestConnection {
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: PathBuf,
        /// Print OpenMetadata's TestConnectionResult as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Checks a workflow file against the plugin's config schema, without connecting anywhere.
    Validate {
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: PathBuf,
        /// Print `{"valid": …, "connector": …, "violations": [{"path", "message"}]}` instead of
        /// text (the exit code is the same: 0 valid, 2 not).
        #[arg(long)]
        json: bool,
    },
    /// Lists the plugins of the plugin directory, and the files that are not plugins.
    Plugins,
    /// Prints the JSON Schema of a connector's configuration.
    Schema {
        /// The connector type, e.g. `kinesis`.
        connector: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(failure) => {
            eprintln!("error: {failure}");
            ExitCode::from(failure.exit.code())
        }
    }
}

fn run(cli: Cli) -> Result<Exit> {
    let flag_level = cli.log_level.as_deref().map(parse_level);
    let dir = plugins::resolve_dir(cli.plugin_dir);
    match cli.command {
        Command::Plugins => {
            logging::init(flag_level.unwrap_or(LogLevel::Info));
            let found = plugins::load_dir(&dir).bad_input()?;
            print_plugins(&found);
            Ok(Exit::Success)
        }
        Command::Schema { connector } => {
            logging::init(flag_level.unwrap_or(LogLevel::Warn));
            let found = plugins::load_dir(&dir).bad_input()?;
            let plugin = pick(&found, &[connector.as_str()])?;
            println!("{}", plugin.module.config_schema()().into_result().run_failed()?);
            Ok(Exit::Success)
        }
        Command::Ingest { config, max_delete_share, sink_concurrency, sink_timeout, output } => {
            let json = output == "json";
            if !(0.0..=1.0).contains(&max_delete_share) {
                fail!(BadInput, "--max-delete-share must be between 0 and 1, not {max_delete_share}");
            }
            // Listening from the start: a signal before the run begins stops it before it writes.
            let interrupt = signals::Interrupt::install().context("cannot listen for signals").run_failed()?;
            // Every workflow is read and checked before the first one starts.
            let mut workflows = Vec::new();
            for path in &config {
                workflows.push(load_workflow(path, flag_level)?);
            }
            let found = plugins::load_dir(&dir).bad_input()?;
            let mut checked = Vec::new();
            for (path, (mut workflow, level)) in config.iter().zip(workflows) {
                let plugin = pick_for(&found, &workflow)?;
                let schema = prepare(plugin, &mut workflow, path)?;
                checked.push((path, workflow, level, plugin, schema));
            }
            let mut exits = Vec::new();
            for (i, (path, workflow, level, plugin, schema)) in checked.iter().enumerate() {
                if checked.len() > 1 && !json {
                    println!("Workflow {} of {}: {}", i + 1, checked.len(), path.display());
                }
                let options = ingest::Options {
                    level: *level,
                    max_delete_share,
                    sink_concurrency: sink_concurrency.into(),
                    sink_timeout: std::time::Duration::from_secs(sink_timeout),
                };
                let exit = match ingest::run(workflow, plugin, schema, options, &interrupt) {
                    Ok(summary) => {
                        if json {
                            let mut line = summary.to_json();
                            line["workflow"] = path.display().to_string().into();
                            println!("{line}");
                        } else {
                            println!("{summary}");
                        }
                        summary.exit()
                    }
                    // One workflow that cannot start does not keep the others from running.
                    Err(failure) if checked.len() > 1 => {
                        eprintln!("error: {}: {failure}", path.display());
                        failure.exit
                    }
                    Err(failure) => return Err(failure),
                };
                exits.push(exit);
                if matches!(exit, Exit::Interrupted(_)) {
                    break; // a signal stops the workflows still to come too
                }
                if i + 1 < checked.len() && !json {
                    println!();
                }
            }
            Ok(Exit::worst(exits))
        }
        Command::Validate { config, json } => {
            let (mut workflow, _) = load_workflow(&config, flag_level)?;
            let found = plugins::load_dir(&dir).bad_input()?;
            let plugin = pick_for(&found, &workflow)?;
            if json {
                let schema = plugin_schema(plugin)?;
                stored_connection::complete(&mut workflow, plugin, &schema, std::time::Duration::from_secs(60))?;
                let mut violations = violations(plugin, &workflow, &schema)?;
                if let Err(e) = sink::SinkConfig::from_workflow(&workflow) {
                    violations.push(validate::Violation { path: "sink".into(), message: format!("{e:#}") });
                }
                let list: Vec<serde_json::Value> =
                    violations.iter().map(|v| serde_json::json!({"path": v.path, "message": v.message})).collect();
                let valid = list.is_empty();
                println!(
                    "{}",
                    serde_json::json!({"valid": valid, "connector": plugin.manifest.connector_type, "violations": list})
                );
                return Ok(if valid { Exit::Success } else { Exit::BadInput });
            }
            prepare(plugin, &mut workflow, &config)?;
            sink::SinkConfig::from_workflow(&workflow).bad_input()?;
            println!("{} is a valid {} workflow", config.display(), plugin.manifest.connector_type);
            Ok(Exit::Success)
        }
        Command::TestConnection { config, json } => {
            let (mut workflow, level) = load_workflow(&config, flag_level)?;
            let found = plugins::load_dir(&dir).bad_input()?;
            let plugin = pick_for(&found, &workflow)?;
            let schema = prepare(plugin, &mut workflow, &config)?;
            let source = host_core::secrets::resolve(
                &workflow.source,
                &host_core::secrets::secret_keys(&schema),
                &workflow.workflow_config.open_metadata_server_config,
            )?;
            let (report, raw) = test_connection::run(&source, plugin, level).run_failed()?;
            if json {
                println!("{raw}");
            } else {
                println!("{}", report.table());
            }
            Ok(if report.passed() { Exit::Success } else { Exit::RunFailed })
        }
    }
}

fn parse_level(s: &str) -> LogLevel {
    match s {
        "error" => LogLevel::Error,
        "warn" => LogLevel::Warn,
        "debug" => LogLevel::Debug,
        "trace" => LogLevel::Trace,
        _ => LogLevel::Info,
    }
}

/// Reads the workflow and starts the log at its level (or the flag's).
fn load_workflow(path: &std::path::Path, flag: Option<LogLevel>) -> Result<(Workflow, LogLevel)> {
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
fn pick_for<'a>(found: &'a PluginDir, workflow: &Workflow) -> Result<&'a Plugin> {
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

fn pick<'a>(found: &'a PluginDir, wanted: &[&str]) -> Result<&'a Plugin> {
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
fn prepare(plugin: &Plugin, workflow: &mut Workflow, path: &std::path::Path) -> Result<serde_json::Value> {
    let schema = plugin_schema(plugin)?;
    stored_connection::complete(workflow, plugin, &schema, std::time::Duration::from_secs(60))?;
    validate_source(plugin, workflow, &schema, path)?;
    Ok(schema)
}

/// The plugin's config schema.
fn plugin_schema(plugin: &Plugin) -> Result<serde_json::Value> {
    let schema_text = plugin.module.config_schema()().into_result().run_failed()?;
    serde_json::from_str(schema_text.as_str()).context("the plugin's config schema is not JSON").run_failed()
}

/// Validates `source` against the plugin's schema and against the plugin's own checks
/// (`check_config`): every violation is listed at once, each with its path.
fn validate_source(
    plugin: &Plugin,
    workflow: &Workflow,
    schema: &serde_json::Value,
    path: &std::path::Path,
) -> Result<()> {
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
fn violations(plugin: &Plugin, workflow: &Workflow, schema: &serde_json::Value) -> Result<Vec<validate::Violation>> {
    validate::violations(plugin, &workflow.source, schema).run_failed()
}

fn print_plugins(found: &PluginDir) {
    println!("Plugins in {}:", found.dir.display());
    if found.plugins.is_empty() {
        println!("  (none)");
    }
    for p in &found.plugins {
        let m = &p.manifest;
        let entity_types: Vec<&str> = m.entity_types.iter().map(|e| e.entity_type.as_str()).collect();
        println!(
            "  {} ({} service), plugin {}, contract {}, payload format {}, entity types: {}, features: {}  [{}]",
            m.connector_type,
            m.service_kind,
            m.plugin_version,
            m.contract_version,
            m.payload_format_version,
            entity_types.join(", "),
            m.features.join(", "),
            p.path.display()
        );
    }
    if !found.skipped.is_empty() {
        println!("Skipped:");
        for s in &found.skipped {
            println!("  {}: {}", s.path.display(), s.reason);
        }
    }
}
