//! Reading a topic's sample: the newest messages of every open shard, merged, without starving
//! the stream's own consumers.
//!
//! AWS lets a shard serve 5 reads and 2 MB per second, shared by every consumer of the stream,
//! so a sample reads as little as it can: each GetRecords asks for about what is needed (twice
//! the sample, fewer when the bytes left allow fewer), each shard stops at
//! `sampleMaxBytesPerShard` and `sampleMaxCallsPerShard`, all the shards of a stream together at
//! `sampleMaxBytesPerStream` (so a wide stream costs what a sample needs, not its shard count
//! times the per-shard bound; a bound, not a target: each call's size is decided before it is
//! issued, from what the calls in flight left, see [`bytes`]), its calls and bytes are paced at the
//! run's share of the shard's limits, and no more than `sampleConcurrency` shards are read at
//! once across the run.
//!
//! Reading forward yields records oldest first, so the newest N are found by starting close to
//! the tip rather than reading towards it:
//! 1. a probe reads at most N records from the oldest one. A shard holding no more than that
//!    is then read whole: a quiet shard costs two calls;
//! 2. otherwise the probe's batch tells the shard's rate (records per millisecond between its
//!    first and last arrival) and where the tip is (the last arrival plus MillisBehindLatest),
//!    so reading starts AT_TIMESTAMP just far enough back for about 2N records;
//! 3. a read that finds itself far behind the tip (its own batch gives a fresher rate) jumps
//!    again rather than reading on; one that reaches the tip with fewer than N widens its
//!    window (×8) up to the stream's retention, where it starts at the oldest record.
//!
//! A wide stream (at least N shards) is probed first, at one record a shard: the probe tells
//! when each shard's newest record arrived. The N newest tips are N records, so nothing older
//! than the N-th newest tip can be in the sample: shards whose tip is older are not read, the
//! others are read as above but never from before that floor, newest tips first. What they read
//! raises the floor, and each call asks for no more than the stream still needs beyond the calls
//! in flight ([`share`]): when the shards' newest records arrived together (a burst), the first
//! shards read fill the sample and the others are not read. A 100-shard stream then costs about
//! a record a shard plus a sample's worth, not a sample a shard.
//!
//! When a bound stops a shard's read, the sample keeps what was read and says which bound. Each
//! shard's newest N are merged into the stream's newest N as soon as that shard's read ends.

mod bytes;
mod newest;
mod shard;
mod share;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_abi::{ErrorKind, PluginError};
use tokio::sync::Semaphore;

use crate::config::MessagingMetadata;
use crate::decode::{decode_record, Limits, Message};
use crate::kinesis::Kinesis;
use bytes::StreamBytes;
use newest::{Kept, Newest};
use shard::{now_ms, ShardRead, ShardReader, Stop, Tip};
use share::Share;

/// The most shard warnings listed for one stream; the rest are counted.
const SHARD_WARNINGS: usize = 5;

/// How a sample is read.
#[derive(Debug, Clone)]
pub struct SampleSettings {
    pub size: usize,
    pub lookback: Duration,
    pub max_calls_per_shard: u32,
    pub max_bytes_per_shard: u64,
    /// The most bytes read from all the shards of one stream.
    pub max_bytes_per_stream: u64,
    /// The most time spent on one shard, from when it gets its turn.
    pub shard_budget: Duration,
    pub limits: Limits,
}

impl SampleSettings {
    pub fn from_config(p: &MessagingMetadata) -> Self {
        SampleSettings {
            size: p.sample_size as usize,
            lookback: Duration::from_secs(p.sample_lookback_seconds),
            max_calls_per_shard: p.sample_max_calls_per_shard,
            max_bytes_per_shard: p.sample_max_bytes_per_shard,
            max_bytes_per_stream: p.sample_max_bytes_per_stream,
            shard_budget: Duration::from_secs(p.sample_topic_budget_seconds),
            limits: Limits { max_message_bytes: p.sample_max_message_bytes as usize, ..Limits::default() },
        }
    }
}

/// The sampling of one run: how samples are read, and the shards that may be read at once
/// (`sampleConcurrency`, across all topics of the run).
#[derive(Clone)]
pub struct Sampler {
    settings: Arc<SampleSettings>,
    shard_turns: Arc<Semaphore>,
}

/// A topic's sample, newest message first.
#[derive(Debug, Default)]
pub struct Sample {
    pub messages: Vec<Message>,
    pub shards: usize,
    pub get_records_calls: u64,
    /// Record bytes the GetRecords calls returned, over all shards.
    pub bytes_read: u64,
    /// Shards that could not be read in full (an error, or which bound stopped them).
    pub warnings: Vec<String>,
}

