//! IoT rules with a Kinesis action (`iot:ListTopicRules`, then `GetTopicRule` per rule for its
//! actions): a pipeline per rule, a task per Kinesis action (its error action included).

use plugin_abi::PluginError;
use plugin_sdk::pipeline::Task;

use super::{pages, quoted, Integration};
use crate::aws::Account;
use crate::budget::Api;
use crate::config::Kind;

/// ListTopicRules takes up to 10,000 a page; 1,000 rules are about 200 KB.
const PAGE_SIZE: i32 = 1000;

pub async fn list(account: &Account) -> Result<Vec<Integration>, PluginError> {
    let rules = pages(
        account,
        Api::ListTopicRules,
        |token| account.clients.iot.list_topic_rules().max_results(PAGE_SIZE).set_next_token(token).send(),
        |out| (out.rules().to_vec(), out.next_token().map(str::to_string)),
    )
    .await?;
    let mut integrations = Vec::new();
    for item in &rules {
        let Some(name) = item.rule_name() else { continue };
        let request = account.clients.iot.get_topic_rule().rule_name(name).send();
        let out = account.metered.call(Api::GetTopicRule, request).await?;
        let Some(rule) = out.rule() else { continue };
        let actions =
            rule.actions().iter().map(|a| (a, "action")).chain(rule.error_action().map(|a| (a, "error action")));
        let mut writes: Vec<String> = Vec::new();
        let mut tasks = Vec::new();
        for (i, (action, role)) in actions.enumerate() {
            let Some(kinesis) = action.kinesis() else { continue };
            let stream = kinesis.stream_name().to_string();
            tasks.push(Task {
                name: format!("{}-{}", role.replace(' ', "-"), i + 1),
                display_name: format!("Kinesis stream `{stream}`"),
                description: format!("Its {role} puts the messages into Kinesis stream `{stream}`."),
                task_type: "KinesisAction".into(),
                downstream_tasks: Vec::new(),
            });
            if !writes.contains(&stream) {
                writes.push(stream);
            }
        }
        if writes.is_empty() {
            continue;
        }
        let arn = out.rule_arn().or(item.rule_arn()).unwrap_or_default().to_string();
        let disabled = rule.rule_disabled().or(item.rule_disabled()).unwrap_or(false);
        let region = &account.region;
        integrations.push(Integration {
            kind: Kind::IotRules,
            name: format!("iot:{name}"),
            description: format!(
                "AWS IoT rule `{name}` (`{}`): puts messages into Kinesis stream(s) {}.{} ARN: `{arn}`.",
                rule.sql().unwrap_or_default(),
                quoted(&writes),
                if disabled { " Disabled." } else { "" }
            ),
            arn,
            active: !disabled,
            created: None,
            console_url: format!("https://{region}.console.aws.amazon.com/iot/home?region={region}#/rule/{name}"),
            tasks,
            reads: Vec::new(),
            writes,
        });
    }
    Ok(integrations)
}
