//! Errors as they cross the boundary, and the panic guard every exported function runs in.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::{
    std_types::{RNone, ROption, RResult, RSome, RString},
    StableAbi,
};

/// What kind of failure a [`PluginError`] is; hosts decide on retries and exit codes by it.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The configuration is wrong; `field` names where.
    InvalidConfig,
    /// Credentials are missing, expired or lack a permission.
    Auth,
    /// The service could not be reached.
    Connection,
    /// The service throttled us beyond what retries absorbed.
    Throttled,
    /// A named resource does not exist.
    NotFound,
    /// A bug or an unexpected answer (a caught panic lands here).
    Internal,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "invalid config",
            ErrorKind::Auth => "auth",
            ErrorKind::Connection => "connection",
            ErrorKind::Throttled => "throttled",
            ErrorKind::NotFound => "not found",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error returned by a plugin. Its message never holds a secret.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct PluginError {
    pub kind: ErrorKind,
    pub message: RString,
    /// For [`ErrorKind::InvalidConfig`]: the JSON path of the offending field, e.g.
    /// `/serviceConnection/config/awsConfig/awsRegion`.
    pub field: ROption<RString>,
}

impl PluginError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PluginError { kind, message: RString::from(message.into()), field: RNone }
    }

    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        PluginError {
            kind: ErrorKind::InvalidConfig,
            message: RString::from(message.into()),
            field: RSome(RString::from(field.into())),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error", self.kind.as_str())?;
        if let RSome(field) = &self.field {
            write!(f, " at {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for PluginError {}

/// Runs `f`, turning a panic into an [`ErrorKind::Internal`] error.
///
/// A panic that unwinds out of an `extern "C"` function aborts the host (and abi_stable's shims
/// exit the process), so every function a plugin exports, and every method of its trait
/// objects, runs its body in here.
pub fn guard<T>(f: impl FnOnce() -> RResult<T, PluginError>) -> RResult<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => RResult::RErr(PluginError::internal(format!("the plugin panicked: {}", panic_message(&*panic)))),
    }
}

/// The text of a caught panic payload.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_turns_a_panic_into_an_internal_error() {
        let result: RResult<(), PluginError> = guard(|| panic!("boom {}", 7));
        let err = result.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Internal);
        assert!(err.message.contains("boom 7"), "{}", err.message);
    }

    #[test]
    fn guard_passes_results_through() {
        assert_eq!(guard(|| RResult::<u8, PluginError>::ROk(3)).unwrap(), 3);
    }

    #[test]
    fn display_names_the_field() {
        let e = PluginError::config("/a/b", "must be a region");
        assert_eq!(e.to_string(), "invalid config error at /a/b: must be a region");
    }
}
