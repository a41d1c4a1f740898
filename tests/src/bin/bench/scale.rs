//! `--settings scale`: what a run costs as an account grows, on a kinesis-local of its own.
//! 1. Streams: 300, then 10,000 streams of one shard, metadata only: wall time and peak RSS
//!    (goal: memory flat in the number of streams).
//! 2. Shards: streams of 2 and 100 shards, each shard holding 20 records of 50 KB, sampled for
//!    50 messages; the records spread (round after round, one record a shard each call) or in a
//!    burst (shard after shard, 100 records a call stamped alike): wall time, GetRecords calls,
//!    record bytes read (counted by a proxy from the GetRecords answers) and peak RSS (goals:
//!    the 100-shard sample within 2× the 2-shard one's RSS, and never more than
//!    `sampleMaxBytesPerStream`, 8 MiB).

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use e2e::proxy::{self, Action};
use e2e::{kinesis_client_in, seed, Arrival, Emulator, StreamSpec};
use serde_json::json;

use super::{run_ours, Args, Figures, REGION};

const RECORD_BYTES: usize = 50_000;
const RECORDS_PER_SHARD: usize = 20;
const SAMPLE: u64 = 50;
/// `sampleMaxBytesPerStream`'s default.
const STREAM_BUDGET: u64 = 8 * 1024 * 1024;

pub fn run(args: &Args, plugin_dir: &Path, work: &Path, rt: &tokio::runtime::Runtime) -> Result<()> {
    let emulator = Emulator::start_in(REGION)?;
    let client = kinesis_client_in(&emulator.endpoint(), REGION);
    let started = Instant::now();
    let shaped = [
        ("scale-narrow", 2usize, Arrival::Rounds),
        ("scale-wide", 100, Arrival::Rounds),
        ("scale-narrow-burst", 2, Arrival::Burst),
        ("scale-wide-burst", 100, Arrival::Burst),
    ];
    rt.block_on(async {
        let specs: Vec<StreamSpec> =
            shaped.iter().map(|(name, shards, _)| StreamSpec::new(*name, *shards as i32)).collect();
        seed(&client, &specs).await?;
        for (name, shards, arrival) in shaped {
            e2e::put_records_of_shards(&client, name, shards, RECORDS_PER_SHARD, RECORD_BYTES, arrival).await?;
        }
        anyhow::Ok(())
    })?;
    println!(
        "scale: seeded 2 and 100 shards × {RECORDS_PER_SHARD} records of {} KB, spread and in a burst, in {:.1}s",
        RECORD_BYTES / 1000,
        started.elapsed().as_secs_f64()
    );
    let rule: proxy::Rule = Arc::new(|_: &proxy::Call| Action::Forward { delay: Duration::ZERO });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse()?, rule))?;
    let mut samples = Vec::new();
    for (name, shards, arrival) in shaped {
        let before = proxy.record_bytes.load(Ordering::Relaxed);
        let extra = json!({"sampleSize": SAMPLE, "topicFilterPattern": {"includes": [format!("^{name}$")]}});
        let figures = run_ours(args, plugin_dir, work, &proxy.endpoint(), true, false, extra)?;
        let bytes = proxy.record_bytes.load(Ordering::Relaxed) - before;
        samples.push((shards, arrival, figures, bytes));
    }

    let mut streams = Vec::new();
    for count in [300usize, 10_000] {
        let specs: Vec<StreamSpec> =
            (streams.len()..count).map(|i| StreamSpec::new(format!("scale-meta-{i:05}"), 1)).collect();
        let t = Instant::now();
        rt.block_on(seed(&client, &specs))?;
        println!("scale: seeded {} more one-shard streams in {:.1}s", specs.len(), t.elapsed().as_secs_f64());
        streams.extend(specs);
        let extra = json!({"topicFilterPattern": {"includes": ["^scale-meta-"]}});
        let figures = run_ours(args, plugin_dir, work, &emulator.endpoint(), false, false, extra)?;
        samples_note(&figures, count as u64, "topics");
        println!(
            "| {count} streams, metadata only | {:.2} s | {} topics | peak RSS {:.0} MB |",
            figures.seconds, figures.topics, figures.peak_rss_mb
        );
    }

    println!();
    println!(
        "| sample of {SAMPLE} | wall s | messages | GetRecords | GetShardIterator | record bytes read | peak RSS MB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (shards, arrival, f, bytes) in &samples {
        samples_note(f, 1, "topic");
        let arrival = match arrival {
            Arrival::Rounds => "spread",
            Arrival::Burst => "burst",
        };
        println!(
            "| {shards} shards × {RECORDS_PER_SHARD} × {} KB, {arrival} | {:.2} | {} | {} | {} | {:.1} MB | {:.0} |",
            RECORD_BYTES / 1000,
            f.seconds,
            f.messages,
            f.calls.get("GetRecords").copied().unwrap_or(0),
            f.calls.get("GetShardIterator").copied().unwrap_or(0),
            *bytes as f64 / 1e6,
            f.peak_rss_mb
        );
    }
    let (narrow, wide, wide_burst) = (&samples[0], &samples[1], &samples[3]);
    println!(
        "goals: 100-shard RSS {:.2}× the 2-shard one's (≤ 2×); 100-shard samples read {:.1} MB spread, {:.1} MB in a \
         burst (≤ {:.1} MB, sampleMaxBytesPerStream)",
        wide.2.peak_rss_mb / narrow.2.peak_rss_mb,
        wide.3 as f64 / 1e6,
        wide_burst.3 as f64 / 1e6,
        STREAM_BUDGET as f64 / 1e6
    );
    Ok(())
}

/// Says so when a run did not end as it should: a figure of a failed run is not one.
fn samples_note(f: &Figures, expected: u64, what: &str) {
    if !f.ok || f.topics != expected {
        println!("note: a run wrote {} {what}(s) of {expected} ({})", f.topics, f.note);
    }
}
