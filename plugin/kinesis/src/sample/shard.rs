//! Reading one shard for a sample (see the module above for how): the probe, the windows
//! aimed at the tip, the jumps, and the bounds that stop a read.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_kinesis::primitives::DateTime;
use plugin_abi::PluginError;

use super::bytes::{Spent, StreamBytes};
use super::newest::Kept;
use super::share::Enrolled;
use super::{budget_warning, SampleSettings};
use crate::budget::ShardPacer;
use crate::kinesis::{Kinesis, StartAt};

/// AWS's most records per GetRecords call.
pub(super) const MAX_RECORDS_PER_CALL: usize = 10_000;
/// How much the look-back window grows each time it holds too few messages.
pub(super) const WINDOW_GROWTH: u32 = 8;
/// A window aimed at the tip holds about this many times the sample, for safety.
pub(super) const WINDOW_MARGIN: f64 = 2.0;
/// The narrowest window aimed at the tip: arrival times are approximate.
pub(super) const MIN_WINDOW: Duration = Duration::from_millis(100);
/// A read further than this many samples behind the tip jumps closer instead of reading on,
/// at most this many times per shard (a live shard's tip moves on meanwhile).
pub(super) const JUMP_WHEN_BEHIND: f64 = 4.0;
pub(super) const MAX_JUMPS: u32 = 3;
/// Calls made once a read is within a sample of a live shard's moving tip.
pub(super) const MAX_CLOSE_CALLS: u32 = 2;

pub(super) struct ShardRead {
    pub(super) records: Vec<Kept>,
    pub(super) calls: u32,
    pub(super) bytes: u64,
    pub(super) stopped_by: Option<String>,
}

/// Why a shard's read ended early.
pub(super) enum Stop {
    /// A bound was reached: the warning names it. What was read is kept.
    Bound(String),
    /// A call failed.
    Failed(PluginError),
    /// A wide stream's shard holds nothing newer than what its other shards' reads found.
    Enough,
}

impl From<PluginError> for Stop {
    fn from(e: PluginError) -> Self {
        Stop::Failed(e)
    }
}

/// What one GetRecords answer said about the shard.
#[derive(Debug, Clone, Copy)]
pub(super) struct Batch {
    pub(super) count: usize,
    pub(super) asked: usize,
    pub(super) first_ms: Option<i64>,
    pub(super) last_ms: Option<i64>,
    pub(super) behind_ms: i64,
    /// No next iterator: a closed shard read to its end.
    pub(super) closed: bool,
}

impl Batch {
    /// At the tip after this batch: another call would only return nothing. MillisBehindLatest
    /// is a time, 0 also for records of the same millisecond as the newest, so a full batch is
    /// never taken for the tip.
    pub(super) fn at_tip(&self) -> bool {
        self.closed || (self.behind_ms == 0 && self.count < self.asked)
    }

