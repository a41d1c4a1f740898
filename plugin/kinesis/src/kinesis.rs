//! The Kinesis API calls the plugin makes, and how their failures map to plugin errors.

use aws_sdk_kinesis::{
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::describe_stream_summary::DescribeStreamSummaryError,
    operation::get_records::GetRecordsOutput,
    primitives::DateTime,
    types::StreamDescriptionSummary,
    types::{ShardFilter, ShardFilterType, ShardIteratorType},
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
    StreamPages { client: client.clone(), next: Some(PageStart::First) }
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
pub async fn describe_stream(client: &Client, name: &str) -> Result<Option<StreamDescriptionSummary>, PluginError> {
    match client.describe_stream_summary().stream_name(name).send().await {
        Ok(out) => Ok(out.stream_description_summary),
        Err(err) => match err.as_service_error() {
            Some(DescribeStreamSummaryError::ResourceNotFoundException(_)) => Ok(None),
            _ => Err(classify("DescribeStreamSummary", &err)),
        },
    }
}

/// One ListStreams call of one stream name, as a connection check.
pub async fn list_one_stream(client: &Client) -> Result<Vec<String>, PluginError> {
    client.list_streams().limit(1).send().await.map(|o| o.stream_names).map_err(|e| classify("ListStreams", &e))
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
        "LimitExceededException" | "ProvisionedThroughputExceededException" | "ThrottlingException" => {
            ErrorKind::Throttled
        }
        "InternalFailure" | "ServiceUnavailable" => ErrorKind::Connection,
        _ => ErrorKind::Internal,
    }
}

/// The ids of the stream's open shards (ListShards with the AT_LATEST filter). Pages after the
/// first carry NextToken alone: AWS rejects NextToken together with StreamName.
pub async fn open_shards(client: &Client, stream: &str) -> Result<Vec<String>, PluginError> {
    let filter = ShardFilter::builder()
        .r#type(ShardFilterType::AtLatest)
        .build()
        .map_err(|e| PluginError::internal(format!("ListShards filter: {e}")))?;
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = match token.take() {
            None => client.list_shards().stream_name(stream).shard_filter(filter.clone()),
            Some(t) => client.list_shards().next_token(t),
        };
        let page = request.send().await.map_err(|e| classify("ListShards", &e))?;
        ids.extend(page.shards.unwrap_or_default().into_iter().map(|s| s.shard_id));
        match page.next_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(ids),
        }
    }
}

/// Where a shard iterator starts.
#[derive(Debug, Clone, Copy)]
pub enum StartAt {
    /// The oldest record the shard holds.
    TrimHorizon,
    /// Just after the newest record.
    Latest,
    /// The first record that arrived at or after this time.
    Timestamp(DateTime),
}

/// GetShardIterator.
pub async fn shard_iterator(
    client: &Client,
    stream: &str,
    shard: &str,
    start: StartAt,
) -> Result<Option<String>, PluginError> {
    let request = client.get_shard_iterator().stream_name(stream).shard_id(shard);
    let request = match start {
        StartAt::TrimHorizon => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        StartAt::Latest => request.shard_iterator_type(ShardIteratorType::Latest),
        StartAt::Timestamp(t) => request.shard_iterator_type(ShardIteratorType::AtTimestamp).timestamp(t),
    };
    request.send().await.map(|o| o.shard_iterator).map_err(|e| classify("GetShardIterator", &e))
}

/// GetRecords. (Throttling answers are retried with backoff by the client's retry config.)
/// `limit`: at most this many records (AWS's default and maximum is 10,000).
pub async fn records(client: &Client, iterator: String, limit: Option<i32>) -> Result<GetRecordsOutput, PluginError> {
    client.get_records().shard_iterator(iterator).set_limit(limit).send().await.map_err(|e| classify("GetRecords", &e))
}
