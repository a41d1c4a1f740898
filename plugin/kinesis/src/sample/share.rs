//! What the reads of a wide stream's shards from the floor share: the arrival times of the
//! newest N records read so far, and the records the calls in flight were promised.
//!
//! Each call is promised no more than the stream still needs beyond what the calls in flight
//! were promised, and promises go newest tip first: a call waits while nothing is left to
//! promise, or while a shard with a newer tip waits too. Once N records were read, the N-th newest of them is a higher floor: a shard whose
//! tip is no newer holds nothing the sample needs and is not read (or no further). Records of the
//! same millisecond are equally new, so a tie goes to the record already read: when the shards'
//! newest records arrived together (a burst, whose calls stamp all their records alike), the
//! first shards read fill the sample and the rest are not read in full, nor at all.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Mutex;

use tokio::sync::Notify;

pub(super) struct Share {
    size: usize,
    state: Mutex<State>,
    /// Woken each time a call's promise ends.
    settled: Notify,
}

struct State {
    /// A min-heap of the newest `size` arrival times read: the oldest on top.
    newest: BinaryHeap<Reverse<i64>>,
    /// Records promised to the calls in flight.
    promised: usize,
    /// The probed tips of the shards being read with no call in flight, and how many each.
    idle: BTreeMap<i64, usize>,
}

/// One shard's read from the floor, enrolled once it has its turn among the run's
/// `sampleConcurrency` (a shard still waiting for one must not hold the others back); it ends
/// when dropped.
pub(super) struct Enrolled<'a> {
    share: &'a Share,
    tip_ms: i64,
}

/// The records one call may ask for, promised until it answers (or is dropped unanswered).
pub(super) struct Claim<'a> {
    enrolled: &'a Enrolled<'a>,
    pub(super) records: usize,
}

impl Share {
    pub(super) fn new(size: usize) -> Self {
        let state = State { newest: BinaryHeap::with_capacity(size + 1), promised: 0, idle: BTreeMap::new() };
        Share { size: size.max(1), state: Mutex::new(state), settled: Notify::new() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Plain counters and times, whole after any panic elsewhere.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The arrival time of the N-th newest record read, once N were.
    pub(super) fn floor(&self) -> Option<i64> {
        Self::floor_of(&self.lock(), self.size)
    }

    fn floor_of(state: &State, size: usize) -> Option<i64> {
        (state.newest.len() >= size).then(|| state.newest.peek().map(|Reverse(ms)| *ms)).flatten()
    }

    /// Whether a shard whose newest record arrived at `tip_ms` may hold a record the sample needs.
    pub(super) fn needs(&self, tip_ms: i64) -> bool {
        self.floor().is_none_or(|floor| tip_ms > floor)
    }

    /// A shard to read, whose newest record arrived at `tip_ms` as its probe found.
    pub(super) fn enrol(&self, tip_ms: i64) -> Enrolled<'_> {
        *self.lock().idle.entry(tip_ms).or_default() += 1;
        Enrolled { share: self, tip_ms }
    }

    fn end(&self, promised: usize, arrivals: impl IntoIterator<Item = i64>) {
        let mut state = self.lock();
        state.promised = state.promised.saturating_sub(promised);
        for ms in arrivals {
            state.newest.push(Reverse(ms));
            if state.newest.len() > self.size {
                state.newest.pop();
            }
        }
        drop(state);
        self.settled.notify_waiters();
    }
}

fn add(idle: &mut BTreeMap<i64, usize>, tip_ms: i64, count: isize) {
    let entry = idle.entry(tip_ms).or_default();
    *entry = entry.saturating_add_signed(count);
    if *entry == 0 {
        idle.remove(&tip_ms);
    }
}

impl<'a> Enrolled<'a> {
    pub(super) fn floor(&self) -> Option<i64> {
        self.share.floor()
    }

    pub(super) fn needs(&self, tip_ms: i64) -> bool {
        self.share.needs(tip_ms)
    }

