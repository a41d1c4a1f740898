//! EventBridge rules with a Kinesis stream as a target (`events:ListEventBuses`, `ListRules`
//! per bus, `ListTargetsByRule` per rule): a pipeline per rule, a task per Kinesis target.

use plugin_abi::PluginError;
use plugin_sdk::pipeline::Task;

use super::{pages, quoted, Integration};
use crate::aws::Clients;
use crate::budget::Api;
use crate::config::Kind;

pub async fn list(clients: &Clients) -> Result<Vec<Integration>, PluginError> {
    let buses = pages("ListEventBuses", |token| async move {
        clients.metered.turn(Api::ListEventBuses).await?;
        let out = clients
            .events
            .list_event_buses()
            .limit(super::PAGE_SIZE)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| clients.metered.failed(Api::ListEventBuses, &e))?;
        let names = out.event_buses().iter().filter_map(|b| b.name().map(str::to_string)).collect();
        Ok((names, out.next_token().map(str::to_string)))
    })
    .await?;
    let mut integrations = Vec::new();
    for bus in &buses {
        let rules = pages("ListRules", |token| async move {
            clients.metered.turn(Api::ListRules).await?;
            let out = clients
                .events
                .list_rules()
                .event_bus_name(bus)
                .limit(super::PAGE_SIZE)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| clients.metered.failed(Api::ListRules, &e))?;
            Ok((out.rules().to_vec(), out.next_token().map(str::to_string)))
        })
        .await?;
        for rule in &rules {
            let Some(name) = rule.name() else { continue };
            let targets = pages("ListTargetsByRule", |token| async move {
                clients.metered.turn(Api::ListTargetsByRule).await?;
                let out = clients
                    .events
                    .list_targets_by_rule()
                    .rule(name)
                    .limit(super::PAGE_SIZE)
                    .event_bus_name(bus)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| clients.metered.failed(Api::ListTargetsByRule, &e))?;
                Ok((out.targets().to_vec(), out.next_token().map(str::to_string)))
            })
            .await?;
            let kinesis: Vec<(String, &aws_sdk_eventbridge::types::Target)> = targets
                .iter()
                .filter_map(|t| plugin_aws::arn::kinesis_stream(t.arn()).map(|s| (s.to_string(), t)))
                .collect();
            if kinesis.is_empty() {
                continue;
            }
            let mut writes: Vec<String> = Vec::new();
            let mut tasks = Vec::new();
            for (stream, target) in &kinesis {
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
                if !writes.contains(stream) {
                    writes.push(stream.clone());
                }
            }
            let matches = rule
                .event_pattern()
                .map(|p| format!("events matching `{p}`"))
                .or_else(|| rule.schedule_expression().map(|s| format!("the schedule `{s}`")))
                .unwrap_or_else(|| "its events".into());
            let state = rule.state().map_or("unknown", |s| s.as_str());
            let arn = rule.arn().unwrap_or_default().to_string();
            let region = &clients.region;
            integrations.push(Integration {
                kind: Kind::EventBridgeRules,
                name: format!("rule:{bus}/{name}"),
                description: format!(
                    "EventBridge rule `{name}` of event bus `{bus}`: sends {matches} to Kinesis stream(s) {}. State: \
                     {state}. ARN: `{arn}`.",
                    quoted(&writes)
                ),
                arn,
                active: state == "ENABLED",
                created: None,
                console_url: format!(
                    "https://{region}.console.aws.amazon.com/events/home?region={region}#/eventbus/{bus}/rules/{name}"
                ),
                tasks,
                reads: Vec::new(),
                writes,
            });
        }
    }
    Ok(integrations)
}
