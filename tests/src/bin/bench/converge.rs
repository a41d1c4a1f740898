//! `--settings converge`: a catalog that converges. 1,000 streams with JSON records, sampled,
//! written by host-example to the OpenMetadata stand-in (which applies the server's update
//! rules and counts versions), twice, with nothing changed in between. For each run: the
//! OpenMetadata calls by kind, the versions made, the wall time (goals for the second run: only
//! the listing pages among the entity calls, no topic write, no version).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use e2e::openmetadata::StandIn;
use e2e::{kinesis_client_in, put_json_records, seed, Emulator, StreamSpec};
use serde_json::json;

use super::{measure, Args, REGION};

const STREAMS: usize = 1_000;
const RECORDS: usize = 5;
const TOKEN: &str = "bench-jwt";

pub fn run(args: &Args, plugin_dir: &Path, work: &Path, rt: &tokio::runtime::Runtime) -> Result<()> {
    let emulator = Emulator::start_in(REGION)?;
    let client = kinesis_client_in(&emulator.endpoint(), REGION);
    let started = Instant::now();
    let streams: Vec<StreamSpec> = (0..STREAMS).map(|i| StreamSpec::new(format!("converge-{i:04}"), 1)).collect();
    rt.block_on(async {
        seed(&client, &streams).await?;
        for chunk in streams.chunks(32) {
            let fills = chunk.iter().map(|s| put_json_records(&client, &s.name, RECORDS));
            for r in futures::future::join_all(fills).await {
                r?;
            }
        }
        anyhow::Ok(())
    })?;
    println!("converge: seeded {STREAMS} streams × {RECORDS} JSON records in {:.1}s", started.elapsed().as_secs_f64());
    let latency = Duration::from_millis(args.om_latency_ms);
    let om = StandIn::start_with_latency(Some(TOKEN), latency, 64)?;
    let workflow = json!({
        "source": {
            "type": "kinesis", "serviceName": "bench_converge",
            "serviceConnection": {"config": {"type": "Kinesis", "awsConfig": {
                "awsRegion": REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": "test", "endPointURL": emulator.endpoint()}}},
            "sourceConfig": {"config": {"type": "MessagingMetadata", "generateSampleData": true, "sampleSize": RECORDS,
                "enforceApiBudget": false}}
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"loggerLevel": "WARN", "openMetadataServerConfig": {
            "hostPort": om.host_port(), "authProvider": "openmetadata", "securityConfig": {"jwtToken": TOKEN}}}
    });
    let path = work.join("converge.yaml");
    std::fs::write(&path, serde_json::to_string(&workflow)?)?;
    println!(
        "\n| run ({STREAMS} topics with samples, OpenMetadata {} ms a call) | wall s | peak RSS MB | versions made | OpenMetadata calls |",
        args.om_latency_ms
    );
    println!("|---|---:|---:|---:|---|");
    for run in ["first (creates)", "second (nothing changed)"] {
        let (calls_before, versions_before, topics_before) = {
            let state = om.state.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            (state.calls.len(), state.versions.len(), state.of("topics").len())
        };
        let mut cmd = Command::new(&args.host);
        cmd.arg("--plugin-dir").arg(plugin_dir).args(["ingest", "-c"]).arg(&path).env_remove("OM_PLUGIN_DIR");
        let (wall, rss, _, code, _) = measure(cmd)?;
        if code != 0 {
            bail!("the {run} run failed (exit {code})");
        }
        let state = om.state.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
        let mut calls: BTreeMap<String, u64> = BTreeMap::new();
        for (method, path) in &state.calls[calls_before..] {
            let path = path.split('?').next().unwrap_or_default().trim_start_matches("/api");
            let kind = if path.starts_with("/v1/topics/") && path.ends_with("/sampleData") {
                "/v1/topics/{id}/sampleData".to_string()
            } else if path.starts_with("/v1/services/messagingServices/name/") {
                "/v1/services/messagingServices/name/{name}".to_string()
            } else {
                path.to_string()
            };
            *calls.entry(format!("{method} {kind}")).or_default() += 1;
        }
        // A new topic is its first version; an update that changed something, another.
        let versions = (state.of("topics").len() - topics_before) + (state.versions.len() - versions_before);
        let calls: Vec<String> = calls.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("| {run} | {wall:.1} | {rss:.0} | {versions} | {} |", calls.join(", "));
    }
    Ok(())
}
