//! AWS SDK failures as plugin errors: the kind a host decides by, the AWS error code and
//! message, or the cause chain of a failure that never reached AWS.

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use plugin_abi::{ErrorKind, PluginError};

/// Maps an SDK failure to a plugin error kind, with the AWS error code and message.
pub fn classify<E, R>(operation: &str, err: &SdkError<E, R>) -> PluginError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let kind = match err {
        _ if caused_by_credentials(err) => ErrorKind::Auth,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ErrorKind::Connection,
        SdkError::ServiceError(_) => kind_of_code(err.code().unwrap_or_default()),
        _ => ErrorKind::Internal,
    };
    let detail = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => error_chain(err),
    };
    PluginError::new(kind, format!("{operation} failed: {detail}"))
}

/// Whether the credentials provider's error is among the causes: the call never reached AWS
/// because no credentials could be had (none configured, an expired SSO session, a role that
/// cannot be assumed).
fn caused_by_credentials(err: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(err), |e| e.source()).any(|e| e.is::<CredentialsError>())
}

/// An error and its causes, `: `-joined, without the Debug dumps of DisplayErrorContext.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

fn kind_of_code(code: &str) -> ErrorKind {
    match code {
        "ResourceNotFoundException" => ErrorKind::NotFound,
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "ExpiredTokenException"
        | "InvalidClientTokenId"
        | "KMSAccessDeniedException" => ErrorKind::Auth,
        "LimitExceededException" | "ProvisionedThroughputExceededException" | "ThrottlingException" => {
            ErrorKind::Throttled
        }
        "InternalFailure" | "ServiceUnavailable" => ErrorKind::Connection,
        _ => ErrorKind::Internal,
    }
}

#[cfg(test)]
mod tests {
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    #[test]
    fn a_call_without_credentials_is_an_auth_error_by_its_type() {
        let err: SdkError<ErrorMetadata, ()> =
            SdkError::construction_failure(CredentialsError::not_loaded("no profile named `prod`"));
        assert_eq!(classify("ListStreams", &err).kind(), Some(ErrorKind::Auth));
        let err: SdkError<ErrorMetadata, ()> = SdkError::timeout_error("the connection timed out");
        assert_eq!(classify("ListStreams", &err).kind(), Some(ErrorKind::Connection));
        let denied = ErrorMetadata::builder().code("AccessDeniedException").message("no").build();
        let err: SdkError<ErrorMetadata, ()> = SdkError::service_error(denied, ());
        let classified = classify("ListStreams", &err);
        assert_eq!(classified.kind(), Some(ErrorKind::Auth));
        assert_eq!(classified.message, "ListStreams failed: AccessDeniedException: no");
    }
}
