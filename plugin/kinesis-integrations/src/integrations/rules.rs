//! EventBridge rules with a Kinesis stream as a target (`events:ListEventBuses`, `ListRules`
//! per bus, `ListTargetsByRule` per rule): a pipeline per rule, a task per Kinesis target.

use aws_sdk_eventbridge::types::{Rule, RuleState, Target};
use plugin_abi::PluginError;
use plugin_sdk::pipeline::Task;

use super::{pages, quoted, Integration};
use crate::aws::Account;
use crate::budget::Api;
use crate::config::Kind;

pub async fn list(account: &Account) -> Result<Vec<Integration>, PluginError> {
    let mut integrations = Vec::new();
    for bus in &buses(account).await? {
        for rule in &rules(account, bus).await? {
            let Some(name) = rule.name() else { continue };
            let targets = targets(account, bus, name).await?;
            integrations.extend(integration(&account.region, bus, rule, &targets));
        }
    }
    Ok(integrations)
}

async fn buses(account: &Account) -> Result<Vec<String>, PluginError> {
    pages(
        account,
        Api::ListEventBuses,
        |token| account.clients.events.list_event_buses().limit(super::PAGE_SIZE).set_next_token(token).send(),
        |out| {
            let names = out.event_buses().iter().filter_map(|b| b.name().map(str::to_string)).collect();
            (names, out.next_token().map(str::to_string))
        },
    )
    .await
}

async fn rules(account: &Account, bus: &str) -> Result<Vec<Rule>, PluginError> {
    pages(
        account,
        Api::ListRules,
        |token| {
            account.clients.events.list_rules().event_bus_name(bus).limit(super::PAGE_SIZE).set_next_token(token).send()
        },
        |out| (out.rules().to_vec(), out.next_token().map(str::to_string)),
    )
    .await
}

async fn targets(account: &Account, bus: &str, rule: &str) -> Result<Vec<Target>, PluginError> {
    pages(
        account,
        Api::ListTargetsByRule,
        |token| {
            account
                .clients
                .events
                .list_targets_by_rule()
                .rule(rule)
                .limit(super::PAGE_SIZE)
                .event_bus_name(bus)
                .set_next_token(token)
                .send()
        },
        |out| (out.targets().to_vec(), out.next_token().map(str::to_string)),
    )
    .await
}

/// A rule that puts events into Kinesis streams, a task per Kinesis target; `None` for a rule
/// without one.
fn integration(region: &str, bus: &str, rule: &Rule, targets: &[Target]) -> Option<Integration> {
    let name = rule.name()?;
    let mut writes: Vec<String> = Vec::new();
    let mut tasks = Vec::new();
    for target in targets {
        let Some(stream) = plugin_aws::arn::kinesis_stream(target.arn()) else { continue };
        let key = target
            .kinesis_parameters()
            .map(|k| format!(", partition key from `{}`", k.partition_key_path()))
            .unwrap_or_default();
        tasks.push(Task {
            name: target.id().to_string(),
            display_name: format!("Kinesis stream `{stream}`"),
            description: format!("Puts matching events into Kinesis stream `{stream}`{key}."),
            task_type: "RuleTarget".into(),
            downstream_tasks: Vec::new(),
        });
        if !writes.iter().any(|w| w == stream) {
            writes.push(stream.to_string());
        }
    }
    if tasks.is_empty() {
        return None;
    }
    let matches = rule
        .event_pattern()
        .map(|p| format!("events matching `{p}`"))
        .or_else(|| rule.schedule_expression().map(|s| format!("the schedule `{s}`")))
        .unwrap_or_else(|| "its events".into());
    let state = rule.state().map_or("unknown", |s| s.as_str());
    let arn = rule.arn().unwrap_or_default().to_string();
    Some(Integration {
        kind: Kind::EventBridgeRules,
        name: format!("rule:{bus}/{name}"),
        description: format!(
            "EventBridge rule `{name}` of event bus `{bus}`: sends {matches} to Kinesis stream(s) {}. State: \
             {state}. ARN: `{arn}`.",
            quoted(&writes)
        ),
        arn,
        active: rule.state() == Some(&RuleState::Enabled),
        created: None,
        console_url: format!(
            "https://{region}.console.aws.amazon.com/events/home?region={region}#/eventbus/{bus}/rules/{name}"
        ),
        tasks,
        reads: Vec::new(),
        writes,
    })
}
