//! EventBridge Pipes with a Kinesis stream as source or target (`pipes:ListPipes`: the summary
//! carries both): a pipeline per pipe, with a task for its source and one for its target.

use aws_sdk_pipes::types::PipeState;
use plugin_abi::PluginError;
use plugin_sdk::pipeline::Task;

use super::{named, pages, rfc3339, Integration};
use crate::aws::Account;
use crate::budget::Api;
use crate::config::Kind;

pub async fn list(account: &Account) -> Result<Vec<Integration>, PluginError> {
    let pipes = pages(
        account,
        Api::ListPipes,
        |token| account.clients.pipes.list_pipes().limit(super::PAGE_SIZE).set_next_token(token).send(),
        |out| (out.pipes().to_vec(), out.next_token().map(str::to_string)),
    )
    .await?;
    let region = &account.region;
    Ok(pipes
        .iter()
        .filter_map(|p| {
            let (source, target) = (p.source().unwrap_or_default(), p.target().unwrap_or_default());
            let reads: Vec<String> = plugin_aws::arn::kinesis_stream(source).map(str::to_string).into_iter().collect();
            let writes: Vec<String> = plugin_aws::arn::kinesis_stream(target).map(str::to_string).into_iter().collect();
            if reads.is_empty() && writes.is_empty() {
                return None;
            }
            let name = p.name().unwrap_or_default();
            let state = p.current_state().map_or("unknown", |s| s.as_str());
            let end = |arn: &str| match plugin_aws::arn::kinesis_stream(arn) {
                Some(stream) => format!("Kinesis stream `{stream}`"),
                None => format!("`{arn}`"),
            };
            let tasks = vec![
                Task {
                    name: "source".into(),
                    display_name: end(source),
                    description: format!("Reads {} (`{source}`).", end(source)),
                    task_type: "PipeSource".into(),
                    downstream_tasks: vec!["target".into()],
                },
                Task {
                    name: "target".into(),
                    display_name: end(target),
                    description: format!("Delivers to {} (`{target}`).", end(target)),
                    task_type: "PipeTarget".into(),
                    downstream_tasks: Vec::new(),
                },
            ];
            let arn = p.arn().unwrap_or_default().to_string();
            Some(Integration {
                kind: Kind::Pipes,
                name: format!("pipe:{name}"),
                description: format!(
                    "EventBridge Pipe `{name}` from {} to {}. State: {state}. ARN: `{arn}`.",
                    end(source),
                    end(target)
                ),
                arn: arn.clone(),
                active: p.current_state() == Some(&PipeState::Running),
                created: p.creation_time().and_then(rfc3339),
                console_url: format!(
                    "https://{region}.console.aws.amazon.com/events/home?region={region}#/pipes/{}",
                    named(&arn, "pipe/")
                ),
                tasks,
                reads,
                writes,
            })
        })
        .collect())
}
