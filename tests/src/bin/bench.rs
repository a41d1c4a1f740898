//! The benchmark: the host with the Kinesis plugin (file sink) beside OpenMetadata's own Python
//! connector (the reference), on the same `kinesis-local`, in three settings:
//! 1. plain: the emulator itself;
//! 2. latency: a proxy holding each call 20 ms, as a region's round trip;
//! 3. region: the same, plus AWS's Kinesis limits enforced as AWS does (token buckets; over a
//!    limit, the 400 error AWS sends), with the plugin's budget at 100% of them.
//!
//! Each with and without sample data. It prints wall time, streams/s, calls by operation,
//! throttled calls, peak RSS, the ratio to the reference, and (region) the ratio to the floor.
//! Also: plugin load and manifest/schema call times, and the per-record cost of the ABI.
//!
//! The `sink` setting measures the writes to OpenMetadata instead: the host (metadata-rest
//! sink) beside OpenMetadata's own `metadata ingest`, each against an OpenMetadata API stand-in
//! that answers every call 20 ms late, twice (the first run creates the topics, the second
//! updates them): wall time, calls to OpenMetadata by kind, calls/s and topics/s.
//!
//! The `tags` setting measures what `includeTags` costs under AWS's limits: extra calls and
//! extra time, with tags read by GetResources and by ListTagsForStream.
//!
//! The `scale` setting measures memory and bytes as an account grows (see `bench/scale.rs`).
//!
//! The `integrations` setting measures what the integrations plugin's calls cost, kind by kind,
//! in a 1,000-stream account on moto (see `bench/integrations.rs`).
//!
//! Run it with `scripts/bench.sh` (release build, emulator and reference installed).

#[path = "bench/converge.rs"]
mod converge;
#[path = "bench/integrations.rs"]
mod integrations;
#[path = "bench/scale.rs"]
mod scale;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Parser;
use e2e::proxy::{self, Action, Call};
use e2e::{kinesis_client_in, put_json_records, seed, Emulator, StreamSpec};
use serde_json::{json, Value};

/// The reference connector hard-codes this region.
const REGION: &str = "us-east-1";

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 300)]
    streams: usize,
    #[arg(long, default_value_t = 2)]
    shards: i32,
    #[arg(long, default_value_t = 20)]
    records: usize,
    /// The host binary (release build).
    #[arg(long)]
    host: PathBuf,
    /// The plugin library (release build).
    #[arg(long)]
    plugin: PathBuf,
    /// The reference's Python (from ../shared/anchor/install.sh); without it, only ours runs.
    #[arg(long)]
    reference_python: Option<PathBuf>,
    /// `anchor_python.py`.
    #[arg(long)]
    reference_script: Option<PathBuf>,
    /// The plugin's describeConcurrency (its default: 8).
    #[arg(long, default_value_t = 8)]
    describe_concurrency: u32,
    /// The plugin's sampleConcurrency (its default: 16).
    #[arg(long, default_value_t = 16)]
    sample_concurrency: u32,
    /// Settings to run (plain, latency, region, throttled, sink, tags, framework, scale,
    /// integrations, converge).
    #[arg(long, value_delimiter = ',', default_value = "plain,latency,region")]
    settings: Vec<String>,
    /// OpenMetadata's `metadata` command (from ../shared/anchor/install.sh), for `sink`.
    #[arg(long)]
    reference_metadata: Option<PathBuf>,
    /// The stand-in's latency for `sink` and `framework`, in milliseconds.
    #[arg(long, default_value_t = 20)]
    om_latency_ms: u64,
    /// `metadata` of the environment where the wheel is installed (tests/.venv-om), for
    /// `framework`: OpenMetadata's own runner with our plugin as a custom connector.
    #[arg(long)]
    wheel_metadata: Option<PathBuf>,
    /// The integrations plugin (release build), for `integrations`.
    #[arg(long)]
    integrations_plugin: Option<PathBuf>,
}

/// One measured run.
#[derive(Debug, Default, Clone)]
struct Figures {
    seconds: f64,
    /// The host's CPU time (the plugin runs in it), user and system.
    cpu_seconds: f64,
    topics: u64,
    messages: u64,
    peak_rss_mb: f64,
    calls: BTreeMap<String, u64>,
    throttled: u64,
    ok: bool,
    note: String,
}

fn main() -> Result<std::process::ExitCode> {
    let mut raw = std::env::args_os().skip(1);
    if raw.next().is_some_and(|a| a == MEASURE_ARG) {
        return measuring_parent(raw);
    }
    run()?;
    Ok(std::process::ExitCode::SUCCESS)
}

