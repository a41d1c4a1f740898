//! The Kinesis API calls the plugin makes (each under the run's API budget, and counted), and
//! how their failures map to plugin errors.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_kinesis::{
    error::{ProvideErrorMetadata, SdkError},
    operation::describe_stream_summary::DescribeStreamSummaryError,
    operation::get_records::GetRecordsOutput,
    operation::list_tags_for_stream::ListTagsForStreamError,
    primitives::DateTime,
    types::StreamDescriptionSummary,
    types::{ShardFilter, ShardFilterType, ShardIteratorType},
    Client,
};
use plugin_abi::{ErrorKind, PluginError};

use plugin_aws::metered::Metered;
use plugin_aws::streams::StreamPages;

use crate::aws::Account;
use crate::budget::{Api, ShardPacer};
use crate::tags::{falls_back, TagSource, Tags};

/// A run's Kinesis: the client (and the Resource Groups Tagging API's, when tags are read),
/// and its calls metered (budget, reachability, counts).
#[derive(Clone)]
pub struct Kinesis {
    client: Client,
    tagging: Option<aws_sdk_resourcegroupstagging::Client>,
    glue: Option<aws_sdk_glue::Client>,
    metered: Metered<Api>,
}

/// What a run reads beyond the streams themselves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reads {
    /// Stream tags, through the Resource Groups Tagging API where permitted.
    pub tags: bool,
    /// Message schemas, from the Glue Schema Registry.
    pub registry: bool,
}

impl Kinesis {
    pub fn new(account: Account, reads: Reads) -> Self {
        let Account { clients, metered, .. } = account;
        Kinesis {
            client: clients.kinesis,
            tagging: reads.tags.then_some(clients.tagging),
            glue: reads.registry.then_some(clients.glue),
            metered,
        }
    }

    async fn turn(&self, api: Api) -> Result<(), PluginError> {
        self.metered.turn(api).await
    }

    fn failed<E, R>(&self, api: Api, err: &SdkError<E, R>) -> PluginError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        self.metered.failed(api, err)
    }

    /// Calls made so far, by operation.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.metered.calls()
    }

    /// A pacer for the reads of one shard (AWS limits those per shard).
    pub fn shard_pacer(&self) -> ShardPacer {
        crate::budget::shard_pacer(self.metered.budget())
    }

    /// The pages of the account's streams.
    pub fn stream_pages(&self) -> StreamPages<Api> {
        StreamPages::new(self.client.clone(), self.metered.clone(), Api::ListStreams)
    }

    /// DescribeStreamSummary; `Ok(None)` when the stream no longer exists.
    pub async fn describe_stream(&self, name: &str) -> Result<Option<StreamDescriptionSummary>, PluginError> {
        self.turn(Api::DescribeStreamSummary).await?;
        match self.client.describe_stream_summary().stream_name(name).send().await {
            Ok(out) => Ok(out.stream_description_summary),
            Err(err) => match err.as_service_error() {
                Some(DescribeStreamSummaryError::ResourceNotFoundException(_)) => Ok(None),
                _ => Err(self.failed(Api::DescribeStreamSummary, &err)),
            },
        }
    }

    /// The ids of the stream's open shards (ListShards with the AT_LATEST filter). Pages after
    /// the first carry NextToken alone: AWS rejects NextToken together with StreamName.
    pub async fn open_shards(&self, stream: &str) -> Result<Vec<String>, PluginError> {
        let filter = ShardFilter::builder()
            .r#type(ShardFilterType::AtLatest)
            .build()
            .map_err(|e| PluginError::internal(format!("ListShards filter: {e}")))?;
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = match token.take() {
                None => self.client.list_shards().stream_name(stream).shard_filter(filter.clone()),
                Some(t) => self.client.list_shards().next_token(t),
            };
            self.turn(Api::ListShards).await?;
            let page = request.send().await.map_err(|e| self.failed(Api::ListShards, &e))?;
            ids.extend(page.shards.unwrap_or_default().into_iter().map(|s| s.shard_id));
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(ids),
            }
        }
    }

    /// GetShardIterator. The caller paces it with the shard's pacer.
    pub async fn shard_iterator(
        &self,
        stream: &str,
        shard: &str,
        start: StartAt,
    ) -> Result<Option<String>, PluginError> {
        let request = self.client.get_shard_iterator().stream_name(stream).shard_id(shard);
        let request = match start {
            StartAt::TrimHorizon => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            StartAt::Latest => request.shard_iterator_type(ShardIteratorType::Latest),
            StartAt::Timestamp(t) => request.shard_iterator_type(ShardIteratorType::AtTimestamp).timestamp(t),
        };
        self.turn(Api::GetShardIterator).await?;
        request.send().await.map(|o| o.shard_iterator).map_err(|e| self.failed(Api::GetShardIterator, &e))
    }

    /// GetRecords, at most `limit` records (AWS's default and maximum: 10,000). The caller paces
    /// it with the shard's pacer; throttling answers are retried by the client's retry config.
    pub async fn records(&self, iterator: String, limit: Option<i32>) -> Result<GetRecordsOutput, PluginError> {
        self.turn(Api::GetRecords).await?;
        self.client
            .get_records()
            .shard_iterator(iterator)
            .set_limit(limit)
            .send()
            .await
            .map_err(|e| self.failed(Api::GetRecords, &e))
    }
}

