//! `ingest -c FILE...`: every workflow read and checked first, then run one after the other,
//! each with its summary (text or JSON); the exit code is the worst of them.

use super::*;
use crate::{ingest, signals};

/// The `ingest` flags.
pub struct Flags {
    pub config: Vec<PathBuf>,
    pub max_delete_share: f64,
    pub sink_concurrency: u16,
    pub sink_timeout: u64,
    pub output: String,
}

pub fn run(dir: &Path, flag_level: Option<LogLevel>, flags: Flags) -> Result<Exit> {
    let Flags { config, max_delete_share, sink_concurrency, sink_timeout, output } = flags;
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
    let found = load_dir(dir).bad_input()?;
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
