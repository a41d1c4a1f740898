//! `--settings integrations`: what the integrations plugin costs in a 1,000-stream account (moto:
//! `tests/fixtures/integrations_seed.py` with MORE=1000, every stream read by a Lambda function,
//! every tenth also written by an EventBridge rule and an IoT rule, piped to the next stream and
//! read by a fan-out consumer, beside as many rules that write no stream). One run per kind,
//! then one of every kind, each under the plugin's API budget as it ships (`apiBudgetShare`
//! 0.8 of AWS's limits): calls by operation, pipelines and lineage edges written, wall time and
//! peak RSS. Moto answers in milliseconds, so the wall time is the budget's: what the same
//! account costs in AWS, give or take AWS's own latency.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use e2e::Moto;
use serde_json::{json, Value};

use super::measure;

/// The account's streams.
const STREAMS: usize = 1000;
const SEED: &str = include_str!("../../../fixtures/integrations_seed.py");
const KINDS: [&str; 5] = ["lambda", "pipes", "eventBridgeRules", "iotRules", "fanOutConsumers"];

pub fn run(host: &Path, plugin: &Path, work: &Path) -> Result<()> {
    let plugin_dir = work.join("integrations-plugins");
    std::fs::create_dir_all(&plugin_dir)?;
    std::fs::copy(plugin, plugin_dir.join(plugin.file_name().context("plugin file name")?))?;
    let moto = Moto::start()?;
    let started = Instant::now();
    moto.python_with(SEED, &[("MORE", &STREAMS.to_string())])?;
    println!(
        "integrations: seeded {STREAMS} streams and their wiring on moto in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    println!();
    println!("| kinds read | pipelines | lineage edges | calls | wall s | peak RSS MB |");
    println!("|---|---:|---:|---|---:|---:|");
    let runs: Vec<Vec<&str>> = KINDS.iter().map(|k| vec![*k]).chain([KINDS.to_vec()]).collect();
    for kinds in runs {
        let out = work.join("integrations-out.jsonl");
        let _ = std::fs::remove_file(&out);
        let wf = workflow(&moto.endpoint(), &kinds, &out);
        let path = work.join("integrations.yaml");
        std::fs::write(&path, serde_json::to_string(&wf)?)?;
        let mut cmd = Command::new(host);
        cmd.arg("--plugin-dir").arg(&plugin_dir).args(["ingest", "--output", "json", "-c"]).arg(&path);
        let (seconds, rss, stdout, code, _) = measure(cmd)?;
        let summary: Value = stdout
            .lines()
            .find_map(|l| serde_json::from_str(l).ok())
            .with_context(|| format!("no JSON summary from the run of {kinds:?}: {stdout}"))?;
        if code != 0 {
            bail!("the run of {kinds:?} exited {code}: {summary}");
        }
        let written = std::fs::read_to_string(&out).unwrap_or_default();
        let count = |path: &str| written.lines().filter(|l| l.contains(&format!("\"path\":\"{path}\""))).count();
        let calls: Vec<String> = summary["apiCalls"]
            .as_object()
            .map(|m| m.iter().filter(|(_, n)| n.as_u64().unwrap_or(0) > 0).map(|(op, n)| format!("{op} {n}")).collect())
            .unwrap_or_default();
        let label = if kinds.len() == KINDS.len() { "every kind".to_string() } else { kinds.join(", ") };
        println!(
            "| {label} | {} | {} | {} | {seconds:.1} | {rss:.0} |",
            count("/v1/pipelines"),
            count("/v1/lineage"),
            calls.join(", ")
        );
    }
    Ok(())
}

/// The integrations plugin's workflow for `kinds`, its budget as it ships, into a file.
fn workflow(endpoint: &str, kinds: &[&str], out: &Path) -> Value {
    json!({
        "source": {
            "type": "kinesisintegrations", "serviceName": "bench_integrations",
            "serviceConnection": {"config": {"type": "KinesisIntegrations", "messagingServiceName": "bench",
                "awsConfig": {"awsRegion": e2e::REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": "test",
                    "endPointURL": endpoint}}},
            "sourceConfig": {"config": {"type": "PipelineMetadata", "integrations": kinds}}
        },
        "sink": {"type": "file", "config": {"filename": out}},
        "workflowConfig": {"loggerLevel": "WARN",
            "openMetadataServerConfig": {"hostPort": "http://localhost:8585/api", "authProvider": "no-auth"}}
    })
}
