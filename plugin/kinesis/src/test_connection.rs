//! The test-connection report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission the connector needs (and the AssumeRole step when a role is configured), each
//! saying which permission it checked and, when it failed, which one is missing.

use plugin_abi::PluginError;
use plugin_sdk::check::{result, Check, Checks, Step};

pub use plugin_sdk::check::TestConnectionResult;

use plugin_aws::source::AwsSettings as _;

use crate::budget::Api;
use crate::config::Settings;
use crate::kinesis::{Kinesis, Reads, SchemaVersionRef, StartAt};

/// The steps of a Kinesis test connection.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    AssumeRole,
    GetTopics,
    GetSchemaVersion,
    DescribeTopic,
    GetTags,
    ListShards,
    GetShardIterator,
    GetRecords,
}

/// Runs the steps in order; a step whose input an earlier step could not give is skipped.
/// Steps for what only some runs do (tags, registry schemas) are there when the
/// configuration asks for it.
pub async fn run(settings: &Settings) -> TestConnectionResult {
    let checks = checks(settings);
    let mut steps = Vec::new();
    // Credentials (and the role) first: the AssumeRole step when a role is configured.
    let budget = crate::budget::from_config(settings.pipeline());
    let opened = plugin_aws::check::account(settings.aws(), &checks, Key::AssumeRole, &mut steps, &Api::ALL, budget);
    let Some(account) = opened.await else {
        return result(steps);
    };
    let reads = Reads {
        tags: settings.pipeline().include_tags(),
        registry: !settings.pipeline().schema_registry_mapping.is_empty(),
    };
    let mut probe = Probe { checks: &checks, steps, client: Kinesis::new(account, reads) };
    if let Some(stream) = probe.streams(settings).await {
        if let Some(shard) = probe.stream(&stream, settings.pipeline().include_tags()).await {
            probe.shard(&stream, &shard).await;
        }
    }
    result(probe.steps)
}

/// The checks of a test, in order: those for what the configuration asks for are there.
fn checks(settings: &Settings) -> Checks<Key> {
    let sampling = settings.pipeline().generate_sample_data.unwrap_or(false);
    let check = |name, permission, does, mandatory| Check {
        name,
        permission,
        does,
        mandatory,
        reach: plugin_aws::reach!("Kinesis"),
    };
    let mut checks = Checks::default();
    checks.push(Key::AssumeRole, plugin_aws::check::ASSUME_ROLE);
    checks.push(Key::GetTopics, check("GetTopics", "kinesis:ListStreams", "List the account's streams", true));
    if !settings.pipeline().schema_registry_mapping.is_empty() {
        let does = "Read a schema of the Glue Schema Registry (schemaRegistryMapping)";
        checks.push(Key::GetSchemaVersion, check("GetSchemaVersion", "glue:GetSchemaVersion", does, false));
    }
    checks.push(Key::DescribeTopic, check("DescribeTopic", "kinesis:DescribeStreamSummary", "Describe a stream", true));
    if settings.pipeline().include_tags() {
        let permission = "tag:GetResources, or kinesis:ListTagsForStream";
        checks.push(Key::GetTags, check("GetTags", permission, "Read stream tags (includeTags)", true));
    }
    checks.push(Key::ListShards, check("ListShards", "kinesis:ListShards", "List a stream's open shards", sampling));
    let does = "Open a shard for reading";
    checks.push(Key::GetShardIterator, check("GetShardIterator", "kinesis:GetShardIterator", does, sampling));
    checks.push(Key::GetRecords, check("GetRecords", "kinesis:GetRecords", "Read records for sample data", sampling));
    checks
}

/// A test under way: its checks, the steps reported so far, the client.
struct Probe<'a> {
    checks: &'a Checks<Key>,
    steps: Vec<Step>,
    client: Kinesis,
}