impl Sampler {
    pub fn new(settings: SampleSettings, shard_concurrency: usize) -> Self {
        Sampler { settings: Arc::new(settings), shard_turns: Arc::new(Semaphore::new(shard_concurrency.max(1))) }
    }

    pub fn settings(&self) -> &SampleSettings {
        &self.settings
    }

    /// Reads the newest `size` messages of `stream` across its open shards.
    pub async fn read(&self, kinesis: &Kinesis, stream: &str, retention: Duration) -> Result<Sample, PluginError> {
        let shards = kinesis.open_shards(stream).await?;
        // The bytes of this stream's shards, against `sampleMaxBytesPerStream`.
        let stream_bytes = StreamBytes::new(self.settings.max_bytes_per_stream);
        // What a wide stream's reads from the floor share.
        let share = Share::new(self.settings.size);
        let mut sample = Sample { shards: shards.len(), ..Default::default() };
        let mut warnings = Vec::new();
        let mut failures = 0;
        // A wide stream's probes: the record each read, for the shards whose own read keeps none.
        let mut probed: Vec<Option<Kept>> = Vec::new();
        let plans = if shards.len() >= self.settings.size.max(2) {
            let wide =
                self.plan_wide(kinesis, stream, &shards, &stream_bytes, &mut sample, &mut warnings, &mut failures);
            let (plans, records) = wide.await?;
            probed = records;
            plans
        } else {
            (0..shards.len()).map(|shard| Plan { shard, floor_ms: None, tip_ms: None }).collect()
        };
        let mut reads: futures::stream::FuturesUnordered<_> = plans
            .into_iter()
            .map(|plan| {
                let (i, shard) = (plan.shard, &shards[plan.shard]);
                let read = self.read_shard(kinesis, stream, shard, plan, retention, &stream_bytes, &share);
                async move { (i, shard, read.await) }
            })
            .collect();

        // The newest records so far, merged as each shard's read ends: a topic holds no more than
        // a sample's worth beside the shards still being read, whatever its shard count.
        let mut records = Newest::new(self.settings.size);
        while let Some((i, shard, result)) = futures::StreamExt::next(&mut reads).await {
            let mut warn = |text: String| warnings.push((i, format!("stream '{stream}', shard {shard}: {text}")));
            match result {
                Ok(read) => {
                    sample.get_records_calls += u64::from(read.calls);
                    sample.bytes_read += read.bytes;
                    if let Some(bound) = read.stopped_by {
                        warn(bound);
                    }
                    if !read.records.is_empty() {
                        // It read the probe's record again, or newer ones.
                        probed.get_mut(i).map(Option::take);
                    }
                    records.extend(read.records);
                }
                Err(e) if e.is(ErrorKind::NotFound) => return Err(e),
                Err(e) => {
                    failures += 1;
                    warn(e.message.to_string());
                }
            }
        }
        // A shard's oldest record beats none when its read kept nothing (a bound stopped it, or
        // its tip is older than the floor: then the sample has newer ones unless cut short).
        records.extend(probed.into_iter().flatten());
        // In shard order, however the reads ended, one a shard (a wide stream's probe and read
        // may both warn); a wide stream's list is cut, with a count.
        warnings.sort_by_key(|(i, _)| *i);
        warnings.dedup_by_key(|(i, _)| *i);
        let rest = warnings.len().saturating_sub(SHARD_WARNINGS);
        sample.warnings = warnings.into_iter().take(SHARD_WARNINGS).map(|(_, w)| w).collect();
        if rest > 0 {
            sample.warnings.push(format!(
                "stream '{stream}': {rest} more shard(s) with a warning, not listed (the debug log has each shard)"
            ));
        }
        let records = records.into_vec();
        if failures > 0 && failures == shards.len() {
            return Err(PluginError::new(ErrorKind::Connection, sample.warnings.join("; ")));
        }
        // Decoding (KPL, MD5, gzip) is CPU work: off the workers that drive the AWS calls.
        let (size, limits) = (self.settings.size, self.settings.limits);
        sample.messages = tokio::task::spawn_blocking(move || newest_messages(records, size, &limits))
            .await
            .map_err(|e| PluginError::internal(format!("decoding the sample of '{stream}' failed: {e}")))?;
        Ok(sample)
    }

