//! Enhanced fan-out consumers of the account's streams (`kinesis:ListStreams`, then
//! `ListStreamConsumers` per stream): a pipeline per consumer.

use aws_sdk_kinesis::types::{Consumer, ConsumerStatus};
use futures::{StreamExt as _, TryStreamExt as _};
use plugin_abi::PluginError;
use plugin_aws::streams::StreamPages;
use plugin_sdk::pipeline::Task;

use super::{pages, rfc3339, Integration};
use crate::aws::Account;
use crate::budget::Api;
use crate::config::Kind;

/// ListStreamConsumers calls in flight. AWS limits them per stream (5 a second) and a run asks
/// each stream once, so the budget does not pace them; this (and `maxCallsPerSecond`, when set)
/// bounds them.
const CONCURRENCY: usize = 8;

pub async fn list(account: &Account) -> Result<Vec<Integration>, PluginError> {
    let per_stream: Vec<Vec<Integration>> = futures::stream::iter(streams(account).await?)
        .map(|(stream, stream_arn)| async move {
            let consumers = consumers_of(account, &stream_arn).await?;
            Ok::<_, PluginError>(consumers.iter().map(|c| integration(&account.region, &stream, c)).collect())
        })
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;
    Ok(per_stream.into_iter().flatten().collect())
}

/// The fan-out consumers of one stream, every page read.
async fn consumers_of(account: &Account, stream_arn: &str) -> Result<Vec<Consumer>, PluginError> {
    pages(
        account,
        Api::ListStreamConsumers,
        |token| account.clients.kinesis.list_stream_consumers().stream_arn(stream_arn).set_next_token(token).send(),
        |out| (out.consumers().to_vec(), out.next_token().map(str::to_string)),
    )
    .await
}

/// A consumer of `stream` as the pipeline that reads it.
fn integration(region: &str, stream: &str, c: &Consumer) -> Integration {
    let name = c.consumer_name();
    let status = c.consumer_status().as_str();
    Integration {
        kind: Kind::FanOutConsumers,
        name: format!("consumer:{stream}/{name}"),
        description: format!(
            "Enhanced fan-out consumer `{name}` of Kinesis stream `{stream}`. Status: {status}. ARN: `{}`.",
            c.consumer_arn()
        ),
        arn: c.consumer_arn().to_string(),
        active: c.consumer_status() == &ConsumerStatus::Active,
        created: rfc3339(c.consumer_creation_timestamp()),
        console_url: format!(
            "https://{region}.console.aws.amazon.com/kinesis/home?region={region}#/streams/details/{stream}/\
             enhancedFanOut"
        ),
        tasks: vec![Task {
            name: name.to_string(),
            display_name: format!("{stream} (fan-out)"),
            description: format!("Reads Kinesis stream `{stream}` through its own 2 MB/s per shard."),
            task_type: "FanOutConsumer".into(),
            downstream_tasks: Vec::new(),
        }],
        reads: vec![stream.to_string()],
        writes: Vec::new(),
    }
}

/// Every stream of the account, with its ARN (ListStreams' summaries), by name: an emulator
/// repeats every summary on every page.
async fn streams(account: &Account) -> Result<Vec<(String, String)>, PluginError> {
    let mut streams = std::collections::BTreeMap::new();
    let mut pages = StreamPages::new(account.clients.kinesis.clone(), account.metered.clone(), Api::ListStreams)
        .with_limit(super::PAGE_SIZE);
    while let Some(page) = pages.next().await {
        for (name, arn) in page?.arns {
            streams.entry(name).or_insert(arn);
        }
    }
    Ok(streams.into_iter().collect())
}
