//! Reading a topic's sample: the newest messages of every open shard, merged, without starving
//! the stream's own consumers.
//!
//! AWS lets a shard serve 5 reads and 2 MB per second, shared by every consumer of the stream,
//! so a sample reads as little as it can: each GetRecords asks for about what is needed (twice
//! the sample, fewer when the bytes left allow fewer), each shard stops at
//! `sampleMaxBytesPerShard` and `sampleMaxCallsPerShard`, all the shards of a stream together at
//! `sampleMaxBytesPerStream` (so a wide stream costs what a sample needs, not its shard count
//! times the per-shard bound), its calls and bytes are paced at the
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
//! others are read as above but never from before that floor, newest tips first. A 100-shard
//! stream then costs about a record a shard plus a sample's worth, not a sample a shard.
//!
//! When a bound stops a shard's read, the sample keeps what was read and says which bound. Each
//! shard's newest N are merged into the stream's newest N as soon as that shard's read ends.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_kinesis::primitives::DateTime;
use plugin_abi::{ErrorKind, PluginError};
use tokio::sync::Semaphore;

use crate::budget::ShardPacer;
use crate::config::MessagingMetadata;
use crate::decode::{decode_record, Limits, Message};
use crate::kinesis::{Kinesis, StartAt};

/// The most shard warnings listed for one stream; the rest are counted.
const SHARD_WARNINGS: usize = 5;
/// AWS's most records per GetRecords call.
const MAX_RECORDS_PER_CALL: usize = 10_000;
/// How much the look-back window grows each time it holds too few messages.
const WINDOW_GROWTH: u32 = 8;
/// A window aimed at the tip holds about this many times the sample, for safety.
const WINDOW_MARGIN: f64 = 2.0;
/// The narrowest window aimed at the tip: arrival times are approximate.
const MIN_WINDOW: Duration = Duration::from_millis(100);
/// A read further than this many samples behind the tip jumps closer instead of reading on,
/// at most this many times per shard (a live shard's tip moves on meanwhile).
const JUMP_WHEN_BEHIND: f64 = 4.0;
const MAX_JUMPS: u32 = 3;
/// Calls made once a read is within a sample of a live shard's moving tip.
const MAX_CLOSE_CALLS: u32 = 2;

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

