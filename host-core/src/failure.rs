//! The hosts' one error type: what failed, and the exit code that says what kind of failure it
//! was, decided where the failure happens rather than guessed at the top.

use std::fmt;

/// How a command ended, as its exit code tells scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything worked.
    Success,
    /// 1: the run (or check) started and something failed: an incomplete listing, a plugin
    /// error, an entity the sink could not write, the sink's output.
    RunFailed,
    /// 2: the input is wrong, found before the run started: the workflow file, the
    /// configuration, the plugin directory, or an OpenMetadata server that cannot be reached or
    /// refuses our credentials.
    BadInput,
    /// 128 + the signal: stopped by SIGINT (130) or SIGTERM (143).
    Interrupted(i32),
}

impl Exit {
    /// The exit of several runs: an interruption, else bad input, else a failed run, else
    /// success.
    pub fn worst(exits: impl IntoIterator<Item = Exit>) -> Exit {
        let rank = |e: &Exit| match e {
            Exit::Success => 0,
            Exit::RunFailed => 1,
            Exit::BadInput => 2,
            Exit::Interrupted(_) => 3,
        };
        exits.into_iter().max_by_key(rank).unwrap_or(Exit::Success)
    }

    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::RunFailed => 1,
            Exit::BadInput => 2,
            Exit::Interrupted(signal) => u8::try_from(128 + signal).unwrap_or(1),
        }
    }
}

/// A failure and its exit code. Its message never holds a secret.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

/// Gives an error its category where it happens.
pub trait Categorize<T> {
    /// Wrong input, found before the run started (exit 2).
    fn bad_input(self) -> Result<T>;
    /// A failure of a run that started (exit 1).
    fn run_failed(self) -> Result<T>;
}

impl<T, E: Into<anyhow::Error>> Categorize<T> for std::result::Result<T, E> {
    fn bad_input(self) -> Result<T> {
        self.map_err(|e| Failure { exit: Exit::BadInput, error: e.into() })
    }

    fn run_failed(self) -> Result<T> {
        self.map_err(|e| Failure { exit: Exit::RunFailed, error: e.into() })
    }
}

/// `bail!` with a category: `fail!(BadInput, "…", args)`.
#[macro_export]
macro_rules! fail {
    ($exit:ident, $($arg:tt)+) => {
        return Err($crate::failure::Failure {
            exit: $crate::failure::Exit::$exit,
            error: $crate::failure::anyhow::anyhow!($($arg)+),
        })
    };
}
pub use crate::fail;
/// For [`fail!`] in crates that do not depend on anyhow by that name.
#[doc(hidden)]
pub use anyhow;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_what_scripts_expect() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::RunFailed.code(), 1);
        assert_eq!(Exit::BadInput.code(), 2);
        assert_eq!(Exit::Interrupted(2).code(), 130);
        assert_eq!(Exit::Interrupted(15).code(), 143);
    }

    #[test]
    fn several_runs_exit_with_the_worst() {
        assert_eq!(Exit::worst([Exit::Success, Exit::RunFailed, Exit::Success]), Exit::RunFailed);
        assert_eq!(Exit::worst([Exit::BadInput, Exit::RunFailed]), Exit::BadInput);
        assert_eq!(Exit::worst([Exit::Success, Exit::Interrupted(2)]), Exit::Interrupted(2));
        assert_eq!(Exit::worst([]), Exit::Success);
    }

    #[test]
    fn the_category_is_carried_with_the_error() {
        let e = Err::<(), _>(anyhow::anyhow!("no such file")).bad_input().unwrap_err();
        assert_eq!(e.exit, Exit::BadInput);
        assert_eq!(e.to_string(), "no such file");
        let e = Err::<(), _>(std::io::Error::other("disk full")).run_failed().unwrap_err();
        assert_eq!(e.exit, Exit::RunFailed);
    }
}
