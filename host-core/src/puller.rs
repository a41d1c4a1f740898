//! A plugin's record stream, pulled on a thread of its own, so that a host waits for records
//! in short steps (and sees a signal, or lets Python run, between them) instead of waiting on
//! the plugin alone.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::time::Duration;

use abi_stable::std_types::{ROption, RResult, RSome};
use plugin_abi::{PluginError, Record, RecordStreamBox};

/// What one pull of the stream gives: a record, the end (`ROk(RNone)`), or the plugin's error.
pub type Pulled = RResult<ROption<Record>, PluginError>;

/// How long a stopped plugin gets to end its work (its stream dropped, its tasks cancelled)
/// before the host goes on without it: the same in every host.
pub const STOP_GRACE: Duration = Duration::from_secs(3);

pub struct Puller {
    records: Option<Receiver<Pulled>>,
    done: Receiver<()>,
}

impl Puller {
    pub fn start(mut stream: RecordStreamBox) -> Self {
        let (tx, rx) = sync_channel(16);
        let (done_tx, done_rx) = sync_channel(1);
        std::thread::Builder::new()
            .name("plugin-records".into())
            .spawn(move || {
                loop {
                    let item = stream.next();
                    let last = !matches!(item, RResult::ROk(RSome(_)));
                    if tx.send(item).is_err() || last {
                        break;
                    }
                }
                drop(stream);
                let _ = done_tx.send(());
            })
            .expect("a thread");
        Puller { records: Some(rx), done: done_rx }
    }

    /// The next pull, or `Timeout` when none came within `wait`; `Disconnected` once the
    /// stream has ended (or was stopped) without a last answer.
    pub fn next(&self, wait: Duration) -> Result<Pulled, RecvTimeoutError> {
        self.records.as_ref().ok_or(RecvTimeoutError::Disconnected)?.recv_timeout(wait)
    }

    /// Stops pulling: the plugin's stream is dropped, which cancels its work. `None` when that
    /// happened within [`STOP_GRACE`], else the warning a host gives.
    pub fn stop(mut self) -> Option<String> {
        drop(self.records.take());
        match self.done.recv_timeout(STOP_GRACE) {
            Ok(()) => None,
            Err(_) => Some(format!(
                "the plugin did not stop within {} s; its work ends with this process",
                STOP_GRACE.as_secs()
            )),
        }
    }
}
