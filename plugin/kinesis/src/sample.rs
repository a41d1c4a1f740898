//! Reading a topic's sample: the newest messages of every open shard, merged.
//!
//! Reading forward yields records oldest first. A shard is first probed from its oldest record
//! with one call of at most N records: a shard holding no more than that is then read whole.
//! Otherwise it is read from a short window back (AT_TIMESTAMP) to its tip, keeping the last N
//! messages; while the window holds fewer than N it widens, and past the stream's retention
//! reading starts at TRIM_HORIZON. Empty answers are
//! followed while the shard is behind its tip (a trimmed shard is not an empty one). Calls on a
//! shard are spaced to stay under AWS's 5 calls per second per shard, bounded in number, and the
//! whole topic is bounded in time.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::primitives::DateTime;
use plugin_abi::PluginError;

use crate::budget::Pacer;
use crate::config::MessagingMetadata;
use crate::decode::{decode_record, Limits, Message};
use crate::kinesis::{Kinesis, StartAt};

/// AWS's most records per GetRecords call.
const MAX_RECORDS_PER_CALL: usize = 10_000;
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
    let reader = ShardReader { kinesis, pace: &pace, stream, shard, shard_index, settings, deadline };
    let mut calls = 0u64;
    // A shard that holds no more than N records is read whole by one small call from its
    // oldest record: the common case of a quiet stream costs two calls.
    let probe = reader.read(StartAt::TrimHorizon, Some(n), 1, &mut calls).await?;
    if probe.reached_tip {
        return Ok(ShardRead { messages: probe.kept.into(), calls, cut_short: None });
    }
    let mut window = settings.lookback;
    loop {
        let from_oldest = window >= retention;
        let start = if from_oldest { StartAt::TrimHorizon } else { StartAt::Timestamp(ago(window)) };
        let span = reader.read(start, None, u64::from(settings.max_calls_per_shard), &mut calls).await?;
        if span.kept.len() >= n || from_oldest || span.cut_short.is_some() {
            // Cut short with less than the probe found (the call bound, the deadline): the
            // probe's older messages are better than fewer or none.
            let best = if span.kept.len() < probe.kept.len() { probe.kept } else { span.kept };
            return Ok(ShardRead { messages: best.into(), calls, cut_short: span.cut_short });
        }
        window = window.saturating_mul(WINDOW_GROWTH).min(retention);
    }
}

/// Reads one shard for a sample.
struct ShardReader<'a> {
    kinesis: &'a Kinesis,
    pace: &'a Pacer,
    stream: &'a str,
    shard: &'a str,
    shard_index: usize,
    settings: &'a SampleSettings,
    deadline: Instant,
}

/// What reading from one starting point gave: the last N messages up to where it stopped.
struct Span {
    kept: VecDeque<Sampled>,
    reached_tip: bool,
    cut_short: Option<String>,
}

impl ShardReader<'_> {
    /// Reads forward from `start` to the shard's tip, keeping the last N messages; stops when
    /// `calls` (counted across the shard's spans) reaches `max_calls`, or at the deadline.
    /// `limit` bounds the records of each GetRecords call.
    async fn read(
        &self,
        start: StartAt,
        limit: Option<usize>,
        max_calls: u64,
        calls: &mut u64,
    ) -> Result<Span, PluginError> {
        let n = self.settings.size;
        let first_call = *calls;
        self.pace.wait().await;
        let mut iterator = self.kinesis.shard_iterator(self.stream, self.shard, start).await?;
        let mut span = Span { kept: VecDeque::with_capacity(n + 1), reached_tip: false, cut_short: None };
        let mut position = 0u64;
        while let Some(it) = iterator.take() {
            if *calls - first_call >= max_calls || *calls >= u64::from(self.settings.max_calls_per_shard) {
                span.cut_short =
                    Some(format!("stopped after {calls} GetRecords calls before reaching the newest record"));
                break;
            }
            if Instant::now() >= self.deadline {
                span.cut_short = Some("the sample's time budget ran out before reaching the newest record".to_string());
                break;
            }
            self.pace.wait().await;
            *calls += 1;
            let asked = limit.map_or(MAX_RECORDS_PER_CALL, |l| l.min(MAX_RECORDS_PER_CALL));
            let out = self.kinesis.records(it, Some(asked as i32)).await?;
            let count = out.records.len();
            // Each record holds at least one message, so only the last N records can matter.
            for record in out.records.into_iter().skip(count.saturating_sub(n)) {
                let arrival_ms = record.approximate_arrival_timestamp.map_or(0, |t| t.to_millis().unwrap_or(0));
                for message in decode_record(record.data.as_ref(), &self.settings.limits) {
                    span.kept.push_back(Sampled { arrival_ms, shard: self.shard_index, position, message });
                    position += 1;
                    if span.kept.len() > n {
                        span.kept.pop_front();
                    }
                }
            }
            // At the tip after this batch (or an empty one): another call would only return
            // nothing. MillisBehindLatest is a time, 0 also for records of the same millisecond
            // as the newest, so a full batch is never taken for the tip. Behind it, even an empty
            // answer is followed (a trimmed shard is not an empty one).
            if out.millis_behind_latest.unwrap_or(0) == 0 && count < asked {
                span.reached_tip = true;
                break;
            }
            iterator = out.next_shard_iterator;
        }
        if iterator.is_none() && span.cut_short.is_none() {
            span.reached_tip = true; // a closed shard, read to its end
        }
        Ok(span)
    }
}

/// The time `d` ago, as the SDK's timestamp.
fn ago(d: Duration) -> DateTime {
    DateTime::from(SystemTime::now().checked_sub(d).unwrap_or(SystemTime::UNIX_EPOCH))
}