    /// How many of `want` records this shard's next call may ask for: what the stream still
    /// needs beyond the promises in flight (once it has N, a sample's worth of newer ones, one
    /// call at a time), when no shard with a newer tip waits. Waits while that is nothing;
    /// `None` once the shard holds nothing the sample needs (its newest record, as far as its
    /// reads tell, arrived at `tip_ms`).
    pub(super) async fn claim(&'a self, want: usize, tip_ms: i64) -> Option<Claim<'a>> {
        let share = self.share;
        loop {
            // Registered before the state is looked at, so that a settle in between wakes it.
            let settled = share.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            {
                let mut state = share.lock();
                let floor = Share::floor_of(&state, share.size);
                if floor.is_some_and(|floor| tip_ms <= floor) {
                    return None;
                }
                let open = match floor {
                    None => (share.size - state.newest.len()).saturating_sub(state.promised),
                    Some(_) if state.promised == 0 => share.size,
                    Some(_) => 0,
                };
                let newest_waiting = state.idle.last_key_value().map(|(tip, _)| *tip);
                let records = want.max(1).min(open);
                if records > 0 && newest_waiting.is_none_or(|newest| self.tip_ms >= newest) {
                    state.promised += records;
                    add(&mut state.idle, self.tip_ms, -1);
                    drop(state);
                    // The next newest tip may go now, if anything is left to promise.
                    share.settled.notify_waiters();
                    return Some(Claim { enrolled: self, records });
                }
            }
            settled.as_mut().await;
        }
    }
}

impl Drop for Enrolled<'_> {
    fn drop(&mut self) {
        add(&mut self.share.lock().idle, self.tip_ms, -1);
        self.share.settled.notify_waiters();
    }
}

impl Claim<'_> {
    /// The call answered with records that arrived at `arrivals`.
    pub(super) fn settle(mut self, arrivals: impl IntoIterator<Item = i64>) {
        let promised = std::mem::take(&mut self.records);
        self.end(promised, arrivals);
    }

    fn end(&self, promised: usize, arrivals: impl IntoIterator<Item = i64>) {
        let enrolled = self.enrolled;
        add(&mut enrolled.share.lock().idle, enrolled.tip_ms, 1);
        enrolled.share.end(promised, arrivals);
    }
}

impl Drop for Claim<'_> {
    /// A call that failed, or was dropped by a timeout, read nothing.
    fn drop(&mut self) {
        if self.records > 0 {
            self.end(self.records, []);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    }

    #[test]
    fn once_n_records_were_read_the_nth_newest_is_the_floor_and_ties_go_to_what_was_read() {
        block_on(async {
            let share = Share::new(3);
            let reader = share.enrol(9);
            assert!(share.needs(i64::MIN), "no floor before N records");
            reader.claim(2, 9).await.unwrap().settle([5, 9]);
            assert_eq!(share.floor(), None);
            reader.claim(2, 9).await.unwrap().settle([7, 1]);
            assert_eq!(share.floor(), Some(5));
            assert!(!share.needs(5), "a tip of the floor's millisecond adds nothing newer");
            assert!(reader.claim(1, 5).await.is_none());
            assert!(share.needs(6));
            reader.claim(3, 9).await.unwrap().settle([9, 9]);
            assert_eq!(share.floor(), Some(9), "a burst: the newest three all arrived at 9");
            assert!(reader.claim(3, 9).await.is_none());
        });
    }

    #[test]
    fn a_call_is_promised_what_the_stream_still_needs_beyond_the_calls_in_flight() {
        block_on(async {
            let share = Share::new(50);
            let (a, b, c) = (share.enrol(10), share.enrol(10), share.enrol(10));
            let first = a.claim(100, 10).await.unwrap();
            assert_eq!(first.records, 50, "all the stream needs");
            let second = b.claim(100, 10);
            tokio::pin!(second);
            assert!(futures::poll!(second.as_mut()).is_pending(), "nothing left to promise: it waits");
            // The first call found 20 records: 30 still needed.
            first.settle(vec![10; 20]);
            let second = second.await.unwrap();
            assert_eq!(second.records, 30);
            let third = c.claim(100, 10);
            tokio::pin!(third);
            assert!(futures::poll!(third.as_mut()).is_pending());
            // The second call failed: its promise comes back.
            drop(second);
            assert_eq!(third.await.unwrap().records, 30);
        });
    }

    #[test]
    fn promises_go_newest_tip_first() {
        block_on(async {
            let share = Share::new(50);
            {
                let (older, newer) = (share.enrol(5), share.enrol(9));
                let waiting = older.claim(10, 5);
                tokio::pin!(waiting);
                assert!(futures::poll!(waiting.as_mut()).is_pending(), "a shard with a newer tip waits to be read");
                let _first = newer.claim(10, 9).await.unwrap();
                let ready = futures::poll!(waiting.as_mut());
                assert!(matches!(ready, std::task::Poll::Ready(Some(_))), "the newer one's call in flight, it may go");
            }
            // A read that ends holds nothing back.
            let (older, newer) = (share.enrol(5), share.enrol(9));
            drop(newer);
            assert!(older.claim(10, 5).await.is_some());
        });
    }

    #[test]
    fn once_full_a_shard_with_newer_records_reads_a_sample_s_worth_one_call_at_a_time() {
        block_on(async {
            let share = Share::new(2);
            let (busy, other) = (share.enrol(50), share.enrol(40));
            busy.claim(2, 50).await.unwrap().settle([1, 2]);
            let call = busy.claim(10, 50).await.unwrap();
            assert_eq!(call.records, 2);
            let waiting = other.claim(10, 40);
            tokio::pin!(waiting);
            assert!(futures::poll!(waiting.as_mut()).is_pending());
            call.settle([45, 46]);
            assert!(waiting.await.is_none(), "the floor rose past its tip, 40");
        });
    }
}
