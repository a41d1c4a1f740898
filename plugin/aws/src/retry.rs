//! How AWS plugins retry: connection failures that cannot heal are retried quickly, and every
//! throttling answer slows the run's budget down. Both are retry classifiers, added to each
//! service client's config (`.retry_classifier(…)`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{
    ClassifyRetry, RetryAction, RetryClassifierPriority, RetryReason,
};
use aws_smithy_types::retry::ErrorKind as RetryErrorKind;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use plugin_abi::{ErrorKind, PluginError};

use crate::budget::Budget;
use crate::errors::classify;

/// Whether a run's endpoint has proved unreachable. A call that finds it so (refused, unknown
/// host, TLS, after its quick retries) marks it, and every later call of the run is refused at
/// once: that does not heal within a run, and each call would otherwise spend its own retries
/// finding out.
#[derive(Debug, Clone)]
pub struct Reachability {
    endpoint: Arc<str>,
    unreachable: Arc<OnceLock<String>>,
}

impl Reachability {
    /// `endpoint` names it in messages (`endPointURL`, or the region's).
    pub fn new(endpoint: String) -> Self {
        Reachability { endpoint: endpoint.into(), unreachable: Arc::default() }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Before a call: an error when an earlier call found the endpoint unreachable.
    pub fn check(&self, operation: &str) -> Result<(), PluginError> {
        match self.unreachable.get() {
            Some(why) => Err(PluginError::new(ErrorKind::Connection, format!("{operation} not tried: {why}"))),
            None => Ok(()),
        }
    }

    /// After a failed call: its plugin error, the endpoint marked when it cannot be reached.
    pub fn failed<E, R>(&self, operation: &str, err: &SdkError<E, R>) -> PluginError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        let e = classify(operation, err);
        if e.is(ErrorKind::Connection) && cannot_heal(err) {
            let _ = self.unreachable.set(format!("{} cannot be reached ({})", self.endpoint, e.message));
        }
        e
    }
}

/// How soon a call is tried again after a connection failure that cannot heal.
const QUICK_RETRY: Duration = Duration::from_millis(250);

/// Retries connection failures that will not heal within a run (refused, unknown host, TLS)
/// quickly: the SDK's backoff is made for throttling, and spent 37 s finding out that nothing
/// listens at an endpoint. Runs after the SDK's own classifiers, refining their verdict.
#[derive(Debug)]
pub struct UnreachableQuickly;

impl ClassifyRetry for UnreachableQuickly {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(err)) if err.as_connector_error().is_some_and(|c| cannot_heal(c)) => {
                RetryAction::retryable_error_with_explicit_delay(RetryErrorKind::TransientError, QUICK_RETRY)
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "UnreachableQuickly"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}

/// Whether an error (or one of its causes) is a connection that cannot heal within a run: a
/// refused connection, a host name that does not resolve, a TLS failure.
pub fn cannot_heal(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return true;
            }
        }
        let text = e.to_string().to_ascii_lowercase();
        if ["connection refused", "dns error", "failed to lookup address", "certificate", "invalid peer"]
            .iter()
            .any(|t| text.contains(t))
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// Tells the run's budget about every throttling answer (as the SDK's own classifiers judged
/// it), so that the whole run makes room for the account's other applications.
#[derive(Debug)]
pub struct ThrottleFeedback {
    budget: Arc<Budget>,
}

impl ThrottleFeedback {
    pub fn new(budget: Arc<Budget>) -> Self {
        ThrottleFeedback { budget }
    }
}

impl ClassifyRetry for ThrottleFeedback {
    fn classify_retry(&self, _: &InterceptorContext) -> RetryAction {
        RetryAction::NoActionIndicated
    }

    fn classify_retry_v2(&self, _: &InterceptorContext, previous: &RetryAction) -> RetryAction {
        if let RetryAction::RetryIndicated(RetryReason::RetryableError {
            kind: RetryErrorKind::ThrottlingError, ..
        }) = previous
        {
            self.budget.throttled();
        }
        RetryAction::NoActionIndicated
    }

    fn name(&self) -> &'static str {
        "ThrottleFeedback"
    }

    fn priority(&self) -> RetryClassifierPriority {
        RetryClassifierPriority::run_after(RetryClassifierPriority::transient_error_classifier())
    }
}
