//! A run's API budget: AWS's limits are per account (and per shard, for stream reads), shared
//! with the account's own applications, so every call of a run waits for its turn under a
//! pacer per API, set to a share of the published limit, and under an optional overall cap.
//! Throttling answers slow the whole run down for a while.
//!
//! Each plugin names its operations and their published limits through [`Api`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plugin_abi::PluginError;
use plugin_sdk::config::SOURCE_CONFIG_PATH;
use tokio::sync::Mutex;

/// An operation a plugin calls, and AWS's published per-account limit for it.
pub trait Api: Copy {
    /// A small number, distinct for each operation of the plugin (its place in a table).
    fn index(self) -> usize;
    /// The operation's name in AWS's API, e.g. `ListStreams`.
    fn name(self) -> &'static str;
    /// Calls per second AWS allows per account; `None` when only the overall cap applies
    /// (a limit per resource far above what a run makes, or one paced elsewhere).
    fn per_second(self) -> Option<f64>;
}

/// The time a budget reads and sleeps on: the system's in a run, a virtual one in tests (so
/// that no test-only feature of tokio reaches the shipped libraries).
pub trait Clock: std::fmt::Debug + Send + Sync {
    fn now(&self) -> Instant;
    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The system's clock, and tokio's timer.
#[derive(Debug)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Spaces calls `spacing` apart: each caller reserves the next free slot and sleeps until it.
#[derive(Debug)]
pub struct Pacer {
    spacing: Duration,
    next: Mutex<Instant>,
    clock: Arc<dyn Clock>,
}

impl Pacer {
    pub fn per_second(rate: f64) -> Self {
        Pacer::per_second_on(rate, system_clock())
    }

    /// A pacer that never waits.
    pub fn unpaced() -> Self {
        Pacer::per_second_on(f64::INFINITY, system_clock())
    }

    fn per_second_on(rate: f64, clock: Arc<dyn Clock>) -> Self {
        let spacing = if rate.is_infinite() { Duration::ZERO } else { Duration::from_secs_f64(1.0 / rate) };
        Pacer { spacing, next: Mutex::new(clock.now()), clock }
    }

    pub async fn wait(&self) {
        self.wait_slowed(1.0).await;
    }

    /// [`Pacer::wait`], with the spacing `slowdown` times as long.
    async fn wait_slowed(&self, slowdown: f64) {
        if self.spacing.is_zero() {
            return;
        }
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(self.clock.now());
            *next = slot + self.spacing.mul_f64(slowdown.max(1.0));
            slot
        };
        self.clock.sleep_until(slot).await;
    }

    /// Keeps the next call at least `quiet` from now (on top of the spacing).
    async fn hold(&self, quiet: Duration) {
        let mut next = self.next.lock().await;
        *next = (*next).max(self.clock.now() + quiet);
    }
}

/// The pacer of one shard's reads: GetShardIterator and GetRecords calls spaced at the run's
/// share of 5/s, and after each read a pause long enough that the bytes it returned stay
/// within the run's share of the shard's 2 MB/s, which the stream's own consumers share.
#[derive(Debug)]
pub struct ShardPacer {
    calls: Pacer,
    bytes_per_second: f64,
}

impl ShardPacer {
    /// Waits until the next call on the shard may go.
    pub async fn wait(&self) {
        self.calls.wait().await;
    }

    /// Accounts for a read that returned `bytes`.
    pub async fn read(&self, bytes: u64) {
        if self.bytes_per_second.is_finite() && bytes > 0 {
            self.calls.hold(Duration::from_secs_f64(bytes as f64 / self.bytes_per_second)).await;
        }
    }
}

/// How much a throttling answer slows the run down, the most it slows down, and how fast it
/// recovers.
const SLOWDOWN_PER_THROTTLE: f64 = 1.5;
const MAX_SLOWDOWN: f64 = 8.0;
const SLOWDOWN_HALF_LIFE: Duration = Duration::from_secs(3);

/// How much slower than its budget the run goes after throttling answers: ×1.5 per throttled
/// answer (up to ×8), halving every 3 s without one. The account's other applications are
/// using the limits: the run makes room, then comes back.
#[derive(Debug, Clone, Copy)]
struct Slowdown {
    factor: f64,
    since: Instant,
}

impl Slowdown {
    fn at(&self, now: Instant) -> f64 {
        let half_lives = now.saturating_duration_since(self.since).as_secs_f64() / SLOWDOWN_HALF_LIFE.as_secs_f64();
        (self.factor / 2f64.powf(half_lives)).max(1.0)
    }
}

/// The API budget settings every AWS connector's pipeline settings hold (declared by
/// [`crate::pipeline_settings!`]).
#[derive(Debug, Clone, Copy)]
pub struct BudgetSettings {
    /// `apiBudgetShare`: the share (0.01–1) of each published limit this run may use.
    pub share: f64,
    /// `maxCallsPerSecond`: a cap on all calls, on top of the per-API limits.
    pub max_calls_per_second: Option<f64>,
    /// `enforceApiBudget`: false (emulators only) leaves the cap alone.
    pub enforce: bool,
}

