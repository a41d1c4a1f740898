//! `--settings scale`: what a run costs as an account grows, on a kinesis-local of its own.
//! 1. Streams: 300, then 10,000 streams of one shard, metadata only: wall time and peak RSS
//!    (goal: memory flat in the number of streams).
//! 2. Shards: one stream of 100 shards holding 20 records of 50 KB each, sampled for 50
//!    messages, beside the same records in a stream of 2 shards: wall time, record bytes read
//!    (counted by a proxy from the GetRecords answers) and peak RSS (goals: the 100-shard
//!    sample within 2× the 2-shard one's RSS, and reading at most 4 × 50 records' worth, 10 MB).

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use e2e::proxy::{self, Action};
use e2e::{kinesis_client_in, seed, Emulator, StreamSpec};
use serde_json::json;

use super::{run_ours, Args, Figures, REGION};

const RECORD_BYTES: usize = 50_000;
const RECORDS_PER_SHARD: usize = 20;
const SAMPLE: u64 = 50;

pub fn run(args: &Args, plugin_dir: &Path, work: &Path, rt: &tokio::runtime::Runtime) -> Result<()> {
    let emulator = Emulator::start_in(REGION)?;
    let client = kinesis_client_in(&emulator.endpoint(), REGION);
    let started = Instant::now();
    let shaped = [("scale-narrow", 2usize), ("scale-wide", 100)];
    rt.block_on(async {
        let specs: Vec<StreamSpec> =
            shaped.iter().map(|(name, shards)| StreamSpec::new(*name, *shards as i32)).collect();
        seed(&client, &specs).await?;
        for (name, shards) in shaped {
            fill(&client, name, shards).await?;
        }
        anyhow::Ok(())
    })?;
    println!(
        "scale: seeded 2 and 100 shards × {RECORDS_PER_SHARD} records of {} KB in {:.1}s",
        RECORD_BYTES / 1000,
        started.elapsed().as_secs_f64()
    );
    let rule: proxy::Rule = Arc::new(|_: &proxy::Call| Action::Forward { delay: Duration::ZERO });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse()?, rule))?;
    let mut samples = Vec::new();
    for (name, shards) in shaped {
        let before = proxy.record_bytes.load(Ordering::Relaxed);
        let extra = json!({"sampleSize": SAMPLE, "topicFilterPattern": {"includes": [format!("^{name}$")]}});
        let figures = run_ours(args, plugin_dir, work, &proxy.endpoint(), true, false, extra)?;
        let bytes = proxy.record_bytes.load(Ordering::Relaxed) - before;
        samples.push((shards, figures, bytes));
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
    for (shards, f, bytes) in &samples {
        samples_note(f, 1, "topic");
        println!(
            "| {shards} shards × {RECORDS_PER_SHARD} × {} KB | {:.2} | {} | {} | {} | {:.1} MB | {:.0} |",
            RECORD_BYTES / 1000,
            f.seconds,
            f.messages,
            f.calls.get("GetRecords").copied().unwrap_or(0),
            f.calls.get("GetShardIterator").copied().unwrap_or(0),
            *bytes as f64 / 1e6,
            f.peak_rss_mb
        );
    }
    let (narrow, wide) = (&samples[0], &samples[1]);
    let bound = 4 * SAMPLE * RECORD_BYTES as u64;
    println!(
        "goals: 100-shard RSS {:.2}× the 2-shard one's (≤ 2×); 100-shard sample read {:.1} MB (≤ {:.0} MB, 4 × {SAMPLE} records)",
        wide.1.peak_rss_mb / narrow.1.peak_rss_mb,
        wide.2 as f64 / 1e6,
        bound as f64 / 1e6
    );
    Ok(())
}

/// Says so when a run did not end as it should: a figure of a failed run is not one.
fn samples_note(f: &Figures, expected: u64, what: &str) {
    if !f.ok || f.topics != expected {
        println!("note: a run wrote {} {what}(s) of {expected} ({})", f.topics, f.note);
    }
}

/// Round after round, one record for every shard (each aimed at its shard by hash key), as a
/// stream's producers spread records over its shards.
async fn fill(client: &aws_sdk_kinesis::Client, stream: &str, shards: usize) -> Result<()> {
    let pad = "s".repeat(RECORD_BYTES - 40);
    for round in 0..RECORDS_PER_SHARD {
        // At most 50 records (2.5 MB) a call: PutRecords takes up to 5 MB.
        for chunk in (0..shards).collect::<Vec<_>>().chunks(50) {
            let entries = chunk
                .iter()
                .map(|&shard| {
                    let key = (u128::MAX / shards as u128) * shard as u128 + (1 << 64);
                    let data = format!(r#"{{"round":{round},"shard":{shard},"pad":"{pad}"}}"#);
                    PutRecordsRequestEntry::builder()
                        .partition_key("k")
                        .explicit_hash_key(key.to_string())
                        .data(Blob::new(data))
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()?;
            client.put_records().stream_name(stream).set_records(Some(entries)).send().await?;
        }
    }
    Ok(())
}