/// One record kept for the sample, with what orders it: arrival time, then shard and position.
#[derive(Debug)]
struct Kept {
    arrival_ms: i64,
    shard: usize,
    position: u64,
    data: Vec<u8>,
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
        // Bytes read from this stream's shards so far, against `sampleMaxBytesPerStream`.
        let stream_bytes = AtomicU64::new(0);
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
            (0..shards.len()).map(|i| (i, None)).collect()
        };
        let mut reads: futures::stream::FuturesUnordered<_> = plans
            .into_iter()
            .map(|(i, floor_ms)| {
                let shard = &shards[i];
                let read = self.read_shard(kinesis, stream, shard, i, retention, floor_ms, &stream_bytes);
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
        stream_bytes: &AtomicU64,
        sample: &mut Sample,
        warnings: &mut Vec<(usize, String)>,
        failures: &mut usize,
    ) -> Result<(Vec<(usize, Option<i64>)>, Vec<Option<Kept>>), PluginError> {
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
        stream_bytes: &'a AtomicU64,
    ) -> ShardReader<'a> {
        ShardReader {
            kinesis,
            pace: kinesis.shard_pacer(),
            stream,
            shard,
            shard_index,
            settings: &self.settings,
            stream_bytes,
            deadline: Instant::now() + self.settings.shard_budget,
            calls: 0,
            bytes: 0,
            largest_record: 0,
            position: 0,
            jumps: 0,
            kept: VecDeque::new(),
        }
    }

    /// One shard, once it has its turn (from `floor_ms` on, when a wide stream's probe set one);
    /// bounded in time should a call hang.
    #[allow(clippy::too_many_arguments)]
    async fn read_shard(
        &self,
        kinesis: &Kinesis,
        stream: &str,
        shard: &str,
        shard_index: usize,
        retention: Duration,
        floor_ms: Option<i64>,
        stream_bytes: &AtomicU64,
    ) -> Result<ShardRead, PluginError> {
        let _turn = self.turn().await?;
        let settings = &self.settings;
        let mut reader = self.reader(kinesis, stream, shard, shard_index, stream_bytes);
        let outcome =
            tokio::time::timeout(settings.shard_budget + Duration::from_secs(10), reader.run(retention, floor_ms))
                .await
                .unwrap_or_else(|_| Err(Stop::Bound(budget_warning(settings))));
        let stopped_by = match outcome {
            Ok(()) => None,
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

/// Which shards of a wide stream to read, and from when (see [`Sampler::plan_wide`]): the
/// reads in the order to start them, and the floor.
fn plan_reads(tips: Vec<(usize, Tip)>, size: usize) -> (Vec<(usize, Option<i64>)>, Option<i64>) {
    let mut known: Vec<i64> = tips.iter().filter_map(|(_, t)| t.at()).collect();
    known.sort_unstable_by(|a, b| b.cmp(a));
    let floor = size.checked_sub(1).and_then(|i| known.get(i)).copied();
    let mut plans: Vec<(usize, Option<i64>, i64)> = tips
        .into_iter()
        .filter_map(|(i, tip)| match (tip, floor) {
            (Tip::Empty, _) => None,
            (Tip::At(t), Some(floor)) if t < floor => None,
            (Tip::At(t), floor) => Some((i, floor, t)),
            (Tip::Unknown, _) => Some((i, None, i64::MAX)),
        })
        .collect();
    plans.sort_by_key(|(i, _, tip)| (std::cmp::Reverse(*tip), *i));
    (plans.into_iter().map(|(i, floor, _)| (i, floor)).collect(), floor)
}

/// The newest `size` records seen, by arrival time, then shard and position (what orders
/// records across shards); older ones are dropped as newer ones come.
struct Newest {
    size: usize,
    /// A min-heap: the oldest kept record on top, the first to go.
    heap: std::collections::BinaryHeap<std::cmp::Reverse<ByAge>>,
}

/// A kept record, ordered by age.
struct ByAge(Kept);

impl ByAge {
    fn key(&self) -> (i64, usize, u64) {
        (self.0.arrival_ms, self.0.shard, self.0.position)
    }
}

impl PartialEq for ByAge {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for ByAge {}
impl PartialOrd for ByAge {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByAge {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Newest {
    fn new(size: usize) -> Self {
        Newest { size, heap: std::collections::BinaryHeap::with_capacity(size + 1) }
    }

    fn extend(&mut self, records: impl IntoIterator<Item = Kept>) {
        for record in records {
            self.heap.push(std::cmp::Reverse(ByAge(record)));
            if self.heap.len() > self.size {
                self.heap.pop();
            }
        }
    }

    fn into_vec(self) -> Vec<Kept> {
        self.heap.into_iter().map(|std::cmp::Reverse(ByAge(k))| k).collect()
    }
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

struct ShardRead {
    records: Vec<Kept>,
    calls: u32,
    bytes: u64,
    stopped_by: Option<String>,
}

/// Why a shard's read ended early.
enum Stop {
    /// A bound was reached: the warning names it. What was read is kept.
    Bound(String),
    /// A call failed.
    Failed(PluginError),
}

impl From<PluginError> for Stop {
    fn from(e: PluginError) -> Self {
        Stop::Failed(e)
    }
}

/// What one GetRecords answer said about the shard.
#[derive(Debug, Clone, Copy)]
struct Batch {
    count: usize,
    asked: usize,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    behind_ms: i64,
    /// No next iterator: a closed shard read to its end.
    closed: bool,
}

impl Batch {
    /// At the tip after this batch: another call would only return nothing. MillisBehindLatest
    /// is a time, 0 also for records of the same millisecond as the newest, so a full batch is
    /// never taken for the tip.
    fn at_tip(&self) -> bool {
        self.closed || (self.behind_ms == 0 && self.count < self.asked)
    }

    /// Where the tip is and how fast records arrive, as far as this batch tells.
    fn estimate(&self) -> Option<Estimate> {
        let (first, last) = (self.first_ms?, self.last_ms?);
        let tip_ms = last + self.behind_ms.max(0);
        let per_ms = if self.count >= 2 && last > first {
            (self.count - 1) as f64 / (last - first) as f64
        } else if self.count >= 2 {
            self.count as f64 // all in one millisecond: at least that many per millisecond
        } else {
            return None;
        };
        Some(Estimate { tip_ms, per_ms, at_ms: last })
    }
}

/// A shard's rate and tip, estimated from one batch.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    tip_ms: i64,
    /// Records per millisecond.
    per_ms: f64,
    /// The arrival time of the batch's last record.
    at_ms: i64,
}

impl Estimate {
    /// About how many records lie between the batch and the tip.
    fn records_behind(&self) -> f64 {
        self.per_ms * (self.tip_ms - self.at_ms).max(0) as f64
    }

    /// A window back from the tip that should hold about twice `n` records.
    fn window_for(&self, n: usize) -> Duration {
        Duration::from_secs_f64(WINDOW_MARGIN * n as f64 / self.per_ms / 1000.0).max(MIN_WINDOW)
    }
}

/// Reads one shard for a sample.
struct ShardReader<'a> {
    kinesis: &'a Kinesis,
    pace: ShardPacer,
    stream: &'a str,
    shard: &'a str,
    shard_index: usize,
    settings: &'a SampleSettings,
    /// Bytes read from all the stream's shards.
    stream_bytes: &'a AtomicU64,
    deadline: Instant,
    calls: u32,
    bytes: u64,
    largest_record: u64,
    position: u64,
    jumps: u32,
    /// The last N records of the current span.
    kept: VecDeque<Kept>,
}

impl ShardReader<'_> {
    /// Finds and reads the shard's newest N records into [`Self::kept`] (which also holds what
    /// was read when a bound stops it).
    async fn run(&mut self, retention: Duration, floor_ms: Option<i64>) -> Result<(), Stop> {
        let n = self.settings.size;
        let (mut estimate, mut window, probe_records) = match floor_ms {
            // A wide stream's shard: from the floor, its rate unknown (a first batch tells).
            Some(floor) => (None, Duration::from_millis(now_ms().saturating_sub(floor).max(0) as u64), VecDeque::new()),
            None => {
                let iterator = self.iterator(StartAt::TrimHorizon).await?;
                let Some(iterator) = iterator else { return Ok(()) };
                let (probe, _) = self.get(iterator, n).await?;
                if probe.at_tip() {
                    return Ok(());
                }
                let estimate = probe.estimate();
                let window = estimate.map_or(self.settings.lookback, |e| e.window_for(n));
                // Cut short later with less than the probe found, its older messages beat none.
                (estimate, window, std::mem::take(&mut self.kept))
            }
        };
        // The widest window known to hold fewer than N records up to the tip.
        let mut too_short = Duration::ZERO;
        loop {
            let tip = estimate.map_or_else(now_ms, |e| e.tip_ms.min(now_ms()));
            let from = tip - window.as_millis() as i64;
            // Where reading may start at the earliest: a window reaching it is the last one.
            let (start, last) = match floor_ms {
                Some(floor) if from <= floor => (StartAt::Timestamp(DateTime::from_millis(floor)), true),
                None if window >= retention => (StartAt::TrimHorizon, true),
                _ => (StartAt::Timestamp(DateTime::from_millis(from)), false),
            };
            // Once a window proved too short, the tip's neighbourhood is sparser than the rates
            // seen further back: widening, not jumping, finds it. From the oldest record nothing
            // is gained by jumping; from a floor, the rate there is not known yet.
            let may_jump = too_short.is_zero() && !matches!(start, StartAt::TrimHorizon);
            let span = self.span(start, may_jump).await;
            match span {
                Ok(Span::Tip) => {
                    if self.kept.len() >= n || last {
                        return Ok(());
                    }
                    too_short = too_short.max(window);
                    window = window.saturating_mul(WINDOW_GROWTH).min(retention);
                }
                Ok(Span::FarBehind(fresh)) => {
                    estimate = Some(fresh);
                    window = fresh.window_for(n).max(too_short.saturating_mul(2));
                }
                Err(Stop::Bound(why)) => {
                    if self.kept.len() < probe_records.len() {
                        self.kept = probe_records;
                    }
                    return Err(Stop::Bound(why));
                }
                Err(failed) => return Err(failed),
            }
        }
    }

    /// A wide stream's first look at a shard: its oldest record (one, left in
    /// [`Self::kept`]), and how far behind the tip that is, which says when the newest record
    /// arrived.
    async fn tip(&mut self) -> Result<Tip, Stop> {
        let Some(iterator) = self.iterator(StartAt::TrimHorizon).await? else { return Ok(Tip::Empty) };
        let (batch, _) = self.get(iterator, 1).await?;
        Ok(match batch.last_ms {
            Some(last) => Tip::At(last + batch.behind_ms.max(0)),
            None if batch.behind_ms == 0 => Tip::Empty,
            // Nothing returned yet behind the tip (trimmed records): where the tip is is unknown.
            None => Tip::Unknown,
        })
    }

    /// Reads forward from `start` until the tip, or (when `may_jump`) until it is clear that the
    /// tip is far ahead: then the fresher estimate is returned, to jump closer.
    async fn span(&mut self, start: StartAt, may_jump: bool) -> Result<Span, Stop> {
        let n = self.settings.size;
        self.kept.clear();
        let Some(mut iterator) = self.iterator(start).await? else { return Ok(Span::Tip) };
        let mut want = WINDOW_MARGIN as usize * n;
        let mut close_calls = 0;
        loop {
            let (batch, next) = self.get(iterator, want).await?;
            if batch.at_tip() {
                return Ok(Span::Tip);
            }
            if let Some(fresh) = batch.estimate() {
                let behind = fresh.records_behind();
                // Jumping only helps when the window it would start at is ahead of here.
                let ahead = fresh.tip_ms - fresh.window_for(n).as_millis() as i64 > fresh.at_ms;
                if behind > JUMP_WHEN_BEHIND * n as f64 && ahead && may_jump && self.jumps < MAX_JUMPS {
                    self.jumps += 1;
                    return Ok(Span::FarBehind(fresh));
                }
                // A live shard's tip moves while it is read: a few calls from close to it are
                // as new as a sample gets.
                if batch.behind_ms > 0 && behind <= n as f64 && self.kept.len() >= n {
                    close_calls += 1;
                    if close_calls > MAX_CLOSE_CALLS {
                        return Ok(Span::Tip);
                    }
                }
                want = (behind.ceil() as usize).saturating_add(n).max(n);
            } else {
                want = WINDOW_MARGIN as usize * n;
            }
            match next {
                Some(it) => iterator = it,
                None => return Ok(Span::Tip),
            }
        }
    }

    /// GetShardIterator, paced and bounded.
    async fn iterator(&mut self, start: StartAt) -> Result<Option<String>, Stop> {
        self.check_bounds()?;
        self.pace.wait().await;
        Ok(self.kinesis.shard_iterator(self.stream, self.shard, start).await?)
    }

    /// One GetRecords of at most `want` records (fewer when the bytes left call for fewer),
    /// keeping the last N records read.
    async fn get(&mut self, iterator: String, want: usize) -> Result<(Batch, Option<String>), Stop> {
        self.check_bounds()?;
        let n = self.settings.size;
        let stream_left = self.settings.max_bytes_per_stream.saturating_sub(self.stream_bytes.load(Ordering::Relaxed));
        let left = self.settings.max_bytes_per_shard.saturating_sub(self.bytes).min(stream_left);
        let by_bytes = left.checked_div(self.largest_record).map_or(usize::MAX, |n| n.max(1) as usize);
        let asked = want.min(by_bytes).clamp(1, MAX_RECORDS_PER_CALL);
        self.pace.wait().await;
        self.calls += 1;
        let out = self.kinesis.records(iterator, Some(asked as i32)).await?;
        let count = out.records.len();
        let mut batch = Batch {
            count,
            asked,
            first_ms: None,
            last_ms: None,
            behind_ms: out.millis_behind_latest.unwrap_or(0),
            closed: out.next_shard_iterator.is_none(),
        };
        let mut bytes = 0u64;
        for record in out.records {
            let arrival_ms = record.approximate_arrival_timestamp.and_then(|t| t.to_millis().ok()).unwrap_or(0);
            batch.first_ms.get_or_insert(arrival_ms);
            batch.last_ms = Some(arrival_ms);
            let data = record.data.into_inner();
            bytes += data.len() as u64;
            self.largest_record = self.largest_record.max(data.len() as u64);
            self.kept.push_back(Kept { arrival_ms, shard: self.shard_index, position: self.position, data });
            self.position += 1;
            if self.kept.len() > n {
                self.kept.pop_front();
            }
        }
        self.bytes += bytes;
        self.stream_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.pace.read(bytes).await;
        Ok((batch, out.next_shard_iterator))
    }

    /// Stops the read at a bound, naming it.
    fn check_bounds(&self) -> Result<(), Stop> {
        let s = self.settings;
        if self.stream_bytes.load(Ordering::Relaxed) >= s.max_bytes_per_stream {
            return Err(Stop::Bound(format!(
                "sampleMaxBytesPerStream ({} bytes) reached across the stream's shards before this shard's newest \
                 record; the sample keeps what was read",
                s.max_bytes_per_stream
            )));
        }
        if self.bytes >= s.max_bytes_per_shard {
            return Err(Stop::Bound(format!(
                "sampleMaxBytesPerShard ({} bytes) reached before the newest record; the sample keeps what was read",
                s.max_bytes_per_shard
            )));
        }
        if self.calls >= s.max_calls_per_shard {
            return Err(Stop::Bound(format!(
                "sampleMaxCallsPerShard ({}) reached before the newest record; the sample keeps what was read",
                s.max_calls_per_shard
            )));
        }
        if Instant::now() >= self.deadline {
            return Err(Stop::Bound(budget_warning(s)));
        }
        Ok(())
    }
}

/// A shard's tip, as a wide stream's probe found it.
#[derive(Debug, Clone, Copy)]
enum Tip {
    /// The shard holds no record.
    Empty,
    /// The newest record arrived then (ms since the epoch).
    At(i64),
    Unknown,
}

impl Tip {
    fn at(self) -> Option<i64> {
        match self {
            Tip::At(ms) => Some(ms),
            _ => None,
        }
    }
}

/// How a span ended.
enum Span {
    /// At the tip: [`ShardReader::kept`] holds the newest records of the span.
    Tip,
    /// Far behind the tip: read from closer to it.
    FarBehind(Estimate),
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_records_of_all_shards_are_kept_as_they_come_and_no_more() {
        let kept = |arrival_ms, shard, position| Kept { arrival_ms, shard, position, data: Vec::new() };
        let mut newest = Newest::new(3);
        newest.extend([kept(5, 0, 0), kept(1, 0, 1), kept(9, 0, 2)]);
        newest.extend([kept(7, 1, 0), kept(9, 1, 1), kept(2, 1, 2)]);
        assert_eq!(newest.heap.len(), 3, "never more than the sample's size");
        let mut keys: Vec<(i64, usize, u64)> =
            newest.into_vec().iter().map(|k| (k.arrival_ms, k.shard, k.position)).collect();
        keys.sort();
        // Same arrival time: the shard and position decide, as when the sample is ordered.
        assert_eq!(keys, [(7, 1, 0), (9, 0, 2), (9, 1, 1)]);
    }

    #[test]
    fn a_wide_stream_reads_only_the_shards_whose_tip_is_among_the_newest_and_from_the_floor() {
        let tips = vec![(0, Tip::At(10)), (1, Tip::Empty), (2, Tip::At(40)), (3, Tip::At(30)), (4, Tip::Unknown)];
        let (plans, floor) = plan_reads(tips.clone(), 2);
        // The 2 newest tips are 40 and 30: nothing older than 30 can be among the newest 2.
        assert_eq!(floor, Some(30));
        assert_eq!(plans, [(4, None), (2, Some(30)), (3, Some(30))]);
        // Fewer known tips than the sample: no floor, every shard that holds records is read.
        let (plans, floor) = plan_reads(tips, 4);
        assert_eq!(floor, None);
        assert_eq!(plans, [(4, None), (2, None), (3, None), (0, None)]);
    }

    fn batch(count: usize, asked: usize, first: i64, last: i64, behind: i64) -> Batch {
        Batch { count, asked, first_ms: Some(first), last_ms: Some(last), behind_ms: behind, closed: false }
    }

    #[test]
    fn a_full_batch_is_never_the_tip() {
        assert!(!batch(50, 50, 0, 0, 0).at_tip());
        assert!(batch(49, 50, 0, 0, 0).at_tip());
        assert!(!batch(10, 50, 0, 0, 5).at_tip());
        assert!(Batch { closed: true, ..batch(50, 50, 0, 0, 5) }.at_tip());
    }

    #[test]
    fn the_estimate_aims_at_twice_the_sample_back_from_the_tip() {
        // 20,000 records of the last minute: 1 record per 3 ms; the probe read the oldest 50.
        let e = batch(50, 50, 0, 147, 59_853).estimate().unwrap();
        assert_eq!(e.tip_ms, 60_000);
        assert!((e.records_behind() - 59_853.0 / 3.0).abs() < 1.0, "{}", e.records_behind());
        // 100 records' worth: 300 ms.
        assert_eq!(e.window_for(50).as_millis(), 300);
        // All in one millisecond: at least that many per millisecond, never under the floor.
        let same = batch(30, 30, 5, 5, 0).estimate().unwrap();
        assert_eq!(same.window_for(5), MIN_WINDOW);
        assert!(batch(1, 50, 5, 5, 10).estimate().is_none());
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
