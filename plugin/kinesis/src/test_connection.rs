//! The test-connection report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission the connector needs (and the AssumeRole step when a role is configured), each
//! saying which permission it checked and, when it failed, which one is missing.

use plugin_abi::PluginError;
use plugin_aws::check::{result, Check, Step};

pub use plugin_aws::check::TestConnectionResult;

use crate::config::Settings;
use crate::kinesis::{Kinesis, StartAt};

/// Runs the steps in order; a step whose input an earlier step could not give is skipped.
pub async fn run(settings: &Settings) -> TestConnectionResult {
    let sampling = settings.pipeline().generate_sample_data.unwrap_or(false);
    let tagging = settings.include_tags();
    let checks = [
        Check {
            name: "AssumeRole",
            permission: "sts:AssumeRole",
            does: "Assume the configured role",
            mandatory: true,
            service: "Kinesis",
        },
        Check {
            name: "GetTopics",
            permission: "kinesis:ListStreams",
            does: "List the account's streams",
            mandatory: true,
            service: "Kinesis",
        },
        Check {
            name: "DescribeTopic",
            permission: "kinesis:DescribeStreamSummary",
            does: "Describe a stream",
            mandatory: true,
            service: "Kinesis",
        },
        Check {
            name: "GetTags",
            permission: "tag:GetResources, or kinesis:ListTagsForStream",
            does: "Read stream tags (includeTags)",
            mandatory: tagging,
            service: "Kinesis",
        },
        Check {
            name: "ListShards",
            permission: "kinesis:ListShards",
            does: "List a stream's open shards",
            mandatory: sampling,
            service: "Kinesis",
        },
        Check {
            name: "GetShardIterator",
            permission: "kinesis:GetShardIterator",
            does: "Open a shard for reading",
            mandatory: sampling,
            service: "Kinesis",
        },
        Check {
            name: "GetRecords",
            permission: "kinesis:GetRecords",
            does: "Read records for sample data",
            mandatory: sampling,
            service: "Kinesis",
        },
    ];
    let [_, list, describe, tags, shards, iterator, records] = &checks;
    let after_listing: Vec<&Check> =
        [describe, tags, shards, iterator, records].into_iter().filter(|c| tagging || c.name != "GetTags").collect();
    let mut steps = Vec::new();
    let skip_rest = |steps: &mut Vec<Step>, from: &[&Check], why: &str, reason: Option<&'static str>| {
        for c in from {
            steps.push(c.skipped(why, reason));
        }
    };

    // Credentials (and the role) first: the AssumeRole step when a role is configured.
    let Some(config) = plugin_aws::check::credentials(settings.aws(), &checks, &mut steps).await else {
        return result(steps);
    };
    let client = Kinesis::new(
        crate::aws::kinesis_client(&config, settings.aws(), crate::aws::Retries::Check),
        std::sync::Arc::new(crate::budget::from_config(settings.pipeline())),
        crate::aws::endpoint_name(settings.aws()),
    )
    .with_tagging(crate::aws::tagging_client(&config, settings.aws(), crate::aws::Retries::Check));

    let stream = list
        .run(&mut steps, first_kept_stream(&client, settings), |s| match s {
            Some(name) => format!("found stream '{name}' (the first the filter keeps)"),
            None => "no stream kept by the filter".into(),
        })
        .await;
    let Some(stream) = stream else {
        skip_rest(&mut steps, &after_listing, "the streams could not be listed", Some("ConnectionNotEstablished"));
        return result(steps);
    };
    let Some(stream) = stream else {
        skip_rest(&mut steps, &after_listing, "there is no stream (kept by the filter) to test with", None);
        return result(steps);
    };
    describe
        .run(&mut steps, client.describe_stream(&stream), |d| match d {
            Some(s) => format!("stream '{stream}': {} open shard(s), {}", s.open_shard_count, s.stream_status.as_str()),
            None => format!("stream '{stream}' was deleted meanwhile"),
        })
        .await;
    // Only a run with includeTags reads tags: the step is there only then.
    if tagging {
        tags.run(&mut steps, tag_probe(&client, &stream), |how| how.clone()).await;
    }
    let shard = shards
        .run(&mut steps, client.open_shards(&stream), |ids| format!("{} open shard(s)", ids.len()))
        .await
        .and_then(|ids| ids.into_iter().next());
    let Some(shard) = shard else {
        skip_rest(&mut steps, &[iterator, records], "no open shard to read", None);
        return result(steps);
    };
    let it = iterator
        .run(&mut steps, client.shard_iterator(&stream, &shard, StartAt::Latest), |_| format!("shard {shard}"))
        .await
        .flatten();
    let Some(it) = it else {
        skip_rest(&mut steps, &[records], "no shard iterator", None);
        return result(steps);
    };
    records.run(&mut steps, client.records(it, Some(1)), |_| format!("read from shard {shard}")).await;
    result(steps)
}

/// The first stream the topic filter keeps, paging as far as needed.
async fn first_kept_stream(client: &Kinesis, settings: &Settings) -> Result<Option<String>, PluginError> {
    let mut pages = client.stream_pages();
    while let Some(page) = pages.next().await {
        for name in page? {
            if settings.filter.keeps(&name).map_err(|e| {
                PluginError::config(format!("{}/topicFilterPattern", crate::config::SOURCE_CONFIG_PATH), e.message)
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
