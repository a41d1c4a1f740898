//! A stream's byte budget for its sample (`sampleMaxBytesPerStream`), as a bound rather than a
//! target: each GetRecords call's size is decided before it is issued, from the bytes neither
//! read nor held by the calls in flight, and a call that would not fit is never issued.
//!
//! A call of `k` records holds `k` times the largest record read from the stream so far until it
//! answers; then what it read counts and the rest is given back. Until a first record tells the
//! size, one call at a time asks for as many records of AWS's largest size (1 MiB, unless the
//! stream's limit was raised) as the stream's budget holds, and at least one: 8 at the default
//! budget, so that a quiet shard is still read in one call. A call that does not fit while others
//! are in flight waits for them: what they do not use comes back.

use std::sync::Mutex;

use tokio::sync::Notify;

/// AWS's largest record, unless a stream's limit was raised: what a record may weigh before the
/// stream's first record tells.
const LARGEST_RECORD: u64 = 1 << 20;

/// The bytes of one stream's sample: read, held by calls in flight, and the largest record.
pub(super) struct StreamBytes {
    limit: u64,
    state: Mutex<State>,
    /// Woken each time a call gives back what it held.
    given_back: Notify,
}

#[derive(Default)]
struct State {
    read: u64,
    held: u64,
    /// The largest record read from the stream so far; 0 while none was.
    largest_record: u64,
}

/// Why no call may be issued.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Spent {
    /// The stream's budget: what is left would not hold a record.
    Stream,
    /// The shard's own bound (`sampleMaxBytesPerShard`): what it has left would not.
    Shard,
}

/// Room for one call's records, held until the call answers (or is dropped unanswered).
pub(super) struct Reservation<'a> {
    bytes: &'a StreamBytes,
    held: u64,
    /// How many records the call may ask for.
    pub(super) records: usize,
}

impl StreamBytes {
    pub(super) fn new(limit: u64) -> Self {
        StreamBytes { limit, state: Mutex::new(State::default()), given_back: Notify::new() }
    }

    pub(super) fn limit(&self) -> u64 {
        self.limit
    }

    /// The record bytes read so far, by every shard of the stream.
    pub(super) fn read(&self) -> u64 {
        self.lock().read
    }

    /// Room for up to `want` records, of which the shard reading may take `shard_left` bytes;
    /// waits while calls in flight hold what is needed, and says which bound is spent when
    /// nothing is left.
    pub(super) async fn reserve(&self, want: usize, shard_left: u64) -> Result<Reservation<'_>, Spent> {
        loop {
            // Registered before the state is looked at, so that a give-back in between wakes it.
            let given_back = self.given_back.notified();
            tokio::pin!(given_back);
            given_back.as_mut().enable();
            {
                let mut state = self.lock();
                let free = self.limit.saturating_sub(state.read + state.held);
                let (records, held) = match state.largest_record {
                    // Size unknown: holding all that is left, so that the others wait for the size
                    // it tells.
                    0 if free > 0 && shard_left > 0 => {
                        let records = (free / LARGEST_RECORD).clamp(1, want.max(1) as u64);
                        (records as usize, free)
                    }
                    0 => (0, 0),
                    size => {
                        let records = (free.min(shard_left) / size).min(want.max(1) as u64);
                        (records as usize, records * size)
                    }
                };
                if records > 0 {
                    state.held += held;
                    return Ok(Reservation { bytes: self, held, records });
                }
                if shard_left < state.largest_record.max(1) {
                    return Err(Spent::Shard);
                }
                if state.held == 0 {
                    return Err(Spent::Stream);
                }
            }
            given_back.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is plain counters, whole after any panic elsewhere.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn give_back(&self, held: u64, read: u64, largest_record: u64) {
        let mut state = self.lock();
        state.held = state.held.saturating_sub(held);
        state.read += read;
        state.largest_record = state.largest_record.max(largest_record);
        drop(state);
        self.given_back.notify_waiters();
    }
}

impl Reservation<'_> {
    /// The call answered: `read` bytes, the largest record `largest_record` bytes.
    pub(super) fn settle(mut self, read: u64, largest_record: u64) {
        let held = std::mem::take(&mut self.held);
        self.bytes.give_back(held, read, largest_record);
    }
}

impl Drop for Reservation<'_> {
    /// A call that failed, or was dropped by a timeout, read nothing: what it held comes back.
    fn drop(&mut self) {
        if self.held > 0 {
            self.bytes.give_back(self.held, 0, 0);
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
    fn a_first_call_asks_one_record_and_the_size_it_tells_shares_out_the_rest() {
        block_on(async {
            let wide = StreamBytes::new(8 * LARGEST_RECORD);
            assert_eq!(wide.reserve(50, u64::MAX).await.unwrap().records, 8, "8 records of AWS's largest size");
            let bytes = StreamBytes::new(1000);
            let first = bytes.reserve(50, u64::MAX).await.unwrap();
            assert_eq!(first.records, 1, "nothing is known of the records' size yet: at least one");
            first.settle(100, 100);
            // 900 bytes left, 100 a record: 9 records, whatever is wanted.
            let second = bytes.reserve(50, u64::MAX).await.unwrap();
            assert_eq!(second.records, 9);
            // Nothing left while the second is in flight, and it holds all: a third would wait;
            // once the second reads less than it held, the rest comes back.
            second.settle(300, 100);
            assert_eq!(bytes.reserve(50, 250).await.unwrap().records, 2, "the shard's 250 bytes hold 2");
            assert_eq!(bytes.read(), 400);
        });
    }

    #[test]
    fn a_call_that_does_not_fit_waits_for_the_calls_in_flight_and_none_is_issued_past_the_budget() {
        block_on(async {
            let bytes = StreamBytes::new(1000);
            bytes.reserve(1, u64::MAX).await.unwrap().settle(200, 200);
            let in_flight = bytes.reserve(50, u64::MAX).await.unwrap();
            assert_eq!(in_flight.records, 4);
            let waiting = bytes.reserve(50, u64::MAX);
            tokio::pin!(waiting);
            // Polled once: it cannot go yet.
            assert!(futures::poll!(waiting.as_mut()).is_pending());
            in_flight.settle(200, 200);
            assert_eq!(waiting.await.unwrap().records, 3, "the 600 bytes the first did not read came back");
        });
        block_on(async {
            let bytes = StreamBytes::new(1000);
            bytes.reserve(1, u64::MAX).await.unwrap().settle(900, 300);
            assert_eq!(bytes.reserve(50, u64::MAX).await.err(), Some(Spent::Stream), "100 bytes hold no record");
            assert_eq!(bytes.reserve(50, 0).await.err(), Some(Spent::Shard));
        });
    }

    #[test]
    fn a_dropped_call_gives_back_what_it_held() {
        block_on(async {
            let bytes = StreamBytes::new(1000);
            bytes.reserve(1, u64::MAX).await.unwrap().settle(100, 100);
            drop(bytes.reserve(50, u64::MAX).await.unwrap());
            assert_eq!(bytes.reserve(50, u64::MAX).await.unwrap().records, 9);
        });
    }
}
