//! AWS SDK failures as plugin errors: the kind a host decides by, the AWS error code and
//! message, or the cause chain of a failure that never reached AWS.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use plugin_abi::{ErrorKind, PluginError};

/// Maps an SDK failure to a plugin error kind, with the AWS error code and message.
pub fn classify<E, R>(operation: &str, err: &SdkError<E, R>) -> PluginError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let kind = match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            if DisplayErrorContext(err).to_string().contains("credential") {
                ErrorKind::Auth
            } else {
                ErrorKind::Connection
            }
        }
        SdkError::ServiceError(_) => kind_of_code(err.code().unwrap_or_default()),
        SdkError::ResponseError(_) => ErrorKind::Connection,
        _ => {
            if DisplayErrorContext(err).to_string().contains("credential") {
                ErrorKind::Auth
            } else {
                ErrorKind::Internal
            }
        }
    };
    let detail = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => error_chain(err),
    };
    PluginError::new(kind, format!("{operation} failed: {detail}"))
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