fn run() -> Result<()> {
    let args = Args::parse();
    abi_figures(&args.plugin)?;

    let rt = e2e::runtime();
    let work = tempfile::tempdir()?;
    let plugin_dir = work.path().join("plugins");
    std::fs::create_dir(&plugin_dir)?;
    std::fs::copy(&args.plugin, plugin_dir.join(args.plugin.file_name().context("plugin file name")?))?;
    if args.settings.iter().any(|s| s == "scale") {
        scale::run(&args, &plugin_dir, work.path(), &rt)?;
    }
    if args.settings.iter().any(|s| s == "integrations") {
        let plugin = args.integrations_plugin.as_ref().context("`integrations` needs --integrations-plugin")?;
        integrations::run(&args.host, plugin, work.path())?;
    }
    if args.settings.iter().any(|s| s == "converge") {
        converge::run(&args, &plugin_dir, work.path(), &rt)?;
    }
    // Those three run on emulators of their own.
    let own_emulator = |s: &String| s == "scale" || s == "integrations" || s == "converge";
    if args.settings.iter().all(own_emulator) {
        return Ok(());
    }
    let emulator = Emulator::start_in(REGION)?;
    let client = kinesis_client_in(&emulator.endpoint(), REGION);
    let started = Instant::now();
    let streams: Vec<StreamSpec> =
        (0..args.streams).map(|i| StreamSpec::new(format!("bench-{i:05}"), args.shards)).collect();
    rt.block_on(async {
        seed(&client, &streams).await?;
        let fills = streams.iter().map(|s| put_json_records(&client, &s.name, args.records));
        for r in futures::future::join_all(fills).await {
            r?;
        }
        anyhow::Ok(())
    })?;
    println!(
        "seeded {} streams × {} shards × {} records in {:.1}s",
        args.streams,
        args.shards,
        args.records,
        started.elapsed().as_secs_f64()
    );
    let capacity = rt.block_on(emulator_capacity(&client, &streams))?;
    println!("emulator capacity (pure load generator, 32 in flight): {capacity:.0} calls/s");
    let upstream = format!("127.0.0.1:{}", emulator.port).parse()?;
    let pages = args.streams.div_ceil(100) as f64;
    let floor = args.streams as f64 / 20.0 + pages / 5.0;

    let mut rows = Vec::new();
    for setting in &args.settings {
        if setting == "sink" || setting == "framework" {
            sink_bench(&args, &plugin_dir, work.path(), &emulator.endpoint(), setting == "framework")?;
            continue;
        }
        if own_emulator(setting) {
            continue; // measured first, on an emulator of its own
        }
        if setting == "tags" {
            tags_bench(&args, &plugin_dir, work.path(), &rt, &client, &streams, upstream)?;
            continue;
        }
        if setting == "classify" {
            classify_bench(&args, &plugin_dir, work.path(), &emulator.endpoint())?;
            continue;
        }
        let (endpoint, proxy) = match setting.as_str() {
            "plain" => (emulator.endpoint(), None),
            "latency" => {
                let p = rt.block_on(proxy::start(upstream, latency_rule()))?;
                (p.endpoint(), Some(p))
            }
            "region" => {
                let p = rt.block_on(proxy::start(upstream, region_rule(1.0)))?;
                (p.endpoint(), Some(p))
            }
            // Sustained throttling: the proxy allows half of AWS's limits while the run's
            // budget spends all of them, so a share of calls is refused all along.
            "throttled" => {
                let p = rt.block_on(proxy::start(upstream, region_rule(0.5)))?;
                (p.endpoint(), Some(p))
            }
            other => bail!("unknown setting {other}"),
        };
        for sample in [false, true] {
            let before = proxy.as_ref().map(|p| (counts(p), p.failed.load(std::sync::atomic::Ordering::Relaxed)));
            let mut ours = run_ours(
                &args,
                &plugin_dir,
                work.path(),
                &endpoint,
                sample,
                setting != "plain" && setting != "latency",
                json!({}),
            )?;
            if let (Some(p), Some((counts_before, failed_before))) = (&proxy, &before) {
                ours.calls = diff(&counts(p), counts_before);
                ours.throttled = p.failed.load(std::sync::atomic::Ordering::Relaxed) - failed_before;
            }
            let reference = match (&args.reference_python, &args.reference_script) {
                (Some(python), Some(script)) => {
                    let before =
                        proxy.as_ref().map(|p| (counts(p), p.failed.load(std::sync::atomic::Ordering::Relaxed)));
                    let mut r = run_reference(python, script, &endpoint, sample)?;
                    if let (Some(p), Some((counts_before, failed_before))) = (&proxy, &before) {
                        r.calls = diff(&counts(p), counts_before);
                        r.throttled = p.failed.load(std::sync::atomic::Ordering::Relaxed) - failed_before;
                    }
                    Some(r)
                }
                _ => None,
            };
            rows.push((setting.clone(), sample, ours, reference));
        }
    }
    print_table(&rows, args.streams, floor);
    Ok(())
}

