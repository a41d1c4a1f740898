//! A run as the host sees it: a [`RecordStream`] fed by the plugin's own tokio runtime through a
//! bounded channel. Dropping the stream shuts that runtime down, which cancels every call still
//! in flight. (A cdylib cannot share the host's runtime: each has its own copy of tokio.)

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use abi_stable::std_types::{RNone, ROption, RResult, RSome};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use plugin_abi::{
    envelope::{ListingStatus, Progress},
    guard, PluginError, Record, RecordKind, RecordStream,
};
use tokio::sync::mpsc;

/// Records waiting for the host; the run pauses when the host falls behind.
const RECORD_BUFFER: usize = 64;

/// What a run's work sends: a record, or the error that ends the run.
pub type Item = Result<Record, PluginError>;

/// The host's handle on a run.
pub struct Run {
    records: mpsc::Receiver<Item>,
    runtime: Option<tokio::runtime::Runtime>,
    ended: bool,
}

/// Starts `work` on a runtime of its own (threads named `thread_name`) and returns at once.
/// `log` is where the run's events go: every thread of the runtime takes it as its default.
/// `work` sends its records to the sender it is given and stops when a send fails (the host
/// dropped the stream).
pub fn start<W, F>(thread_name: &str, log: tracing::Dispatch, work: W) -> Result<Run, PluginError>
where
    W: FnOnce(mpsc::Sender<Item>) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(thread_name)
        .on_thread_start(move || crate::logging::adopt(&log))
        .enable_all()
        .build()
        .map_err(|e| PluginError::internal(format!("could not start the plugin's runtime: {e}")))?;
    let (tx, rx) = mpsc::channel(RECORD_BUFFER);
    let errors = tx.clone();
    let work = work(tx);
    runtime.spawn(async move {
        // The work runs in a task of its own so that a panic in it becomes an error record
        // instead of a silently ended stream.
        if let Err(e) = tokio::spawn(work).await {
            if e.is_panic() {
                let message = plugin_abi::error::panic_message(&*e.into_panic());
                let _ = errors.send(Err(PluginError::internal(format!("the plugin panicked: {message}")))).await;
            }
        }
    });
    Ok(Run { records: rx, runtime: Some(runtime), ended: false })
}

impl RecordStream for Run {
    fn next(&mut self) -> RResult<ROption<Record>, PluginError> {
        guard(|| {
            if self.ended {
                return RResult::ROk(RNone);
            }
            match self.records.blocking_recv() {
                Some(Ok(record)) => RResult::ROk(RSome(record)),
                Some(Err(e)) => {
                    self.ended = true;
                    RResult::RErr(e)
                }
                None => {
                    self.ended = true;
                    RResult::ROk(RNone)
                }
            }
        })
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        // The host drops the stream through the boundary: nothing may unwind out of here.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.records.close();
            if let Some(rt) = self.runtime.take() {
                // Cancels every task; a blocked SDK call is abandoned rather than awaited.
                rt.shutdown_timeout(Duration::from_millis(500));
            }
        }));
    }
}

/// The first step of every run: what it reads through (its clients), or, when that cannot be
/// had (credentials refused, say), `None`, the error sent as the run's end.
pub async fn opened<T>(out: &mpsc::Sender<Item>, connection: Result<T, PluginError>) -> Option<T> {
    match connection {
        Ok(connection) => Some(connection),
        Err(e) => {
            // A send fails only when the host dropped the stream: there is no one to tell.
            let _ = out.send(Err(e)).await;
            None
        }
    }
}

/// The opening of a run whose listing feeds its work: the listing runs as a task of its own (a
/// listing's paging token expires, so it never waits for the work behind it; the names it keeps
/// are small), sending the names it keeps, and marks `counters.listing_done` when it ends.
/// Returns that task and the kept names, as they come.
pub fn spawn_listing<F>(
    counters: &Arc<Counters>,
    listing: impl FnOnce(mpsc::UnboundedSender<String>) -> F,
) -> (tokio::task::JoinHandle<Listing>, impl futures::Stream<Item = String>)
where
    F: Future<Output = Listing> + Send + 'static,
{
    let (kept, names) = mpsc::unbounded_channel::<String>();
    let listing = listing(kept);
    let counters = counters.clone();
    let task = tokio::spawn(async move {
        let listing = listing.await;
        counters.listing_done.store(true, Ordering::Relaxed);
        listing
    });
    (task, futures::stream::unfold(names, |mut rx| async move { rx.recv().await.map(|n| (n, rx)) }))
}

