//! The Kinesis API calls the plugin makes, and how their failures map to plugin errors.

use aws_sdk_kinesis::{
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::describe_stream_summary::DescribeStreamSummaryError,
    types::StreamDescriptionSummary,
    Client,
};
use plugin_abi::{ErrorKind, PluginError};

/// One page of stream names at a time (an account may hold thousands).
///
/// Written out rather than the SDK's `into_paginator()`, which follows `NextToken` only: AWS
/// sends `NextToken`, but older endpoints and emulators (kinesis-local) answer with
/// `HasMoreStreams` alone, and expect `ExclusiveStartStreamName`. Both are followed here, so a
/// listing is never cut short at the first page.
pub struct StreamPages {
    client: Client,
    next: Option<PageStart>,
}

enum PageStart {
    First,
    Token(String),
    After(String),
}

pub fn list_stream_pages(client: &Client) -> StreamPages {
    StreamPages {
        client: client.clone(),
        next: Some(PageStart::First),
    }
}

impl StreamPages {
    /// The next page of names; `None` when the listing is done. After an error, `None`.
    pub async fn next(&mut self) -> Option<Result<Vec<String>, PluginError>> {
        let request = match self.next.take()? {
            PageStart::First => self.client.list_streams(),
            PageStart::Token(token) => self.client.list_streams().next_token(token),
            PageStart::After(name) => self.client.list_streams().exclusive_start_stream_name(name),
        };
        let page = match request.send().await {
            Ok(page) => page,
            Err(e) => return Some(Err(classify("ListStreams", &e))),
        };
        self.next = match (page.next_token, page.stream_names.last()) {
            (Some(token), _) if !token.is_empty() => Some(PageStart::Token(token)),
            (_, Some(last)) if page.has_more_streams => Some(PageStart::After(last.clone())),
            _ => None,
        };
        Some(Ok(page.stream_names))
    }
}

/// DescribeStreamSummary; `Ok(None)` when the stream no longer exists.
pub async fn describe_stream(
    client: &Client,
    name: &str,
) -> Result<Option<StreamDescriptionSummary>, PluginError> {
    match client
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.stream_description_summary),
        Err(err) => match err.as_service_error() {
            Some(DescribeStreamSummaryError::ResourceNotFoundException(_)) => Ok(None),
            _ => Err(classify("DescribeStreamSummary", &err)),
        },
    }
}

/// One ListStreams call of one stream name, as a connection check.
pub async fn list_one_stream(client: &Client) -> Result<Vec<String>, PluginError> {
    client
        .list_streams()
        .limit(1)
        .send()
        .await
        .map(|o| o.stream_names)
        .map_err(|e| classify("ListStreams", &e))
}

/// Maps an SDK failure to a plugin error kind, with the AWS error code and message.
pub fn classify<E, R>(operation: &str, err: &SdkError<E, R>) -> PluginError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
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
        _ => DisplayErrorContext(err).to_string(),
    };
    PluginError::new(kind, format!("{operation} failed: {detail}"))
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
        "LimitExceededException"
        | "ProvisionedThroughputExceededException"
        | "ThrottlingException" => ErrorKind::Throttled,
        "InternalFailure" | "ServiceUnavailable" => ErrorKind::Connection,
        _ => ErrorKind::Internal,
    }
}