    /// Where the tip is and how fast records arrive, as far as this batch tells.
    pub(super) fn estimate(&self) -> Option<Estimate> {
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
pub(super) struct Estimate {
    pub(super) tip_ms: i64,
    /// Records per millisecond.
    pub(super) per_ms: f64,
    /// The arrival time of the batch's last record.
    pub(super) at_ms: i64,
}

impl Estimate {
    /// About how many records lie between the batch and the tip.
    pub(super) fn records_behind(&self) -> f64 {
        self.per_ms * (self.tip_ms - self.at_ms).max(0) as f64
    }

    /// A window back from the tip that should hold about twice `n` records.
    pub(super) fn window_for(&self, n: usize) -> Duration {
        Duration::from_secs_f64(WINDOW_MARGIN * n as f64 / self.per_ms / 1000.0).max(MIN_WINDOW)
    }
}

/// Reads one shard for a sample.
pub(super) struct ShardReader<'a> {
    pub(super) kinesis: &'a Kinesis,
    pub(super) pace: ShardPacer,
    pub(super) stream: &'a str,
    pub(super) shard: &'a str,
    pub(super) shard_index: usize,
    pub(super) settings: &'a SampleSettings,
    /// The bytes of all the stream's shards, against `sampleMaxBytesPerStream`.
    pub(super) stream_bytes: &'a StreamBytes,
    /// For a wide stream's read from the floor: what its shards' reads share, and when this
    /// shard's newest record arrived as the probe found it.
    pub(super) share: Option<&'a Enrolled<'a>>,
    pub(super) tip_ms: Option<i64>,
    pub(super) deadline: Instant,
    pub(super) calls: u32,
    pub(super) bytes: u64,
    pub(super) position: u64,
    pub(super) jumps: u32,
    /// The last N records of the current span.
    pub(super) kept: VecDeque<Kept>,
}

impl ShardReader<'_> {
    /// Finds and reads the shard's newest N records into [`Self::kept`] (which also holds what
    /// was read when a bound stops it).
    pub(super) async fn run(&mut self, retention: Duration, floor_ms: Option<i64>) -> Result<(), Stop> {
        let n = self.settings.size;
        // The floor rises as the stream's other shards are read: a shard whose tip is no newer
        // than what they found is not read.
        let raised = self.share.and_then(Enrolled::floor);
        if self.share.zip(self.tip_ms).is_some_and(|(share, tip)| !share.needs(tip)) {
            return Ok(());
        }
        let floor_ms = floor_ms.map(|floor| raised.map_or(floor, |raised| raised.max(floor)));
        let (mut estimate, mut window, probe_records) = match floor_ms {
            // A wide stream's shard: from the floor, its rate unknown (a first batch tells).
            Some(floor) => (None, Duration::from_millis(now_ms().saturating_sub(floor).max(0) as u64), VecDeque::new()),
            None => {
                let iterator = self.iterator(StartAt::TrimHorizon).await?;
                let Some(iterator) = iterator else { return Ok(()) };
                let (mut probe, next) = self.get(iterator, n).await?;
                // A stream's first call asks for few records, their size unknown (see
                // `sample::bytes`): once it is known, the probe reads on.
                if probe.count == probe.asked && probe.asked < n && !probe.at_tip() {
                    if let Some(next) = next {
                        probe = self.get(next, n).await?.0;
                    }
                }
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
                Err(Stop::Enough) => return Ok(()),
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
    pub(super) async fn tip(&mut self) -> Result<Tip, Stop> {
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
    pub(super) async fn span(&mut self, start: StartAt, may_jump: bool) -> Result<Span, Stop> {
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
    pub(super) async fn iterator(&mut self, start: StartAt) -> Result<Option<String>, Stop> {
        self.check_bounds()?;
        self.pace.wait().await;
        Ok(self.kinesis.shard_iterator(self.stream, self.shard, start).await?)
    }

    /// One GetRecords of at most `want` records: fewer when the stream's or the shard's bytes
    /// left hold fewer (a call is never issued past them), or when a wide stream needs fewer
    /// beyond what its other calls in flight were promised. Keeps the last N records read.
    pub(super) async fn get(&mut self, iterator: String, want: usize) -> Result<(Batch, Option<String>), Stop> {
        self.check_bounds()?;
        let n = self.settings.size;
        let mut want = want.clamp(1, MAX_RECORDS_PER_CALL);
        let claim = match self.share {
            Some(share) => Some(share.claim(want, self.tip_ms.unwrap_or(i64::MAX)).await.ok_or(Stop::Enough)?),
            None => None,
        };
        want = claim.as_ref().map_or(want, |c| want.min(c.records));
        let shard_left = self.settings.max_bytes_per_shard.saturating_sub(self.bytes);
        let reservation = self.stream_bytes.reserve(want, shard_left).await.map_err(|spent| match spent {
            Spent::Stream => Stop::Bound(stream_spent(self.settings)),
            Spent::Shard => Stop::Bound(shard_spent(self.settings)),
        })?;
        let asked = reservation.records;
        self.pace.wait().await;
        self.calls += 1;
        // A failed call drops its reservation and claim: what they held comes back.
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
        let (mut bytes, mut largest) = (0u64, 0u64);
        let mut arrivals = Vec::with_capacity(if claim.is_some() { count } else { 0 });
        for record in out.records {
            let arrival_ms = record.approximate_arrival_timestamp.and_then(|t| t.to_millis().ok()).unwrap_or(0);
            batch.first_ms.get_or_insert(arrival_ms);
            batch.last_ms = Some(arrival_ms);
            if claim.is_some() {
                arrivals.push(arrival_ms);
            }
            let data = record.data.into_inner();
            bytes += data.len() as u64;
            largest = largest.max(data.len() as u64);
            self.kept.push_back(Kept { arrival_ms, shard: self.shard_index, position: self.position, data });
            self.position += 1;
            if self.kept.len() > n {
                self.kept.pop_front();
            }
        }
        self.bytes += bytes;
        reservation.settle(bytes, largest);
        if let Some(claim) = claim {
            claim.settle(arrivals);
            // The newest record this shard holds, as far as this answer tells.
            self.tip_ms = batch.last_ms.map(|last| last + batch.behind_ms.max(0)).max(self.tip_ms);
        }
        self.pace.read(bytes).await;
        Ok((batch, out.next_shard_iterator))
    }

    /// Stops the read at a bound, naming it.
    pub(super) fn check_bounds(&self) -> Result<(), Stop> {
        let s = self.settings;
        if self.stream_bytes.read() >= self.stream_bytes.limit() {
            return Err(Stop::Bound(stream_spent(s)));
        }
        if self.bytes >= s.max_bytes_per_shard {
            return Err(Stop::Bound(shard_spent(s)));
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
pub(super) enum Tip {
    /// The shard holds no record.
    Empty,
    /// The newest record arrived then (ms since the epoch).
    At(i64),
    Unknown,
}

impl Tip {
    pub(super) fn at(self) -> Option<i64> {
        match self {
            Tip::At(ms) => Some(ms),
            _ => None,
        }
    }
}

fn stream_spent(s: &SampleSettings) -> String {
    format!(
        "sampleMaxBytesPerStream ({} bytes) reached across the stream's shards before this shard's newest record; \
         the sample keeps what was read",
        s.max_bytes_per_stream
    )
}

fn shard_spent(s: &SampleSettings) -> String {
    format!(
        "sampleMaxBytesPerShard ({} bytes) reached before the newest record; the sample keeps what was read",
        s.max_bytes_per_shard
    )
}

/// How a span ended.
pub(super) enum Span {
    /// At the tip: [`ShardReader::kept`] holds the newest records of the span.
    Tip,
    /// Far behind the tip: read from closer to it.
    FarBehind(Estimate),
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
