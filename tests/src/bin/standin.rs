//! Runs a command against the OpenMetadata API stand-in of the tests and records the calls it
//! makes, for side-by-side comparisons (`scripts/compare.sh`): the stand-in's `hostPort` is
//! handed to the command as `$OM_HOST_PORT`; when the command ends, every call (method, path,
//! status of the body check) and every PUT body go to `--calls-out` as JSON. The exit code is
//! the command's. Secret values in the recorded bodies are masked.

use std::path::PathBuf;

use clap::Parser;
use e2e::openmetadata::StandIn;

#[derive(Parser)]
struct Args {
    /// The JWT the stand-in accepts.
    #[arg(long)]
    token: Option<String>,
    /// Where the calls are written (JSON).
    #[arg(long)]
    calls_out: PathBuf,
    /// The command, after `--`.
    #[arg(last = true, required = true)]
    command: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let om = StandIn::start(args.token.as_deref())?;
    let status = std::process::Command::new(&args.command[0])
        .args(&args.command[1..])
        .env("OM_HOST_PORT", om.host_port())
        .status()?;
    let state = om.state.lock().map_err(|_| anyhow::anyhow!("the stand-in's state is poisoned"))?;
    let calls = serde_json::json!({
        "calls": state.calls.iter().map(|(m, p)| serde_json::json!([m, p])).collect::<Vec<_>>(),
        "puts": state.puts.iter().map(|(p, b)| serde_json::json!([p, mask(b)])).collect::<Vec<_>>(),
    });
    std::fs::write(&args.calls_out, serde_json::to_string_pretty(&calls)?)?;
    drop(state);
    std::process::exit(status.code().unwrap_or(1));
}

/// The body with every secret field's value replaced by `***` (the runs send the stored
/// connection, keys included, as OpenMetadata's own sink does).
fn mask(value: &serde_json::Value) -> serde_json::Value {
    const SECRETS: &[&str] = &["awsSecretAccessKey", "awsSessionToken", "jwtToken"];
    match value {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| {
                (k.clone(), if SECRETS.contains(&k.as_str()) && !v.is_null() { "***".into() } else { mask(v) })
            })
            .collect(),
        serde_json::Value::Array(items) => items.iter().map(mask).collect(),
        other => other.clone(),
    }
}
