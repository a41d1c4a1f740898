//! Reading a topic's sample: the newest messages of every open shard, merged.
//!
//! Reading forward yields records oldest first, so each shard is read from a short window back
//! (AT_TIMESTAMP) to its tip, keeping the last N messages; while the window holds fewer than N it
//! widens, and past the stream's retention reading starts at TRIM_HORIZON. Empty answers are
//! followed while the shard is behind its tip (a trimmed shard is not an empty one). Calls on a
//! shard are spaced to stay under AWS's 5 calls per second per shard, bounded in number, and the
//! whole topic is bounded in time.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::primitives::DateTime;
use plugin_abi::PluginError;

use crate::config::MessagingMetadata;
use crate::decode::{decode_record, Limits, Message};
use crate::kinesis::{Kinesis, StartAt};

/// How much the look-back window grows each time it holds too few messages.
const WINDOW_GROWTH: u32 = 8;

/// How a sample is read.
#[derive(Debug, Clone)]
pub struct SampleSettings {
    pub size: usize,
    pub lookback: Duration,
    pub max_calls_per_shard: u32,
    pub topic_budget: Duration,
    pub limits: Limits,
}

impl SampleSettings {
    pub fn from_config(p: &MessagingMetadata) -> Self {
        SampleSettings {
            size: p.sample_size as usize,
            lookback: Duration::from_secs(p.sample_lookback_seconds),
            max_calls_per_shard: p.sample_max_calls_per_shard,
            topic_budget: Duration::from_secs(p.sample_topic_budget_seconds),
            limits: Limits { max_message_bytes: p.sample_max_message_bytes as usize, ..Limits::default() },
        }
    }
}

/// A topic's sample, newest message first.
#[derive(Debug, Default)]
pub struct Sample {
    pub messages: Vec<Message>,
    pub shards: usize,
    pub get_records_calls: u64,
    /// Shards that could not be read in full (an error, the call bound, the time budget).
    pub warnings: Vec<String>,
}

/// One message with what orders it: arrival time, then shard and position within it.
#[derive(Debug)]
struct Sampled {
    arrival_ms: i64,
    shard: usize,
    position: u64,
    message: Message,
}

/// Reads the newest `settings.size` messages of `stream` across its open shards.
pub async fn read(
    kinesis: &Kinesis,
    stream: &str,
    retention: Duration,
    settings: &SampleSettings,
) -> Result<Sample, PluginError> {
    let deadline = Instant::now() + settings.topic_budget;
    let shards = kinesis.open_shards(stream).await?;
    let reads = shards
        .iter()
        .enumerate()
        .map(|(i, shard)| read_shard(kinesis, stream, shard, i, retention, settings, deadline));
    let results = futures::future::join_all(reads).await;

    let mut sample = Sample { shards: shards.len(), ..Default::default() };
    let mut all = Vec::new();
    let mut failures = 0;
    for (shard, result) in shards.iter().zip(results) {
        match result {
            Ok(read) => {
                sample.get_records_calls += read.calls;
                if let Some(w) = read.cut_short {
                    sample.warnings.push(format!("stream '{stream}', shard {shard}: {w}"));
                }
                all.extend(read.messages);
            }
            Err(e) => {
                failures += 1;
                sample.warnings.push(format!("stream '{stream}', shard {shard}: {}", e.message));
            }
        }
    }
    if failures > 0 && failures == shards.len() {
        return Err(PluginError::new(plugin_abi::ErrorKind::Connection, sample.warnings.join("; ")));
    }
    all.sort_by(|a, b| (b.arrival_ms, b.shard, b.position).cmp(&(a.arrival_ms, a.shard, a.position)));
    all.truncate(settings.size);
    sample.messages = all.into_iter().map(|s| s.message).collect();
    Ok(sample)
}

struct ShardRead {
    messages: Vec<Sampled>,
    calls: u64,
    cut_short: Option<String>,
}

async fn read_shard(
    kinesis: &Kinesis,
    stream: &str,
    shard: &str,
    shard_index: usize,
    retention: Duration,
    settings: &SampleSettings,
    deadline: Instant,
) -> Result<ShardRead, PluginError> {
    let n = settings.size;
    // AWS allows 5 GetShardIterator and 5 GetRecords calls per second per shard; both share
    // one pacer here, at the run's share of that.
    let pace = kinesis.shard_pacer();
    let mut window = settings.lookback;
    let mut calls = 0u64;
    loop {
        let from_oldest = window >= retention;
        let start = if from_oldest { StartAt::TrimHorizon } else { StartAt::Timestamp(ago(window)) };
        pace.wait().await;
        let mut iterator = kinesis.shard_iterator(stream, shard, start).await?;
        let mut kept: VecDeque<Sampled> = VecDeque::with_capacity(n + 1);
        let mut position = 0u64;
        let mut cut_short = None;
        while let Some(it) = iterator.take() {
            if calls >= u64::from(settings.max_calls_per_shard) {
                cut_short = Some(format!("stopped after {calls} GetRecords calls before reaching the newest record"));
                break;
            }
            if Instant::now() >= deadline {
                cut_short = Some("the sample's time budget ran out before reaching the newest record".to_string());
                break;
            }
            pace.wait().await;
            calls += 1;
            let out = kinesis.records(it, None).await?;
            let count = out.records.len();
            // Each record holds at least one message, so only the last N records can matter.
            for record in out.records.into_iter().skip(count.saturating_sub(n)) {
                let arrival_ms = record.approximate_arrival_timestamp.map_or(0, |t| t.to_millis().unwrap_or(0));
                for message in decode_record(record.data.as_ref(), &settings.limits) {
                    kept.push_back(Sampled { arrival_ms, shard: shard_index, position, message });
                    position += 1;
                    if kept.len() > n {
                        kept.pop_front();
                    }
                }
            }
            let behind = out.millis_behind_latest.unwrap_or(0);
            if behind == 0 && count == 0 {
                break; // at the tip
            }
            if behind == 0 && out.next_shard_iterator.is_some() && count > 0 {
                // At the tip after this batch: one more call would only return nothing.
                break;
            }
            iterator = out.next_shard_iterator; // None: the shard is closed and fully read
        }
        let done = kept.len() >= n || from_oldest || cut_short.is_some();
        if done {
            return Ok(ShardRead { messages: kept.into(), calls, cut_short });
        }
        window = window.saturating_mul(WINDOW_GROWTH).min(retention);
    }
}

/// The time `d` ago, as the SDK's timestamp.
fn ago(d: Duration) -> DateTime {
    DateTime::from(SystemTime::now().checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH))
}
