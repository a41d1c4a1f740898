//! The test-connection report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission the connector needs (and the AssumeRole step when a role is configured), each
//! saying which permission it checked and, when it failed, which one is missing.

use plugin_abi::PluginError;
use plugin_sdk::check::{result, Check, Step};

pub use plugin_sdk::check::TestConnectionResult;

use plugin_aws::source::AwsSettings as _;

use crate::config::Settings;
use crate::kinesis::{Kinesis, SchemaVersionRef, StartAt};

/// Runs the steps in order; a step whose input an earlier step could not give is skipped.
/// Steps for what only some runs do (tags, registry schemas) are there when the
/// configuration asks for it.
pub async fn run(settings: &Settings) -> TestConnectionResult {
    let sampling = settings.pipeline().generate_sample_data.unwrap_or(false);
    let tagging = settings.pipeline().include_tags();
    let mapped = settings.pipeline().schema_registry_mapping.first();
    let check = |name, permission, does, mandatory| Check { name, permission, does, mandatory, service: "Kinesis" };
    let mut checks = vec![
        check("AssumeRole", "sts:AssumeRole", "Assume the configured role", true),
        check("GetTopics", "kinesis:ListStreams", "List the account's streams", true),
    ];
    if mapped.is_some() {
        checks.push(check(
            "GetSchemaVersion",
            "glue:GetSchemaVersion",
            "Read a schema of the Glue Schema Registry (schemaRegistryMapping)",
            false,
        ));
    }
    checks.push(check("DescribeTopic", "kinesis:DescribeStreamSummary", "Describe a stream", true));
    if tagging {
        checks.push(check(
            "GetTags",
            "tag:GetResources, or kinesis:ListTagsForStream",
            "Read stream tags (includeTags)",
            true,
        ));
    }
    checks.extend([
        check("ListShards", "kinesis:ListShards", "List a stream's open shards", sampling),
        check("GetShardIterator", "kinesis:GetShardIterator", "Open a shard for reading", sampling),
        check("GetRecords", "kinesis:GetRecords", "Read records for sample data", sampling),
    ]);
    let by_name = |name: &str| checks.iter().find(|c| c.name == name).expect("a check of this test");
    let mut steps = Vec::new();
    // Every check after `name`, skipped.
    let skip_after = |steps: &mut Vec<Step>, name: &str, why: &str, reason: Option<&'static str>| {
        let from = checks.iter().position(|c| c.name == name).map_or(checks.len(), |i| i + 1);
        for c in &checks[from..] {
            steps.push(c.skipped(why, reason));
        }
    };

    // Credentials (and the role) first: the AssumeRole step when a role is configured.
    let Some(config) = plugin_aws::check::credentials(settings.aws(), &checks, &mut steps).await else {
        return result(steps);
    };
    let mut client = Kinesis::new(
        crate::aws::kinesis_client(&config, settings.aws(), crate::aws::Retries::Check),
        std::sync::Arc::new(crate::budget::from_config(settings.pipeline())),
        crate::aws::endpoint_name(settings.aws()),
    );
    if tagging {
        client = client.with_tagging(crate::aws::tagging_client(&config, settings.aws(), crate::aws::Retries::Check));
    }
    if mapped.is_some() {
        client = client.with_glue(crate::aws::glue_client(&config, settings.aws(), crate::aws::Retries::Check));
    }

    let stream = by_name("GetTopics")
        .run(&mut steps, first_kept_stream(&client, settings), |s| match s {
            Some(name) => format!("found stream '{name}' (the first the filter keeps)"),
            None => "no stream kept by the filter".into(),
        })
        .await;
    // The registry needs no stream: it is read either way.
    let mut last = "GetTopics";
    if let Some(m) = mapped {
        let version = SchemaVersionRef::Latest { registry: m.registry_name.clone(), schema: m.schema_name.clone() };
        by_name("GetSchemaVersion")
            .run(&mut steps, mapped_schema(&client, &version), |v| {
                format!("{} ({}), for stream '{}'", v.label, v.format.schema_type(), m.stream_name)
            })
            .await;
        last = "GetSchemaVersion";
    }
    let Some(stream) = stream else {
        skip_after(&mut steps, last, "the streams could not be listed", Some("ConnectionNotEstablished"));
        return result(steps);
    };
    let Some(stream) = stream else {
        skip_after(&mut steps, last, "there is no stream (kept by the filter) to test with", None);
        return result(steps);
    };
    by_name("DescribeTopic")
        .run(&mut steps, client.describe_stream(&stream), |d| match d {
            Some(s) => format!("stream '{stream}': {} open shard(s), {}", s.open_shard_count, s.stream_status.as_str()),
            None => format!("stream '{stream}' was deleted meanwhile"),
        })
        .await;
    if tagging {
        by_name("GetTags").run(&mut steps, tag_probe(&client, &stream), |how| how.clone()).await;
    }
    let shard = by_name("ListShards")
        .run(&mut steps, client.open_shards(&stream), |ids| format!("{} open shard(s)", ids.len()))
        .await
        .and_then(|ids| ids.into_iter().next());
    let Some(shard) = shard else {
        skip_after(&mut steps, "ListShards", "no open shard to read", None);
        return result(steps);
    };
    let it = by_name("GetShardIterator")
        .run(&mut steps, client.shard_iterator(&stream, &shard, StartAt::Latest), |_| format!("shard {shard}"))
        .await
        .flatten();
    let Some(it) = it else {
        skip_after(&mut steps, "GetShardIterator", "no shard iterator", None);
        return result(steps);
    };
    by_name("GetRecords").run(&mut steps, client.records(it, Some(1)), |_| format!("read from shard {shard}")).await;
    result(steps)
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
        for name in page? {
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