/// `--settings classify`: the same sampled run with classification off and on (sensitive values
/// masked), three of each, alternating: the median wall times, peak RSS and their ratio (goal:
/// on within 1.05× of off).
fn classify_bench(args: &Args, plugin_dir: &Path, work: &Path, endpoint: &str) -> Result<()> {
    let on_settings = json!({"enableAutoClassification": true, "sampleDataMasking": "sensitive"});
    let (mut off, mut on) = (Vec::new(), Vec::new());
    // Off and on alternate as off, on, on, off, off, on: the emulator's pace drifts over a
    // benchmark, and this order gives neither side the later runs.
    for classify in [false, true, true, false, false, true] {
        let settings = if classify { on_settings.clone() } else { json!({}) };
        let run = run_ours(args, plugin_dir, work, endpoint, true, false, settings)?;
        let label = if classify { "on" } else { "off" };
        println!("classification {label}: {:.2} s wall, {:.2} s host CPU", run.seconds, run.cpu_seconds);
        if classify {
            on.push(run);
        } else {
            off.push(run);
        }
    }
    let median_cpu = |runs: &[Figures]| {
        let mut cpu: Vec<f64> = runs.iter().map(|r| r.cpu_seconds).collect();
        cpu.sort_by(f64::total_cmp);
        cpu[cpu.len() / 2]
    };
    let (off_cpu, on_cpu) = (median_cpu(&off), median_cpu(&on));
    let median = |mut runs: Vec<Figures>| {
        runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        runs.swap_remove(runs.len() / 2)
    };
    let (off, on) = (median(off), median(on));
    for (label, f) in [("off", &off), ("on", &on)] {
        if !f.ok || f.topics != args.streams as u64 {
            println!(
                "note: the run with classification {label} wrote {} topics of {} ({})",
                f.topics, args.streams, f.note
            );
        }
    }
    println!();
    println!(
        "| {} streams with samples | wall s (median of 3) | host CPU s (median of 3) | messages | peak RSS MB |",
        args.streams
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| classification off | {:.2} | {:.2} | {} | {:.0} |",
        off.seconds, off_cpu, off.messages, off.peak_rss_mb
    );
    println!(
        "| classification on, sensitive masked | {:.2} | {:.2} | {} | {:.0} |",
        on.seconds, on_cpu, on.messages, on.peak_rss_mb
    );
    println!("goal: on within 1.05× of off: {:.3}× wall, {:.3}× host CPU", on.seconds / off.seconds, on_cpu / off_cpu);
    Ok(())
}

/// What the emulator serves to a load generator doing nothing else: DescribeStreamSummary
/// calls, 32 in flight, for about two seconds.
async fn emulator_capacity(client: &aws_sdk_kinesis::Client, streams: &[StreamSpec]) -> Result<f64> {
    use futures::StreamExt;
    let n = 2000;
    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter((0..n).map(|i| &streams[i % streams.len()].name))
        .map(|name| client.describe_stream_summary().stream_name(name).send())
        .buffer_unordered(32)
        .collect()
        .await;
    for r in results {
        r?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

fn counts(p: &proxy::Proxy) -> BTreeMap<String, u64> {
    ["ListStreams", "DescribeStreamSummary", "DescribeStream", "ListShards", "GetShardIterator", "GetRecords"]
        .iter()
        .map(|op| (op.to_string(), p.calls(op)))
        .collect()
}

fn diff(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after.iter().map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0))).filter(|(_, v)| *v > 0).collect()
}

fn latency_rule() -> proxy::Rule {
    Arc::new(|_: &Call| Action::Forward { delay: Duration::from_millis(20) })
}

/// AWS's limits (times `share`) as token buckets (a second's worth of burst), per account,
/// stream or shard.
fn region_rule(share: f64) -> proxy::Rule {
    let buckets: Arc<Mutex<HashMap<String, (f64, Instant)>>> = Arc::default();
    Arc::new(move |call: &Call| {
        let (rate, key, code) = match call.operation.as_str() {
            "ListStreams" => (5.0, "ListStreams".to_string(), "LimitExceededException"),
            "DescribeStreamSummary" => (20.0, "DescribeStreamSummary".into(), "LimitExceededException"),
            "DescribeStream" => (10.0, "DescribeStream".into(), "LimitExceededException"),
            "ListShards" => (1000.0, format!("ListShards/{}", stream_of(&call.body)), "LimitExceededException"),
            "GetShardIterator" => (
                5.0,
                format!("GetShardIterator/{}", call.shard.clone().unwrap_or_default()),
                "ProvisionedThroughputExceededException",
            ),
            "GetRecords" => (
                5.0,
                format!("GetRecords/{}", call.shard.clone().unwrap_or_default()),
                "ProvisionedThroughputExceededException",
            ),
            _ => return Action::Forward { delay: Duration::from_millis(20) },
        };
        let rate = rate * share;
        let mut buckets = buckets.lock().unwrap();
        let now = Instant::now();
        let (tokens, last) = buckets.entry(key).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Action::Forward { delay: Duration::from_millis(20) }
        } else {
            Action::Fail { status: 400, code: code.into(), message: "Rate exceeded for the account or shard".into() }
        }
    })
}

