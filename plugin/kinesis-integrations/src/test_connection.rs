//! The test-connection report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission the kinds of integration the settings read need (and the AssumeRole step when a
//! role is configured), each one call.

use std::sync::Arc;

use plugin_abi::PluginError;
use plugin_aws::source::AwsSettings as _;
use plugin_sdk::check::{result, Check, Checks, Step};

pub use plugin_sdk::check::TestConnectionResult;

use crate::aws::Account;
use crate::budget::Api;
use crate::config::{Kind, Settings};

/// What each kind's step calls.
const CHECKS: [(Option<Kind>, Check); 6] = [
    (
        None,
        Check {
            name: "AssumeRole",
            permission: "sts:AssumeRole",
            does: "Assume the configured role",
            mandatory: true,
            reach: plugin_aws::reach!("AWS"),
        },
    ),
    (
        Some(Kind::Lambda),
        Check {
            name: "ListEventSourceMappings",
            permission: "lambda:ListEventSourceMappings",
            does: "List the Lambda event source mappings",
            mandatory: true,
            reach: plugin_aws::reach!("Lambda"),
        },
    ),
    (
        Some(Kind::Pipes),
        Check {
            name: "ListPipes",
            permission: "pipes:ListPipes",
            does: "List the EventBridge Pipes",
            mandatory: true,
            reach: plugin_aws::reach!("EventBridge Pipes"),
        },
    ),
    (
        Some(Kind::EventBridgeRules),
        Check {
            name: "ListEventBuses",
            permission: "events:ListEventBuses, events:ListRules, events:ListTargetsByRule",
            does: "List the event buses, their rules and targets",
            mandatory: true,
            reach: plugin_aws::reach!("EventBridge"),
        },
    ),
    (
        Some(Kind::IotRules),
        Check {
            name: "ListTopicRules",
            permission: "iot:ListTopicRules, iot:GetTopicRule",
            does: "List the IoT rules and read their actions",
            mandatory: true,
            reach: plugin_aws::reach!("IoT"),
        },
    ),
    (
        Some(Kind::FanOutConsumers),
        Check {
            name: "ListStreamConsumers",
            permission: "kinesis:ListStreams, kinesis:ListStreamConsumers",
            does: "List the streams and their fan-out consumers",
            mandatory: true,
            reach: plugin_aws::reach!("Kinesis"),
        },
    ),
];

/// Runs the steps in order; a step whose input an earlier step could not give is skipped.
pub async fn run(settings: &Settings) -> TestConnectionResult {
    let mut checks = Checks::default();
    for (kind, check) in CHECKS {
        checks.push(kind, check);
    }
    let mut steps: Vec<Step> = Vec::new();
    // The AssumeRole check is the one of no kind.
    let Some(config) = plugin_aws::check::credentials(settings.aws(), &checks, None, &mut steps).await else {
        return result(steps);
    };
    let budget = Arc::new(crate::budget::from_config(settings.pipeline()));
    let account = Account::for_check(&config, settings.aws(), &Api::ALL, budget);
    for (kind, check) in CHECKS.iter().filter_map(|(k, c)| k.map(|k| (k, c))) {
        if !settings.pipeline().reads(kind) {
            steps.push(check.skipped(&format!("`{}` is not read (integrations)", kind.label()), None));
            continue;
        }
        check
            .run(&mut steps, first_page(&account, kind), |found: &usize| format!("{found} found on the first page"))
            .await;
    }
    result(steps)
}

/// One call of the kind's listing: how many the first page holds.
async fn first_page(account: &Account, kind: Kind) -> Result<usize, PluginError> {
    let (c, m) = (&account.clients, &account.metered);
    Ok(match kind {
        Kind::Lambda => {
            let request = c.lambda.list_event_source_mappings().max_items(10).send();
            m.call(Api::ListEventSourceMappings, request).await?.event_source_mappings().len()
        }
        Kind::Pipes => m.call(Api::ListPipes, c.pipes.list_pipes().limit(10).send()).await?.pipes().len(),
        Kind::EventBridgeRules => {
            m.call(Api::ListEventBuses, c.events.list_event_buses().send()).await?.event_buses().len()
        }
        Kind::IotRules => {
            m.call(Api::ListTopicRules, c.iot.list_topic_rules().max_results(10).send()).await?.rules().len()
        }
        Kind::FanOutConsumers => {
            let streams = m.call(Api::ListStreams, c.kinesis.list_streams().limit(1).send()).await?;
            match streams.stream_summaries().first() {
                Some(stream) => {
                    let request = c.kinesis.list_stream_consumers().stream_arn(stream.stream_arn()).send();
                    m.call(Api::ListStreamConsumers, request).await?.consumers().len()
                }
                None => 0,
            }
        }
    })
}
