//! Errors as they cross the boundary, and the panic guard every exported function runs in.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use abi_stable::{
    std_types::{RNone, ROption, RResult, RSome, RString},
    StableAbi,
};

/// What kind of failure a [`PluginError`] is; hosts decide on retries and exit codes by it.
/// On the wire a kind is its [`ErrorKind::as_str`] text, so later contract versions can add
/// kinds: a host reads a kind it does not know as a failure of the run (see [`PluginError::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// The named function (`call`) is not offered by this plugin or host: an older version.
    Unsupported,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::InvalidConfig,
        ErrorKind::Auth,
        ErrorKind::Connection,
        ErrorKind::Throttled,
        ErrorKind::NotFound,
        ErrorKind::Internal,
        ErrorKind::Unsupported,
    ];

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "invalidConfig",
            ErrorKind::Auth => "auth",
            ErrorKind::Connection => "connection",
            ErrorKind::Throttled => "throttled",
            ErrorKind::NotFound => "notFound",
            ErrorKind::Internal => "internal",
            ErrorKind::Unsupported => "unsupported",
        }
    }

    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::InvalidConfig => "invalid config",
            ErrorKind::NotFound => "not found",
            other => other.as_str(),
        }
    }

    pub fn parse(kind: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == kind)
    }
}

/// An error returned by a plugin. Its message never holds a secret.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq)]
pub struct PluginError {
    /// An [`ErrorKind`] as text, or a kind of a later contract version.
    pub kind: RString,
    pub message: RString,
    /// For [`ErrorKind::InvalidConfig`]: the JSON path of the offending field, e.g.
    /// `/serviceConnection/config/awsConfig/awsRegion`.
    pub field: ROption<RString>,
}

impl PluginError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PluginError { kind: kind.as_str().into(), message: RString::from(message.into()), field: RNone }
    }

    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        PluginError {
            kind: ErrorKind::InvalidConfig.as_str().into(),
            message: RString::from(message.into()),
            field: RSome(RString::from(field.into())),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// The same error, of another kind.
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind.as_str().into();
        self
    }

    /// The kind, when this contract version knows it.
    pub fn kind(&self) -> Option<ErrorKind> {
        ErrorKind::parse(self.kind.as_str())
    }

    /// The kind as a person reads it (a kind of a later version as it came).
    pub fn kind_label(&self) -> &str {
        match self.kind() {
            Some(kind) => kind.label(),
            None => self.kind.as_str(),
        }
    }

    /// Whether the error is of `kind`.
    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind.as_str() == kind.as_str()
    }
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error", self.kind_label())?;
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
        assert!(err.is(ErrorKind::Internal));
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

    #[test]
    fn a_kind_of_a_later_version_is_shown_as_it_came() {
        let e = PluginError { kind: "quotaExceeded".into(), ..PluginError::internal("too much") };
        assert_eq!(e.kind(), None);
        assert_eq!(e.to_string(), "quotaExceeded error: too much");
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::parse(kind.as_str()), Some(kind));
        }
    }
}
