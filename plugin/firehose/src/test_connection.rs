//! The test-connection report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission the connector needs (and the AssumeRole step when a role is configured).

use plugin_abi::PluginError;
use plugin_sdk::check::{result, Check, Checks, Step};

pub use plugin_sdk::check::TestConnectionResult;

use plugin_aws::source::AwsSettings as _;

use crate::budget::Api;
use crate::config::Settings;
use crate::firehose::Firehose;

/// The steps of a Firehose test connection.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    AssumeRole,
    GetPipelines,
    GetPipeline,
}

fn checks() -> Checks<Key> {
    let check = |name, permission, does| Check {
        name,
        permission,
        does,
        mandatory: true,
        reach: plugin_aws::reach!("Firehose"),
    };
    let mut checks = Checks::default();
    checks.push(Key::AssumeRole, plugin_aws::check::ASSUME_ROLE);
    let list = check("GetPipelines", "firehose:ListDeliveryStreams", "List the account's delivery streams");
    checks.push(Key::GetPipelines, list);
    checks
        .push(Key::GetPipeline, check("GetPipeline", "firehose:DescribeDeliveryStream", "Describe a delivery stream"));
    checks
}

/// Runs the steps in order; a step whose input an earlier step could not give is skipped.
pub async fn run(settings: &Settings) -> TestConnectionResult {
    let checks = checks();
    let mut steps: Vec<Step> = Vec::new();
    let budget = crate::budget::from_config(settings.pipeline());
    let opened = plugin_aws::check::account(settings.aws(), &checks, Key::AssumeRole, &mut steps, &Api::ALL, budget);
    let Some(account) = opened.await else {
        return result(steps);
    };
    let client = Firehose::new(account);
    let found = checks
        .get(Key::GetPipelines)
        .run(&mut steps, first_kept(&client, settings), |s| match s {
            Some(name) => format!("found delivery stream '{name}' (the first the filter keeps)"),
            None => "no delivery stream kept by the filter".into(),
        })
        .await;
    let describe = checks.get(Key::GetPipeline);
    match found {
        None => {
            steps.push(describe.skipped("the delivery streams could not be listed", Some("ConnectionNotEstablished")))
        }
        Some(None) => {
            steps.push(describe.skipped("there is no delivery stream (kept by the filter) to test with", None))
        }
        Some(Some(name)) => {
            describe
                .run(&mut steps, client.describe(&name), |d| match d {
                    Some(ds) => {
                        format!(
                            "delivery stream '{name}': {}, {} destination(s)",
                            ds.status.as_str(),
                            ds.destinations.len()
                        )
                    }
                    None => format!("delivery stream '{name}' was deleted meanwhile"),
                })
                .await;
        }
    }
    result(steps)
}

/// The first delivery stream the filter keeps, paging as far as needed.
async fn first_kept(client: &Firehose, settings: &Settings) -> Result<Option<String>, PluginError> {
    let mut after: Option<String> = None;
    loop {
        let (names, more) = client.list_page(after.as_deref()).await?;
        for name in &names {
            let keeps = settings.filter.keeps(name).map_err(|e| {
                PluginError::config(
                    format!("{}/pipelineFilterPattern", plugin_sdk::config::SOURCE_CONFIG_PATH),
                    e.message,
                )
            })?;
            if keeps {
                return Ok(Some(name.clone()));
            }
        }
        if !more || names.is_empty() {
            return Ok(None);
        }
        after = names.last().cloned();
    }
}