/// The cost of `includeTags` under AWS's limits (the region setting, the budget at 100%): the
/// run without tags, with tags read by GetResources (answered here as the Resource Groups
/// Tagging API would, 100 streams a page, 20 ms a call), and with GetResources denied, so
/// that each stream is asked with ListTagsForStream (5/s per account, as AWS limits it).
fn tags_bench(
    args: &Args,
    plugin_dir: &Path,
    work: &Path,
    rt: &tokio::runtime::Runtime,
    client: &aws_sdk_kinesis::Client,
    streams: &[StreamSpec],
    upstream: std::net::SocketAddr,
) -> Result<()> {
    rt.block_on(async {
        for (i, s) in streams.iter().enumerate() {
            let tags =
                HashMap::from([("team".to_string(), format!("team-{}", i % 7)), ("owner".into(), "alice".into())]);
            client.add_tags_to_stream().stream_name(&s.name).set_tags(Some(tags)).send().await?;
        }
        anyhow::Ok(())
    })?;
    let names: Vec<String> = streams.iter().map(|s| s.name.clone()).collect();
    println!("\n## includeTags on {} streams, AWS's limits enforced (budget at 100%)\n", names.len());
    println!("| run | wall s | extra wall s | extra calls | calls |");
    println!("|---|---|---|---|---|");
    let mut baseline: Option<Figures> = None;
    for (label, tags, serve) in [
        ("no tags", false, false),
        ("GetResources", true, true),
        ("ListTagsForStream (GetResources denied)", true, false),
    ] {
        let region = region_rule(1.0);
        let list_tags = region_rule_for("ListTagsForStream", 5.0);
        let resources: Vec<e2e::tagging::Tagged> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let tags = vec![("team".to_string(), format!("team-{}", i % 7)), ("owner".into(), "alice".into())];
                (e2e::tagging::stream_arn(REGION, n), tags)
            })
            .collect();
        let tagging_api = if serve {
            e2e::tagging::get_resources(resources, 100, Duration::from_millis(20))
        } else {
            e2e::tagging::get_resources_denied(Duration::from_millis(20))
        };
        let rule: proxy::Rule = Arc::new(move |call: &Call| match call.operation.as_str() {
            "GetResources" => tagging_api(call),
            "ListTagsForStream" => list_tags(call),
            _ => region(call),
        });
        let p = rt.block_on(proxy::start(upstream, rule))?;
        let f = run_ours(
            args,
            plugin_dir,
            work,
            &p.endpoint(),
            false,
            true,
            json!({"includeTags": tags, "apiBudgetShare": 1.0}),
        )?;
        let mut calls = BTreeMap::new();
        for op in ["ListStreams", "DescribeStreamSummary", "GetResources", "ListTagsForStream"] {
            let n = p.calls(op);
            if n > 0 {
                calls.insert(op.to_string(), n);
            }
        }
        let total: u64 = calls.values().sum();
        let (extra_wall, extra_calls) = match &baseline {
            Some(b) => (format!("{:+.2}", f.seconds - b.seconds), format!("{:+}", total as i64 - b.topics as i64)),
            None => ("—".into(), "—".into()),
        };
        let listed: Vec<String> = calls.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "| {label} | {:.2}{} | {extra_wall} | {extra_calls} | {} |",
            f.seconds,
            if f.ok { "" } else { " (failed)" },
            listed.join(", ")
        );
        if baseline.is_none() {
            // The baseline's call total, kept in `topics` for the differences above.
            baseline = Some(Figures { topics: total, ..f });
        }
    }
    Ok(())
}

/// One operation limited per account at `rate` calls/s, as AWS limits it (a second's burst).
fn region_rule_for(operation: &'static str, rate: f64) -> proxy::Rule {
    let bucket: Arc<Mutex<(f64, Instant)>> = Arc::new(Mutex::new((rate, Instant::now())));
    Arc::new(move |call: &Call| {
        debug_assert_eq!(call.operation, operation);
        let mut b = bucket.lock().unwrap();
        let now = Instant::now();
        b.0 = (b.0 + now.duration_since(b.1).as_secs_f64() * rate).min(rate);
        b.1 = now;
        if b.0 >= 1.0 {
            b.0 -= 1.0;
            Action::Forward { delay: Duration::from_millis(20) }
        } else {
            Action::Fail { status: 400, code: "LimitExceededException".into(), message: "Rate exceeded".into() }
        }
    })
}

