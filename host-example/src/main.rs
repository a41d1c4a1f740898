//! `host-example`: loads source-connector plugins from a directory and runs OpenMetadata
//! ingestion workflows with them. This file only wires the commands together.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;
mod endpoints;
mod ingest;
mod labels;
mod logging;
mod openmetadata;
mod pipeline_status;
mod progress;
mod records;
mod requests;
mod signals;
mod sink;
mod stale;
mod stored_connection;
mod summary;
mod test_connection;
mod tls;
mod workflow;

use host_core::failure::{Exit, Result};
use host_core::plugins;

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
        #[arg(long, default_value_t = host_core::deletion::DEFAULT_MAX_SHARE, value_name = "SHARE", env = host_core::deletion::MAX_SHARE_ENV)]
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
        /// Print the config form's uiSchema instead (react-jsonschema-form's: the fields a
        /// person fills first, examples, each refusal in words), to render beside the schema.
        #[arg(long)]
        ui: bool,
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
    let flag_level = cli.log_level.as_deref().map(commands::parse_level);
    let dir = plugins::resolve_dir(cli.plugin_dir);
    match cli.command {
        Command::Plugins => commands::plugins::list(&dir, flag_level),
        Command::Schema { connector, ui } => commands::plugins::schema(&dir, flag_level, &connector, ui),
        Command::Ingest { config, max_delete_share, sink_concurrency, sink_timeout, output } => {
            let flags = commands::ingest::Flags { config, max_delete_share, sink_concurrency, sink_timeout, output };
            commands::ingest::run(&dir, flag_level, flags)
        }
        Command::Validate { config, json } => commands::validate::run(&dir, flag_level, &config, json),
        Command::TestConnection { config, json } => commands::test_connection::run(&dir, flag_level, &config, json),
    }
}