/// Pipeline settings that hold [`BudgetSettings`].
pub trait HasBudgetSettings {
    fn budget_settings(&self) -> BudgetSettings;
}

/// Serde's default of `apiBudgetShare`.
pub fn default_share() -> f64 {
    0.8
}

impl BudgetSettings {
    /// `apiBudgetShare` out of 0.01–1, `maxCallsPerSecond` below 0.1.
    pub fn problems(&self) -> Vec<PluginError> {
        let mut problems = Vec::new();
        if !(0.01..=1.0).contains(&self.share) {
            problems.push(PluginError::config(
                format!("{SOURCE_CONFIG_PATH}/apiBudgetShare"),
                format!("{} is out of range: must be between 0.01 and 1", self.share),
            ));
        }
        if self.max_calls_per_second.is_some_and(|m| m.is_nan() || m < 0.1) {
            problems
                .push(PluginError::config(format!("{SOURCE_CONFIG_PATH}/maxCallsPerSecond"), "must be at least 0.1"));
        }
        problems
    }
}

/// The pacers of one run.
#[derive(Debug)]
pub struct Budget {
    /// By [`Api::index`]; an unpaced pacer where there is no account limit.
    pacers: Vec<Pacer>,
    overall: Option<Pacer>,
    share: f64,
    slowdown: std::sync::Mutex<Slowdown>,
    clock: Arc<dyn Clock>,
}

impl Budget {
    /// The run's budget: `apiBudgetShare` of each published limit and `maxCallsPerSecond` over
    /// all calls, or, with `enforceApiBudget: false` (emulators), the cap alone.
    pub fn configured<A: Api>(apis: &[A], settings: BudgetSettings) -> Self {
        if settings.enforce {
            Budget::new(apis, settings.share, settings.max_calls_per_second)
        } else {
            Budget::unlimited(apis, settings.max_calls_per_second)
        }
    }

    /// `share` (0–1) of each operation's published limit, and `max_calls_per_second` over all.
    pub fn new<A: Api>(apis: &[A], share: f64, max_calls_per_second: Option<f64>) -> Self {
        Budget::on_clock(apis, share, max_calls_per_second, system_clock())
    }

    /// No per-API pacing (for emulators), only the overall cap if one is set.
    pub fn unlimited<A: Api>(apis: &[A], max_calls_per_second: Option<f64>) -> Self {
        Budget::on_clock(apis, f64::INFINITY, max_calls_per_second, system_clock())
    }

    /// [`Budget::new`] on `clock`; an infinite `share` paces no API.
    fn on_clock<A: Api>(apis: &[A], share: f64, max: Option<f64>, clock: Arc<dyn Clock>) -> Self {
        let size = apis.iter().map(|a| a.index() + 1).max().unwrap_or(0);
        let mut rates = vec![f64::INFINITY; size];
        for a in apis {
            rates[a.index()] = a.per_second().map_or(f64::INFINITY, |limit| limit * share);
        }
        Budget {
            pacers: rates.into_iter().map(|rate| Pacer::per_second_on(rate, clock.clone())).collect(),
            overall: max.map(|rate| Pacer::per_second_on(rate, clock.clone())),
            share,
            slowdown: std::sync::Mutex::new(Slowdown { factor: 1.0, since: clock.now() }),
            clock,
        }
    }

    /// Waits until a call of `api` may go.
    pub async fn acquire<A: Api>(&self, api: A) {
        let slowdown = self.slowdown();
        if let Some(pacer) = self.pacers.get(api.index()) {
            pacer.wait_slowed(slowdown).await;
        }
        if let Some(overall) = &self.overall {
            overall.wait_slowed(slowdown).await;
        }
    }

    /// A call was throttled: the whole run slows down (see [`Slowdown`]).
    pub fn throttled(&self) {
        let mut s = self.slowdown.lock().unwrap_or_else(|e| e.into_inner());
        let now = self.clock.now();
        *s = Slowdown { factor: (s.at(now) * SLOWDOWN_PER_THROTTLE).min(MAX_SLOWDOWN), since: now };
    }

    /// How many times slower than the budget calls go now.
    pub fn slowdown(&self) -> f64 {
        self.slowdown.lock().unwrap_or_else(|e| e.into_inner()).at(self.clock.now())
    }