fn stream_of(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["StreamName"].as_str().map(str::to_string))
        .unwrap_or_default()
}

fn run_ours(
    args: &Args,
    plugin_dir: &Path,
    work: &Path,
    endpoint: &str,
    sample: bool,
    full_budget: bool,
    extra: Value,
) -> Result<Figures> {
    let mut config = json!({"type": "MessagingMetadata", "generateSampleData": sample, "markDeletedTopics": true});
    if let (Some(c), Some(extra)) = (config.as_object_mut(), extra.as_object()) {
        c.extend(extra.clone());
    }
    // In "region", AWS's limits apply and the run uses all of them; elsewhere there are none to
    // respect (an emulator), so the budget is off.
    if full_budget {
        config["apiBudgetShare"] = json!(1.0);
    } else {
        config["enforceApiBudget"] = json!(false);
    }
    // Concurrency is bounded separately from the budget (the plugin's defaults unless asked).
    config["describeConcurrency"] = json!(args.describe_concurrency);
    config["sampleConcurrency"] = json!(args.sample_concurrency);
    let out = work.join("bench-out.jsonl");
    let wf = json!({
        "source": {
            "type": "kinesis", "serviceName": "bench",
            "serviceConnection": {"config": {"type": "Kinesis", "awsConfig": {
                "awsRegion": REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": "test", "endPointURL": endpoint}}},
            "sourceConfig": {"config": config}
        },
        "sink": {"type": "file", "config": {"filename": out}},
        "workflowConfig": {"loggerLevel": "WARN", "openMetadataServerConfig": {"hostPort": "http://localhost:8585/api", "authProvider": "no-auth"}}
    });
    let path = work.join("bench.yaml");
    std::fs::write(&path, serde_json::to_string(&wf)?)?;
    let mut cmd = Command::new(&args.host);
    cmd.arg("--plugin-dir").arg(plugin_dir).args(["ingest", "-c"]).arg(&path);
    let (seconds, rss, stdout, code, cpu_seconds) = measure(cmd)?;
    let lines = std::fs::read_to_string(&out).unwrap_or_default();
    let mut f = Figures { seconds, cpu_seconds, peak_rss_mb: rss, ok: code == 0, ..Default::default() };
    for line in lines.lines() {
        let v: Value = serde_json::from_str(line)?;
        match v["path"].as_str() {
            Some("/v1/topics") => f.topics += 1,
            Some("/v1/topics/{id}/sampleData") => {
                f.messages += v["body"]["messages"].as_array().map_or(0, |m| m.len() as u64)
            }
            _ => {}
        }
    }
    // Calls as the plugin counted them (the proxy's count replaces this where there is one).
    if let Some(line) = stdout.lines().find(|l| l.trim_start().starts_with("api calls:")) {
        for part in line.split(':').nth(1).unwrap_or("").split(',') {
            let mut it = part.split_whitespace();
            if let (Some(op), Some(n)) = (it.next(), it.next().and_then(|n| n.parse().ok())) {
                f.calls.insert(op.to_string(), n);
            }
        }
    }
    if code != 0 {
        f.note = format!("exit {code}");
    }
    Ok(f)
}

fn run_reference(python: &Path, script: &Path, endpoint: &str, sample: bool) -> Result<Figures> {
    let mut cmd = Command::new(python);
    cmd.arg(script).arg(endpoint).arg(if sample { "1" } else { "0" });
    let (wall, rss, stdout, code, _) = measure(cmd)?;
    let line = stdout.lines().rev().find(|l| l.starts_with('{'));
    let Some(line) = line else {
        return Ok(Figures {
            seconds: wall,
            peak_rss_mb: rss,
            note: format!("failed (exit {code})"),
            ..Default::default()
        });
    };
    let v: Value = serde_json::from_str(line)?;
    Ok(Figures {
        // Its own timing of the extraction (without Python's start-up), which favours it.
        seconds: v["seconds"].as_f64().unwrap_or(wall),
        topics: v["topics"].as_u64().unwrap_or(0),
        messages: v["sample_messages"].as_u64().unwrap_or(0),
        peak_rss_mb: rss,
        ok: code == 0,
        note: if code == 0 { String::new() } else { format!("exit {code}") },
        ..Default::default()
    })
}

/// One run's writes to OpenMetadata, as the stand-in saw them.
struct SinkFigures {
    wall: f64,
    /// From the first call to OpenMetadata to the last.
    span: f64,
    calls: BTreeMap<String, usize>,
    topics: usize,
    code: i32,
    peak_rss_mb: f64,
}

/// The `sink` setting: ours and the reference against a slow OpenMetadata, twice each. The
/// `framework` setting adds OpenMetadata's own runner with our plugin (the wheel, as a custom
/// connector).
fn sink_bench(args: &Args, plugin_dir: &Path, work: &Path, endpoint: &str, framework: bool) -> Result<()> {
    const TOKEN: &str = "bench-jwt";
    let latency = Duration::from_millis(args.om_latency_ms);
    let workflow = |om: &e2e::openmetadata::StandIn, name: &str| {
        let mut config = json!({"type": "MessagingMetadata", "generateSampleData": false, "markDeletedTopics": true});
        let aws = json!({"awsRegion": REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": "test", "endPointURL": endpoint});
        let (source_type, connection) = match name {
            "wheel" => {
                // An emulator: no AWS limits to share.
                (
                    "customMessaging",
                    json!({"type": "CustomMessaging", "sourcePythonClass": "openmetadata_plugins.KinesisSource",
                    "awsConfig": aws, "enforceApiBudget": false}),
                )
            }
            "host-example" => {
                config["enforceApiBudget"] = json!(false);
                ("kinesis", json!({"type": "Kinesis", "awsConfig": aws}))
            }
            _ => ("kinesis", json!({"type": "Kinesis", "awsConfig": aws})),
        };
        json!({
            "source": {
                "type": source_type, "serviceName": "bench_sink",
                "serviceConnection": {"config": connection},
                "sourceConfig": {"config": config}
            },
            "sink": {"type": "metadata-rest", "config": {}},
            "workflowConfig": {"loggerLevel": "WARN", "openMetadataServerConfig": {
                "hostPort": om.host_port(), "authProvider": "openmetadata", "securityConfig": {"jwtToken": TOKEN}}}
        })
    };
    let mut rows: Vec<(&str, &str, SinkFigures)> = Vec::new();
    let mut impls: Vec<(&str, Vec<String>)> = vec![(
        "host-example",
        vec![
            args.host.display().to_string(),
            "--plugin-dir".into(),
            plugin_dir.display().to_string(),
            "ingest".into(),
            "-c".into(),
        ],
    )];
    if framework {
        match &args.wheel_metadata {
            Some(metadata) => impls.push(("wheel", vec![metadata.display().to_string(), "ingest".into(), "-c".into()])),
            None => bail!("the framework setting needs --wheel-metadata (scripts/bench.sh gives it)"),
        }
    }
    match &args.reference_metadata {
        Some(metadata) => {
            impls.push(("metadata ingest", vec![metadata.display().to_string(), "ingest".into(), "-c".into()]))
        }
        None => println!("note: no --reference-metadata: OpenMetadata's own connector is not measured"),
    }
    for (name, command) in &impls {
        // 64 calls at a time: the stand-in is not what limits either side.
        let om = e2e::openmetadata::StandIn::start_with_latency(Some(TOKEN), latency, 64)?;
        let path = work.join(format!("sink-{}.yaml", name.replace(' ', "-")));
        std::fs::write(&path, serde_json::to_string(&workflow(&om, name))?)?;
        for run in ["create", "update"] {
            let before = om.state.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.calls.len();
            let mut cmd = Command::new(&command[0]);
            cmd.args(&command[1..]).arg(&path).env_remove("OM_PLUGIN_DIR");
            let (wall, peak_rss_mb, _, code, _) = measure(cmd)?;
            let state = om.state.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            let times = &state.call_times[before..];
            let span = match (times.first(), times.last()) {
                (Some(first), Some(last)) => (*last - *first + latency).as_secs_f64(),
                _ => 0.0,
            };
            let mut calls = BTreeMap::new();
            for (method, path) in &state.calls[before..] {
                let path = path.split('?').next().unwrap_or_default();
                let kind = match path {
                    p if p.starts_with("/api/v1/topics/name/") => "GET /v1/topics/name/{fqn}".to_string(),
                    p if p.starts_with("/api/v1/services/messagingServices/name/") => {
                        format!("{method} /v1/services/messagingServices/name/{{name}}")
                    }
                    p => format!("{method} {}", p.trim_start_matches("/api")),
                };
                *calls.entry(kind).or_default() += 1;
            }
            let topics = state.live_topics().len();
            rows.push((name, run, SinkFigures { wall, span, calls, topics, code, peak_rss_mb }));
        }
    }
    println!();
    println!(
        "writes to OpenMetadata ({} streams, no samples; every call answered {} ms late):",
        args.streams, args.om_latency_ms
    );
    println!(
        "| impl | run | exit | wall s | peak RSS MB | first→last call s | calls | calls/s | topics | topics/s (span) | calls by kind |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (name, run, f) in &rows {
        let total: usize = f.calls.values().sum();
        let by_kind = f.calls.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
        println!(
            "| {name} | {run} | {} | {:.2} | {:.0} | {:.2} | {total} | {:.0} | {} | {:.0} | {by_kind} |",
            f.code,
            f.wall,
            f.peak_rss_mb,
            f.span,
            total as f64 / f.span.max(1e-9),
            f.topics,
            f.topics as f64 / f.span.max(1e-9),
        );
    }
    if let (true, Some(metadata)) = (framework, &args.wheel_metadata) {
        framework_start_up(metadata, &rows)?;
    }
    Ok(())
}

/// What every `metadata ingest` run pays before its source starts, whatever the connector:
/// importing OpenMetadata's package (its `__init__` loads the profiler, the workflow and the
/// client). Printed with the wheel's wall time less it, beside host-example's.
fn framework_start_up(metadata: &Path, rows: &[(&str, &str, SinkFigures)]) -> Result<()> {
    let python = metadata.with_file_name("python");
    let mut imports = Vec::new();
    for _ in 0..2 {
        let mut cmd = Command::new(&python);
        cmd.args(["-c", "import metadata.cli.ingest, metadata.workflow.metadata"]);
        let (seconds, _, _, code, _) = measure(cmd)?;
        if code != 0 {
            bail!("{} could not import OpenMetadata's framework (exit {code})", python.display());
        }
        imports.push(seconds);
    }
    let start_up = imports.iter().copied().fold(f64::INFINITY, f64::min);
    println!();
    println!(
        "OpenMetadata's framework start-up (`python -c 'import metadata.cli.ingest, metadata.workflow.metadata'`, \
         the fastest of 2): {start_up:.2} s; every `metadata ingest` run pays it before its source starts"
    );
    for run in ["create", "update"] {
        let wall = |name: &str| rows.iter().find(|(n, r, _)| *n == name && *r == run).map(|(_, _, f)| f.wall);
        if let (Some(wheel), Some(host)) = (wall("wheel"), wall("host-example")) {
            println!(
                "{run}: wheel {wheel:.2} s = {:.2}× host-example's {host:.2} s; less the start-up {:.2} s = {:.2}×",
                wheel / host,
                wheel - start_up,
                (wheel - start_up) / host
            );
            if let Some(reference) = wall("metadata ingest") {
                println!(
                    "{run}: OpenMetadata's connector {reference:.2} s = {:.1}× the wheel's; both less the start-up: {:.1}×",
                    reference / wheel,
                    (reference - start_up) / (wheel - start_up)
                );
            }
        }
    }
    Ok(())
}

/// The hidden first argument that makes this binary the measuring parent of one command (see
/// [`measure`]): `bench __measure OUT PROGRAM ARGS…`.
const MEASURE_ARG: &str = "__measure";

/// Runs a command: wall time, peak RSS (MB), stdout, exit code, CPU seconds (user and system).
///
/// The peak RSS and CPU time come from `wait4`, taken by a fresh copy of this binary that starts
/// the command ([`measuring_parent`]), not by this process. Linux carries the RSS high-water
/// mark of the process that execs into the new program's `ru_maxrss`: run from here, every
/// figure would be at least this benchmark's own size at that moment (after a first run, the
/// OpenMetadata stand-in's state: the "55 MB" second converge run was this process, the host
/// peaked at 38).
fn measure(cmd: Command) -> Result<(f64, f64, String, i32, f64)> {
    let figures = tempfile::NamedTempFile::new()?;
    let mut parent = Command::new(std::env::current_exe()?);
    parent.arg(MEASURE_ARG).arg(figures.path()).arg(cmd.get_program()).args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => parent.env(key, value),
            None => parent.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        parent.current_dir(dir);
    }
    let started = Instant::now();
    let mut child =
        parent.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().context("cannot start a benchmark run")?;
    let mut stdout = String::new();
    child.stdout.take().context("stdout")?.read_to_string(&mut stdout)?;
    let status = child.wait()?;
    let seconds = started.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(figures.path())?;
    let [code, rss_kb, cpu]: [f64; 3] = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<Vec<f64>, _>>()
        .ok()
        .and_then(|v| v.try_into().ok())
        .with_context(|| format!("the measuring parent wrote {text:?} (it exited {status})"))?;
    Ok((seconds, rss_kb / 1024.0, stdout, code as i32, cpu))
}

/// `bench __measure OUT PROGRAM ARGS…`: runs PROGRAM (stdin, stdout and stderr this process's),
/// waits for it with `wait4`, writes "exit-code peak-RSS-KB CPU-seconds" to OUT, exits with its code.
fn measuring_parent(mut args: impl Iterator<Item = std::ffi::OsString>) -> Result<std::process::ExitCode> {
    let out = args.next().context("no figures file")?;
    let program = args.next().context("no program")?;
    let child = Command::new(program).args(args).spawn().context("cannot start the measured program")?;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, with valid pointers to locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    if pid < 0 {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 };
    let cpu = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    std::fs::write(out, format!("{code} {} {}", usage.ru_maxrss, cpu(usage.ru_utime) + cpu(usage.ru_stime)))?;
    Ok(std::process::ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

fn print_table(rows: &[(String, bool, Figures, Option<Figures>)], streams: usize, floor: f64) {
    if rows.is_empty() {
        return;
    }
    println!();
    println!("| setting | samples | impl | wall s | streams/s | topics | messages | calls by operation | calls/s | throttled | peak RSS MB | vs reference | vs floor |");
    println!("|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
    for (setting, sample, ours, reference) in rows {
        let calls = |f: &Figures| f.calls.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
        let ratio = reference.as_ref().filter(|r| r.ok && ours.seconds > 0.0).map(|r| {
            format!("{:.1}× faster, {:.1}× less RSS", r.seconds / ours.seconds, r.peak_rss_mb / ours.peak_rss_mb)
        });
        let vs_floor =
            if setting == "region" { format!("{:.2}× ({floor:.1} s)", ours.seconds / floor) } else { "".into() };
        for (name, f, r, fl) in [("plugin", ours, ratio.unwrap_or_default(), vs_floor)]
            .into_iter()
            .chain(reference.iter().map(|r| ("reference", r, String::new(), String::new())))
        {
            println!(
                "| {setting} | {} | {name} | {:.2} | {:.0} | {} | {} | {} | {} | {} | {:.0} | {r} | {fl} |{}",
                if *sample { "yes" } else { "no" },
                f.seconds,
                streams as f64 / f.seconds,
                f.topics,
                f.messages,
                calls(f),
                if f.calls.is_empty() {
                    "".to_string()
                } else {
                    format!("{:.0}", f.calls.values().sum::<u64>() as f64 / f.seconds)
                },
                f.throttled,
                f.peak_rss_mb,
                if f.note.is_empty() { String::new() } else { format!(" {}", f.note) }
            );
        }
    }
}

/// Plugin load, manifest and schema calls, and the per-record cost of crossing the ABI.
fn abi_figures(plugin: &Path) -> Result<()> {
    use abi_stable::std_types::{RNone, ROption, RResult, RSome};
    use plugin_abi::{Manifest, PluginError, Record, RecordKind, RecordStream, RecordStream_TO, SourcePluginRef};

    let t = Instant::now();
    let header = abi_stable::library::lib_header_from_path(plugin).map_err(|e| anyhow::anyhow!("{e}"))?;
    let module = header.init_root_module::<SourcePluginRef>().map_err(|e| anyhow::anyhow!("{e}"))?;
    let load = t.elapsed();
    let t = Instant::now();
    let manifest = module.manifest()().into_result().map_err(|e| anyhow::anyhow!("{e}"))?;
    let manifest: Manifest = serde_json::from_str(manifest.as_str())?;
    let manifest_time = t.elapsed();
    let t = Instant::now();
    let schema = module.config_schema()().into_result().map_err(|e| anyhow::anyhow!("{e}"))?;
    let schema_time = t.elapsed();

    // A record stream behind the same sabi_trait vtable the plugin's goes through, yielding
    // a topic-sized payload each time.
    struct Synthetic {
        left: u64,
        record: Record,
    }
    impl RecordStream for Synthetic {
        fn next(&mut self) -> RResult<ROption<Record>, PluginError> {
            if self.left == 0 {
                return RResult::ROk(RNone);
            }
            self.left -= 1;
            RResult::ROk(RSome(self.record.clone()))
        }
    }
    let payload = json!({"name": "bench-00001", "service": "bench", "partitions": 2, "retentionTime": 86400000.0,
        "maximumMessageSize": 1048576, "cleanupPolicies": ["delete"], "sourceUrl": "https://us-east-1.console.aws.amazon.com/kinesis/home",
        "topicConfig": {"streamArn": "arn:aws:kinesis:us-east-1:000000000000:stream/bench-00001", "streamStatus": "ACTIVE"}});
    let n = 1_000_000u64;
    let mut stream = RecordStream_TO::from_value(
        Synthetic { left: n, record: Record::new(RecordKind::Entity, "topic", &["bench", "bench-00001"], &payload) },
        abi_stable::sabi_trait::TD_Opaque,
    );
    let t = Instant::now();
    let mut bytes = 0usize;
    while let RResult::ROk(RSome(r)) = stream.next() {
        bytes += r.body.len();
    }
    let per_record = t.elapsed().as_nanos() as f64 / n as f64;
    println!(
        "plugin {} {}: load {:.2} ms, manifest {:.3} ms, config schema {:.3} ms ({} bytes); ABI record crossing {:.0} ns/record ({} records, {} bytes)",
        manifest.connector_type,
        manifest.plugin_version,
        load.as_secs_f64() * 1e3,
        manifest_time.as_secs_f64() * 1e3,
        schema_time.as_secs_f64() * 1e3,
        schema.len(),
        per_record,
        n,
        bytes
    );
    Ok(())
}