impl<'a> Probe<'a> {
    fn check(&self, key: Key) -> &'a Check {
        self.checks.get(key)
    }

    /// Every check after `key`, skipped.
    fn skip_after(&mut self, key: Key, why: &str, reason: Option<&'static str>) {
        self.checks.skip_after(key, &mut self.steps, why, reason);
    }

    /// The streams (and the mapped registry schema, which needs none): the first stream the
    /// filter keeps, if any.
    async fn streams(&mut self, settings: &Settings) -> Option<String> {
        let stream = self
            .check(Key::GetTopics)
            .run(&mut self.steps, first_kept_stream(&self.client, settings), |s| match s {
                Some(name) => format!("found stream '{name}' (the first the filter keeps)"),
                None => "no stream kept by the filter".into(),
            })
            .await;
        let mut last = Key::GetTopics;
        if let Some(m) = settings.pipeline().schema_registry_mapping.first() {
            let version = SchemaVersionRef::Latest { registry: m.registry_name.clone(), schema: m.schema_name.clone() };
            self.check(Key::GetSchemaVersion)
                .run(&mut self.steps, mapped_schema(&self.client, &version), |v| {
                    format!("{} ({}), for stream '{}'", v.label, v.format.schema_type(), m.stream_name)
                })
                .await;
            last = Key::GetSchemaVersion;
        }
        match stream {
            None => self.skip_after(last, "the streams could not be listed", Some("ConnectionNotEstablished")),
            Some(None) => self.skip_after(last, "there is no stream (kept by the filter) to test with", None),
            Some(Some(stream)) => return Some(stream),
        }
        None
    }

    /// The stream's description, its tags, its open shards: the first open shard, if any.
    async fn stream(&mut self, stream: &str, tagging: bool) -> Option<String> {
        self.check(Key::DescribeTopic)
            .run(&mut self.steps, self.client.describe_stream(stream), |d| match d {
                Some(s) => {
                    format!("stream '{stream}': {} open shard(s), {}", s.open_shard_count, s.stream_status.as_str())
                }
                None => format!("stream '{stream}' was deleted meanwhile"),
            })
            .await;
        if tagging {
            self.check(Key::GetTags).run(&mut self.steps, tag_probe(&self.client, stream), |how| how.clone()).await;
        }
        let shard = self
            .check(Key::ListShards)
            .run(&mut self.steps, self.client.open_shards(stream), |ids| format!("{} open shard(s)", ids.len()))
            .await
            .and_then(|ids| ids.into_iter().next());
        if shard.is_none() {
            self.skip_after(Key::ListShards, "no open shard to read", None);
        }
        shard
    }

    /// A read from the shard.
    async fn shard(&mut self, stream: &str, shard: &str) {
        let it = self
            .check(Key::GetShardIterator)
            .run(&mut self.steps, self.client.shard_iterator(stream, shard, StartAt::Latest), |_| {
                format!("shard {shard}")
            })
            .await
            .flatten();
        let Some(it) = it else {
            self.skip_after(Key::GetShardIterator, "no shard iterator", None);
            return;
        };
        self.check(Key::GetRecords)
            .run(&mut self.steps, self.client.records(it, Some(1)), |_| format!("read from shard {shard}"))
            .await;
    }
}

/// The schema `schemaRegistryMapping` names, which must exist.
async fn mapped_schema(
    client: &Kinesis,
    version: &SchemaVersionRef,
) -> Result<crate::registry::SchemaVersion, PluginError> {
    client.schema_version(version).await?.ok_or_else(|| {
        PluginError::new(plugin_abi::ErrorKind::NotFound, format!("{version} is not in the Glue Schema Registry"))
    })
}

/// The first stream the topic filter keeps, paging as far as needed.
async fn first_kept_stream(client: &Kinesis, settings: &Settings) -> Result<Option<String>, PluginError> {
    let mut pages = client.stream_pages();
    while let Some(page) = pages.next().await {
        for name in page?.names {
            if settings.filter.keeps(&name).map_err(|e| {
                PluginError::config(format!("{}/topicFilterPattern", plugin_sdk::config::SOURCE_CONFIG_PATH), e.message)
            })? {
                return Ok(Some(name));
            }
        }
    }
    Ok(None)
}

/// Whether tags can be read, and how a run would read them: GetResources, or, where that is
/// not permitted, ListTagsForStream (tried on `stream`).
async fn tag_probe(client: &Kinesis, stream: &str) -> Result<String, PluginError> {
    match client.tag_source(true).await? {
        crate::tags::TagSource::Account(_) => Ok("tags are read with GetResources, 100 streams a call".into()),
        crate::tags::TagSource::PerStream(why) => {
            let tags = client.stream_tags(stream).await?;
            Ok(format!(
                "tags are read with ListTagsForStream, a call per stream ({} on stream '{stream}'), since {why}",
                tags.map_or(0, |t| t.len())
            ))
        }
    }
}