/// The closing of a run: the listing's outcome and the calls made go into the run's status,
/// which is sent as its last record (`listingStatus`, for `entity_type` in `scope`).
pub async fn close(
    out: &mpsc::Sender<Item>,
    listing: Listing,
    mut status: ListingStatus,
    api_calls: std::collections::BTreeMap<String, u64>,
    entity_type: &str,
    scope: &[&str],
) {
    listing.finish(&mut status, api_calls);
    // A host that dropped the stream is gone: nobody is left to tell.
    let _ = out.send(Ok(Record::new(RecordKind::ListingStatus, entity_type, scope, &status))).await;
}

/// What the listing half of a run found out.
#[derive(Debug, Default)]
pub struct Listing {
    pub listed: u64,
    pub filtered: u64,
    /// Why the listing is not complete.
    pub failure: Option<String>,
}

impl Listing {
    /// The listing task's outcome; a task that failed (panicked, was cancelled) is an
    /// incomplete listing.
    pub fn of(task: Result<Listing, tokio::task::JoinError>) -> Listing {
        task.unwrap_or_else(|e| Listing {
            failure: Some(format!("the listing task failed: {e}")),
            ..Listing::default()
        })
    }

    /// Takes one page of listed names: counts them, drops those the filter leaves out and sends
    /// the others on (to be described). False when the listing must end: a filter pattern that
    /// cannot decide about a name, or a run that was stopped ([`Listing::failure`] says which).
    pub fn take_page(
        &mut self,
        names: Vec<String>,
        filter: &crate::filter::NameFilter,
        counters: &Counters,
        kept: &mpsc::UnboundedSender<String>,
    ) -> bool {
        for name in names {
            self.listed += 1;
            Counters::add(&counters.listed);
            match filter.keeps(&name) {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!(name = %name, "filtered out");
                    self.filtered += 1;
                    Counters::add(&counters.filtered);
                    continue;
                }
                Err(e) => {
                    tracing::error!("{}", e.message);
                    self.failure = Some(e.message);
                    return false;
                }
            }
            if kept.send(name).is_err() {
                self.failure = Some("the run was stopped".into());
                return false;
            }
        }
        true
    }

    /// Completes the run's status with the listing and the calls made, and logs it.
    pub fn finish(self, status: &mut ListingStatus, api_calls: std::collections::BTreeMap<String, u64>) {
        status.api_calls = api_calls;
        status.listed = self.listed;
        status.filtered = self.filtered;
        status.complete = self.failure.is_none();
        status.reason = self.failure;
        tracing::info!(
            listed = status.listed,
            filtered = status.filtered,
            emitted = status.emitted,
            lineage = status.lineage_emitted,
            complete = status.complete,
            "listing finished"
        );
    }
}

/// How far a run has got, counted as it goes (the listing task and the main loop share it).
#[derive(Debug, Default)]
pub struct Counters {
    pub listed: AtomicU64,
    pub listing_done: AtomicBool,
    pub filtered: AtomicU64,
    pub described: AtomicU64,
    pub sampled: AtomicU64,
}

impl Counters {
    pub fn snapshot(&self) -> Progress {
        Progress {
            listed: self.listed.load(Ordering::Relaxed),
            listing_done: self.listing_done.load(Ordering::Relaxed),
            filtered: self.filtered.load(Ordering::Relaxed),
            described: self.described.load(Ordering::Relaxed),
            sampled: self.sampled.load(Ordering::Relaxed),
        }
    }

    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// How often a run tells the host how far it has got.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// Sends progress records, at most one per [`PROGRESS_EVERY`].
#[derive(Debug)]
pub struct ProgressTicker {
    last: Option<Instant>,
}

impl ProgressTicker {
    pub fn new() -> Self {
        ProgressTicker { last: None }
    }

    /// A progress record when one is due: about `entity_type` in the scope `scope`.
    pub fn due(&mut self, counters: &Counters, entity_type: &str, scope: &[&str]) -> Option<Record> {
        if self.last.is_some_and(|l| l.elapsed() < PROGRESS_EVERY) {
            return None;
        }
        self.last = Some(Instant::now());
        Some(Record::new(RecordKind::Progress, entity_type, scope, &counters.snapshot()))
    }
}

impl Default for ProgressTicker {
    fn default() -> Self {
        Self::new()
    }
}