    /// A wide stream (at least N shards): each shard's tip first, at one record a shard; then
    /// the shards to read and the floor of each read. The N newest tips are N records at or
    /// after the N-th newest tip, so no record older than that can be among the stream's newest
    /// N: a shard whose tip is older is not read at all, the others only from there, the
    /// newest tips first (they get the stream's byte budget first). A shard whose tip the probe
    /// could not tell is read as a narrow stream's are.
    #[allow(clippy::too_many_arguments)]
    async fn plan_wide(
        &self,
        kinesis: &Kinesis,
        stream: &str,
        shards: &[String],
        stream_bytes: &StreamBytes,
        sample: &mut Sample,
        warnings: &mut Vec<(usize, String)>,
        failures: &mut usize,
    ) -> Result<(Vec<Plan>, Vec<Option<Kept>>), PluginError> {
        let probes = shards.iter().enumerate().map(|(i, shard)| async move {
            let _turn = self.turn().await?;
            let mut reader = self.reader(kinesis, stream, shard, i, stream_bytes);
            let tip = reader.tip().await;
            let record = reader.kept.pop_back();
            let at = tip.as_ref().ok().and_then(|t| t.at());
            tracing::debug!(stream, shard, calls = reader.calls, bytes = reader.bytes, tip_ms = at, "shard probed");
            Ok::<_, PluginError>((i, tip, record, reader.calls, reader.bytes))
        });
        let mut tips = Vec::with_capacity(shards.len());
        let mut records: Vec<Option<Kept>> = (0..shards.len()).map(|_| None).collect();
        for probe in futures::future::join_all(probes).await {
            let (i, tip, record, calls, bytes) = probe?;
            records[i] = record;
            sample.get_records_calls += u64::from(calls);
            sample.bytes_read += bytes;
            match tip {
                Ok(tip) => tips.push((i, tip)),
                Err(Stop::Failed(e)) if e.is(ErrorKind::NotFound) => return Err(e),
                Err(Stop::Failed(e)) => {
                    *failures += 1;
                    warnings.push((i, format!("stream '{stream}', shard {}: {}", shards[i], e.message)));
                }
                Err(Stop::Bound(why)) => warnings.push((i, format!("stream '{stream}', shard {}: {why}", shards[i]))),
                // A probe shares nothing with the other shards' reads.
                Err(Stop::Enough) => {}
            }
        }
        let (plans, floor) = plan_reads(tips, self.settings.size);
        tracing::debug!(stream, shards = shards.len(), read = plans.len(), floor_ms = floor, "wide stream probed");
        Ok((plans, records))
    }

    /// A turn to read a shard, among the run's `sampleConcurrency`.
    async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, PluginError> {
        self.shard_turns.acquire().await.map_err(|_| PluginError::internal("the run's shard reads were closed"))
    }

    fn reader<'a>(
        &'a self,
        kinesis: &'a Kinesis,
        stream: &'a str,
        shard: &'a str,
        shard_index: usize,
        stream_bytes: &'a StreamBytes,
    ) -> ShardReader<'a> {
        ShardReader {
            kinesis,
            pace: kinesis.shard_pacer(),
            stream,
            shard,
            shard_index,
            settings: &self.settings,
            stream_bytes,
            share: None,
            tip_ms: None,
            deadline: Instant::now() + self.settings.shard_budget,
            calls: 0,
            bytes: 0,
            position: 0,
            jumps: 0,
            kept: VecDeque::new(),
        }
    }

    /// One shard, once it has its turn (from the floor on, when a wide stream's probe set one,
    /// sharing what the stream needs with its other shards' reads); bounded in time should a
    /// call hang.
    #[allow(clippy::too_many_arguments)]
    async fn read_shard(
        &self,
        kinesis: &Kinesis,
        stream: &str,
        shard: &str,
        plan: Plan,
        retention: Duration,
        stream_bytes: &StreamBytes,
        share: &Share,
    ) -> Result<ShardRead, PluginError> {
        let _turn = self.turn().await?;
        let settings = &self.settings;
        let enrolled = plan.floor_ms.and(plan.tip_ms).map(|tip| share.enrol(tip));
        let mut reader = self.reader(kinesis, stream, shard, plan.shard, stream_bytes);
        reader.share = enrolled.as_ref();
        reader.tip_ms = plan.tip_ms;
        let outcome =
            tokio::time::timeout(settings.shard_budget + Duration::from_secs(10), reader.run(retention, plan.floor_ms))
                .await
                .unwrap_or_else(|_| Err(Stop::Bound(budget_warning(settings))));
        let stopped_by = match outcome {
            Ok(()) | Err(Stop::Enough) => None,
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Bound(why)) => Some(why),
        };
        let newest_age_ms = reader.kept.back().map(|k| now_ms() - k.arrival_ms);
        tracing::debug!(
            stream,
            shard,
            calls = reader.calls,
            bytes = reader.bytes,
            kept = reader.kept.len(),
            newest_age_ms,
            stopped_by = stopped_by.as_deref().unwrap_or("-"),
            "shard sampled"
        );
        Ok(ShardRead { records: reader.kept.into(), calls: reader.calls, bytes: reader.bytes, stopped_by })
    }
}

