//! Progress of a run: on a terminal, a live bar on stderr (objects described of those listed,
//! entities written, rate, ETA once the listing is done), with log lines printed above it; else
//! (CI, cron, a scheduler) a plain log line every few seconds, no control characters.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plugin_abi::envelope::Progress;

/// The bar being drawn, if any: log lines are written around it.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How often the plain progress line is logged without a terminal.
const LOG_EVERY: Duration = Duration::from_secs(5);

pub struct Display {
    bar: Option<ProgressBar>,
    last_log: Instant,
    noun: &'static str,
}

impl Display {
    /// `noun` names what is counted (`topics`, `pipelines`).
    pub fn start(noun: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} described · {msg} · {per_sec} · ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(250));
            *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar.clone());
            bar
        });
        Display { bar, last_log: Instant::now(), noun }
    }

    /// The plugin's latest progress, and the entities written so far.
    pub fn update(&mut self, progress: Option<&Progress>, written: u64) {
        let (listed, done, described) =
            progress.map_or((0, false, 0), |p| (p.listed.saturating_sub(p.filtered), p.listing_done, p.described));
        // The plugin's count is a snapshot from a moment ago; what was written is described.
        let described = described.max(written);
        let listing = if done { "listing done".to_string() } else { format!("{listed} listed so far") };
        if let Some(bar) = &self.bar {
            bar.set_length(listed.max(described));
            bar.set_position(described);
            bar.set_message(format!("{written} {} written · {listing}", self.noun));
        } else if self.last_log.elapsed() >= LOG_EVERY {
            tracing::info!("progress: {described} of {listed} described ({listing}), {written} {} written", self.noun);
            self.last_log = Instant::now();
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
            *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }
}

/// Where the log writes: stderr, around the bar when one is drawn.
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match active {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
