//! The test-connection report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission the kinds of integration the settings read need (and the AssumeRole step when a
//! role is configured), each one call.

use plugin_abi::PluginError;
use plugin_aws::source::AwsSettings as _;
use plugin_sdk::check::{result, Check, Checks, Step};

pub use plugin_sdk::check::TestConnectionResult;

use crate::aws::Account;
use crate::budget::Api;
use crate::config::{Kind, Settings};

/// The steps of an integrations test connection: a listing of each kind.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    AssumeRole,
    List(Kind),
}

/// The checks of a test, in order: a step for every kind, skipped when it is not read.
fn checks() -> Checks<Key> {
    let list = |name, permission, does, reach| Check { name, permission, does, mandatory: true, reach };
    let mut checks = Checks::default();
    checks.push(Key::AssumeRole, plugin_aws::check::ASSUME_ROLE);
    for kind in Kind::ALL {
        let check = match kind {
            Kind::Lambda => list(
                "ListEventSourceMappings",
                "lambda:ListEventSourceMappings",
                "List the Lambda event source mappings",
                plugin_aws::reach!("Lambda"),
            ),
            Kind::Pipes => list(
                "ListPipes",
                "pipes:ListPipes",
                "List the EventBridge Pipes",
                plugin_aws::reach!("EventBridge Pipes"),
            ),
            Kind::EventBridgeRules => list(
                "ListEventBuses",
                "events:ListEventBuses, events:ListRules, events:ListTargetsByRule",
                "List the event buses, their rules and targets",
                plugin_aws::reach!("EventBridge"),
            ),
            Kind::IotRules => list(
                "ListTopicRules",
                "iot:ListTopicRules, iot:GetTopicRule",
                "List the IoT rules and read their actions",
                plugin_aws::reach!("IoT"),
            ),
            Kind::FanOutConsumers => list(
                "ListStreamConsumers",
                "kinesis:ListStreams, kinesis:ListStreamConsumers",
                "List the streams and their fan-out consumers",
                plugin_aws::reach!("Kinesis"),
            ),
        };
        checks.push(Key::List(kind), check);
    }
    checks
}

/// Runs the steps in order; a step whose input an earlier step could not give is skipped.
pub async fn run(settings: &Settings) -> TestConnectionResult {
    let checks = checks();
    let mut steps: Vec<Step> = Vec::new();
    let budget = crate::budget::from_config(settings.pipeline());
    let opened = plugin_aws::check::account(settings.aws(), &checks, Key::AssumeRole, &mut steps, &Api::ALL, budget);
    let Some(account): Option<Account> = opened.await else {
        return result(steps);
    };
    for kind in Kind::ALL {
        let check = checks.get(Key::List(kind));
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