fn budget_warning(settings: &SampleSettings) -> String {
    format!(
        "sampleTopicBudgetSeconds ({} s) ran out before the newest record; the sample keeps what was read",
        settings.shard_budget.as_secs()
    )
}

/// How one shard is read: from when (a wide stream's floor), and when its newest record
/// arrived (as a wide stream's probe found it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    shard: usize,
    floor_ms: Option<i64>,
    tip_ms: Option<i64>,
}

/// Which shards of a wide stream to read, and from when (see [`Sampler::plan_wide`]): the
/// reads in the order to start them, and the floor.
fn plan_reads(tips: Vec<(usize, Tip)>, size: usize) -> (Vec<Plan>, Option<i64>) {
    let mut known: Vec<i64> = tips.iter().filter_map(|(_, t)| t.at()).collect();
    known.sort_unstable_by(|a, b| b.cmp(a));
    let floor = size.checked_sub(1).and_then(|i| known.get(i)).copied();
    let mut plans: Vec<Plan> = tips
        .into_iter()
        .filter_map(|(shard, tip)| match (tip, floor) {
            (Tip::Empty, _) => None,
            (Tip::At(t), Some(floor)) if t < floor => None,
            (Tip::At(t), floor_ms) => Some(Plan { shard, floor_ms, tip_ms: Some(t) }),
            (Tip::Unknown, _) => Some(Plan { shard, floor_ms: None, tip_ms: None }),
        })
        .collect();
    plans.sort_by_key(|p| (std::cmp::Reverse(p.tip_ms.unwrap_or(i64::MAX)), p.shard));
    (plans, floor)
}

/// The newest `size` messages of the kept records of all shards, newest first. A KPL record
/// holds several messages, its last one the newest.
fn newest_messages(mut records: Vec<Kept>, size: usize, limits: &Limits) -> Vec<Message> {
    records.sort_by_key(|r| std::cmp::Reverse((r.arrival_ms, r.shard, r.position)));
    let mut messages = Vec::with_capacity(size);
    for record in records {
        if messages.len() >= size {
            break;
        }
        let decoded = decode_record(&record.data, limits);
        messages.extend(decoded.into_iter().rev().take(size - messages.len()));
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wide_stream_reads_only_the_shards_whose_tip_is_among_the_newest_and_from_the_floor() {
        let tips = vec![(0, Tip::At(10)), (1, Tip::Empty), (2, Tip::At(40)), (3, Tip::At(30)), (4, Tip::Unknown)];
        let plan = |shard, floor_ms, tip_ms| Plan { shard, floor_ms, tip_ms };
        let (plans, floor) = plan_reads(tips.clone(), 2);
        // The 2 newest tips are 40 and 30: nothing older than 30 can be among the newest 2.
        assert_eq!(floor, Some(30));
        assert_eq!(plans, [plan(4, None, None), plan(2, Some(30), Some(40)), plan(3, Some(30), Some(30))]);
        // Fewer known tips than the sample: no floor, every shard that holds records is read.
        let (plans, floor) = plan_reads(tips, 4);
        assert_eq!(floor, None);
        let (at, unknown) = (|shard, tip| plan(shard, None, Some(tip)), plan(4, None, None));
        assert_eq!(plans, [unknown, at(2, 40), at(3, 30), at(0, 10)]);
    }

    #[test]
    fn the_newest_messages_come_first_and_kpl_records_count_each_message() {
        use crate::decode::kpl::{aggregate, UserRecord};
        let kpl = aggregate(
            &(0..3)
                .map(|i| UserRecord {
                    partition_key: "k".into(),
                    explicit_hash_key: None,
                    data: format!("u{i}").into(),
                })
                .collect::<Vec<_>>(),
        );
        let records = vec![
            Kept { arrival_ms: 1, shard: 0, position: 0, data: b"old".to_vec() },
            Kept { arrival_ms: 3, shard: 1, position: 0, data: kpl },
            Kept { arrival_ms: 2, shard: 0, position: 1, data: b"middle".to_vec() },
        ];
        let texts: Vec<String> = newest_messages(records, 4, &Limits::default()).into_iter().map(|m| m.text).collect();
        assert_eq!(texts, vec!["u2", "u1", "u0", "middle"]);
    }
}