impl Kinesis {
    /// Where this run reads stream tags from: the tags of every tagged stream of the account
    /// (GetResources, resource type `kinesis:stream`, 100 a page), or, when GetResources is
    /// not permitted here (see [`falls_back`]), ListTagsForStream for each stream. `probe`
    /// reads one page of one stream only, for a connection test.
    pub async fn tag_source(&self, probe: bool) -> Result<TagSource, PluginError> {
        let Some(tagging) = &self.tagging else {
            return Ok(TagSource::PerStream("the Resource Groups Tagging API is not set up".into()));
        };
        let mut streams = HashMap::new();
        let mut token: Option<String> = None;
        let mut page_number = 0u64;
        loop {
            self.turn(Api::GetResources).await?;
            let request = tagging
                .get_resources()
                .resource_type_filters("kinesis:stream")
                .resources_per_page(if probe { 1 } else { 100 })
                .set_pagination_token(token.clone());
            let page = match request.send().await {
                Ok(page) => page,
                Err(e) => {
                    let error = self.failed(Api::GetResources, &e);
                    // A 403 whose body the SDK cannot read is a refusal all the same.
                    let forbidden = e.raw_response().is_some_and(|r| r.status().as_u16() == 403);
                    if page_number == 0 && (forbidden || e.code().is_some_and(falls_back)) {
                        return Ok(TagSource::PerStream(error.message.into()));
                    }
                    let message = format!("page {}: {}", page_number + 1, error.message);
                    return Err(PluginError { message: message.into(), ..error });
                }
            };
            page_number += 1;
            for mapping in page.resource_tag_mapping_list.unwrap_or_default() {
                let Some(name) = mapping.resource_arn.as_deref().and_then(plugin_aws::arn::kinesis_stream) else {
                    continue;
                };
                let tags: Tags = mapping.tags.unwrap_or_default().into_iter().map(|t| (t.key, t.value)).collect();
                streams.insert(name.to_string(), tags);
            }
            match page.pagination_token {
                Some(next) if !next.is_empty() && !probe => {
                    if token.as_deref() == Some(next.as_str()) {
                        return Err(PluginError::new(
                            ErrorKind::Internal,
                            format!("GetResources page {page_number} cannot be followed: its PaginationToken did not advance"),
                        ));
                    }
                    token = Some(next);
                }
                _ => return Ok(TagSource::Account(streams)),
            }
        }
    }

    /// The stream's tags (ListTagsForStream, 50 a page); `Ok(None)` when the stream no
    /// longer exists.
    pub async fn stream_tags(&self, stream: &str) -> Result<Option<Tags>, PluginError> {
        let mut tags = Tags::new();
        let mut start: Option<String> = None;
        loop {
            self.turn(Api::ListTagsForStream).await?;
            let request = self
                .client
                .list_tags_for_stream()
                .stream_name(stream)
                .limit(50)
                .set_exclusive_start_tag_key(start.clone());
            let page = match request.send().await {
                Ok(page) => page,
                Err(e) => match e.as_service_error() {
                    Some(ListTagsForStreamError::ResourceNotFoundException(_)) => return Ok(None),
                    _ => return Err(self.failed(Api::ListTagsForStream, &e)),
                },
            };
            let last = page.tags.last().map(|t| t.key.clone());
            tags.extend(page.tags.into_iter().map(|t| (t.key, t.value.unwrap_or_default())));
            match last {
                Some(last) if page.has_more_tags && start.as_deref() != Some(last.as_str()) => start = Some(last),
                _ => return Ok(Some(tags)),
            }
        }
    }
}

/// Which schema version to read from the Glue Schema Registry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SchemaVersionRef {
    /// By its id (a framed record names it).
    Id(String),
    /// The latest version of a schema, by registry and schema name.
    Latest { registry: String, schema: String },
}

impl std::fmt::Display for SchemaVersionRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaVersionRef::Id(id) => write!(f, "schema version {id}"),
            SchemaVersionRef::Latest { registry, schema } => {
                write!(f, "the latest version of schema {registry}/{schema}")
            }
        }
    }
}

impl Kinesis {
    /// A schema version of the Glue Schema Registry (GetSchemaVersion): its data format, its
    /// definition and where it is; `Ok(None)` when the registry has no such version.
    pub async fn schema_version(
        &self,
        version: &SchemaVersionRef,
    ) -> Result<Option<crate::registry::SchemaVersion>, PluginError> {
        use aws_sdk_glue::operation::get_schema_version::GetSchemaVersionError;
        use aws_sdk_glue::types::{SchemaId, SchemaVersionNumber};
        let Some(glue) = &self.glue else {
            return Err(PluginError::internal("the Glue client is not set up"));
        };
        let request = match version {
            SchemaVersionRef::Id(id) => glue.get_schema_version().schema_version_id(id),
            SchemaVersionRef::Latest { registry, schema } => glue
                .get_schema_version()
                .schema_id(SchemaId::builder().registry_name(registry).schema_name(schema).build())
                .schema_version_number(SchemaVersionNumber::builder().latest_version(true).build()),
        };
        self.turn(Api::GetSchemaVersion).await?;
        let out = match request.send().await {
            Ok(out) => out,
            Err(e) => {
                return match e.as_service_error() {
                    Some(GetSchemaVersionError::EntityNotFoundException(_)) => Ok(None),
                    _ => Err(self.failed(Api::GetSchemaVersion, &e)),
                }
            }
        };
        let format = out.data_format.as_ref().map(|f| f.as_str().to_string()).unwrap_or_default();
        let format = crate::registry::Format::parse(&format).ok_or_else(|| {
            PluginError::internal(format!("{version} has a data format this plugin does not know: '{format}'"))
        })?;
        let label = match (&out.schema_arn, out.version_number) {
            (Some(arn), Some(n)) => {
                format!("{} v{n}", arn.rsplit(':').next().unwrap_or(arn).trim_start_matches("schema/"))
            }
            _ => version.to_string(),
        };
        let definition = out.schema_definition.unwrap_or_default();
        crate::registry::SchemaVersion::new(format, definition, label)
            .map(Some)
            .map_err(|why| PluginError::internal(format!("{version}: {why}")))
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
