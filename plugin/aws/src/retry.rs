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
/// refused connection, a TLS failure (a certificate refused, a peer that does not speak TLS), a
/// host name that does not resolve.
pub fn cannot_heal(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err).any(|e| {
        e.is::<rustls::Error>()
            || e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
            // A name that does not resolve is the one failure without a type to match:
            // hyper-util's resolver reports it as its private `ConnectError` ("dns error") over
            // an uncategorised `io::Error` from getaddrinfo.
            || e.to_string() == "dns error"
    })
}

/// An error and its causes, each `io::Error`'s payload included (an I/O error's own `source`
/// skips it, and the TLS layer nests its error two I/O errors deep).
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
        Some(payload) => Some(payload as &(dyn std::error::Error + 'static)),
        None => e.source(),
    })
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

#[cfg(test)]
mod tests {
    use std::io;

    use super::cannot_heal;

    /// An error with a cause, as the connector's errors wrap theirs.
    #[derive(Debug)]
    struct Wrapped(&'static str, Box<dyn std::error::Error + Send + Sync>);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(self.1.as_ref())
        }
    }

    fn connector(cause: impl std::error::Error + Send + Sync + 'static) -> Wrapped {
        Wrapped("client error (Connect)", Box::new(cause))
    }

    #[test]
    fn refused_connections_tls_failures_and_unknown_hosts_cannot_heal() {
        let refused = connector(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert!(cannot_heal(&refused));
        let certificate = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        assert!(cannot_heal(&connector(io::Error::new(io::ErrorKind::InvalidData, certificate))));
        // As hyper-rustls hands it on: two I/O errors deep.
        let nested = io::Error::other(io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError));
        assert!(cannot_heal(&connector(nested)));
        let not_tls = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert!(cannot_heal(&connector(not_tls)));
        let unknown_host = Wrapped("dns error", Box::new(io::Error::other("failed to lookup address information")));
        assert!(cannot_heal(&connector(unknown_host)));
    }

    #[test]
    fn timeouts_resets_and_other_failures_may_heal() {
        for kind in [io::ErrorKind::TimedOut, io::ErrorKind::ConnectionReset, io::ErrorKind::BrokenPipe] {
            assert!(!cannot_heal(&connector(io::Error::from(kind))), "{kind:?}");
        }
        // The words alone are not enough: a message that mentions a certificate is not a TLS failure.
        assert!(!cannot_heal(&connector(io::Error::other("certificate rotation in progress; connection refused"))));
    }
}