    /// A pacer for the reads of one shard (or another resource AWS limits on its own), at this
    /// run's share of its published call and byte rates.
    pub fn shard_pacer(&self, calls_per_second: f64, bytes_per_second: f64) -> ShardPacer {
        ShardPacer {
            calls: Pacer::per_second_on(calls_per_second * self.share, self.clock.clone()),
            bytes_per_second: bytes_per_second * self.share,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Virtual time: a sleep moves the clock to its deadline at once, so a test reads exactly
    /// how long a sequence of calls waited.
    #[derive(Debug)]
    struct VirtualClock {
        start: Instant,
        elapsed: std::sync::Mutex<Duration>,
    }

    impl VirtualClock {
        fn new() -> Arc<Self> {
            Arc::new(VirtualClock { start: Instant::now(), elapsed: std::sync::Mutex::new(Duration::ZERO) })
        }

        fn advance(&self, by: Duration) {
            *self.elapsed.lock().unwrap() += by;
        }
    }

    impl Clock for VirtualClock {
        fn now(&self) -> Instant {
            self.start + *self.elapsed.lock().unwrap()
        }

        fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
            let mut elapsed = self.elapsed.lock().unwrap();
            *elapsed = (*elapsed).max(deadline.saturating_duration_since(self.start));
            Box::pin(std::future::ready(()))
        }
    }

    #[derive(Debug, Clone, Copy)]
    enum Op {
        List,
        Describe,
        Read,
    }

    impl Api for Op {
        fn index(self) -> usize {
            self as usize
        }

        fn name(self) -> &'static str {
            match self {
                Op::List => "List",
                Op::Describe => "Describe",
                Op::Read => "Read",
            }
        }

        fn per_second(self) -> Option<f64> {
            match self {
                Op::List => Some(5.0),
                Op::Describe => Some(20.0),
                Op::Read => None,
            }
        }
    }

    const OPS: [Op; 3] = [Op::List, Op::Describe, Op::Read];

    #[tokio::test]
    async fn a_pacer_spaces_calls_at_its_rate() {
        let clock = VirtualClock::new();
        let pacer = Pacer::per_second_on(20.0, clock.clone());
        let start = clock.now();
        for _ in 0..21 {
            pacer.wait().await;
        }
        // The first call goes at once, the 21st a second later.
        assert_eq!(clock.now() - start, Duration::from_secs(1));
    }

    #[tokio::test]
    async fn the_system_clock_sleeps_until_the_slot() {
        let pacer = Pacer::per_second(20.0);
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait().await;
        }
        assert!(start.elapsed() >= Duration::from_millis(100), "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn the_share_scales_every_limit_and_the_cap_applies_to_all() {
        let clock = VirtualClock::new();
        let budget = Budget::on_clock(&OPS, 0.5, Some(4.0), clock.clone());
        let start = clock.now();
        for _ in 0..5 {
            budget.acquire(Op::Describe).await; // 10/s, but capped at 4/s
        }
        assert_eq!(clock.now() - start, Duration::from_secs(1));
        let start = clock.now();
        for _ in 0..3 {
            budget.acquire(Op::List).await; // 2.5/s, and the cap's slot follows
        }
        assert!(clock.now() - start >= Duration::from_millis(800), "{:?}", clock.now() - start);
        let shard = budget.shard_pacer(5.0, 2_000_000.0);
        let start = clock.now();
        for _ in 0..3 {
            shard.wait().await; // 2.5/s
        }
        assert_eq!(clock.now() - start, Duration::from_millis(800));
    }

    #[tokio::test]
    async fn a_shard_read_waits_for_its_bytes_at_the_share_of_its_byte_rate() {
        let clock = VirtualClock::new();
        let budget = Budget::on_clock(&OPS, 0.5, None, clock.clone()); // 1 MB/s and 2.5 calls/s per shard
        let shard = budget.shard_pacer(5.0, 2_000_000.0);
        shard.wait().await;
        let start = clock.now();
        shard.read(500_000).await; // half a second's worth at 1 MB/s
        shard.wait().await;
        assert_eq!(clock.now() - start, Duration::from_millis(500));
        shard.read(100).await; // less than the call spacing: the spacing wins
        let start = clock.now();
        shard.wait().await;
        assert_eq!(clock.now() - start, Duration::from_millis(400));
    }

    #[tokio::test]
    async fn throttling_slows_the_run_down_and_it_recovers() {
        let clock = VirtualClock::new();
        let budget = Budget::on_clock(&OPS, 1.0, None, clock.clone()); // Describe every 50 ms
        budget.throttled();
        budget.throttled();
        assert_eq!(budget.slowdown(), 2.25);
        budget.acquire(Op::Describe).await;
        let start = clock.now();
        budget.acquire(Op::Describe).await;
        assert_eq!(clock.now() - start, Duration::from_micros(112_500)); // 2.25 × 50 ms
        for _ in 0..10 {
            budget.throttled();
        }
        assert_eq!(budget.slowdown(), MAX_SLOWDOWN);
        clock.advance(SLOWDOWN_HALF_LIFE * 2);
        assert!((budget.slowdown() - 2.0).abs() < 1e-9, "{}", budget.slowdown());
        clock.advance(SLOWDOWN_HALF_LIFE * 4);
        assert_eq!(budget.slowdown(), 1.0);
    }

    #[tokio::test]
    async fn an_unlimited_budget_does_not_wait() {
        let clock = VirtualClock::new();
        let budget = Budget::on_clock(&OPS, f64::INFINITY, None, clock.clone());
        let shard = budget.shard_pacer(5.0, 2_000_000.0);
        let start = clock.now();
        for _ in 0..100 {
            budget.acquire(Op::Describe).await;
            budget.acquire(Op::Read).await;
            shard.wait().await;
            shard.read(1_000_000).await;
        }
        assert_eq!(clock.now() - start, Duration::ZERO);
    }
}
