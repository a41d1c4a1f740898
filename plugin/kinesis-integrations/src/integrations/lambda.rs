//! Lambda functions that read Kinesis streams: event source mappings
//! (`lambda:ListEventSourceMappings`, account-wide, 100 a page) whose source is a stream or one
//! of its fan-out consumers, grouped by function: a pipeline per function, a task per mapping.

use std::collections::BTreeMap;

use aws_sdk_lambda::types::EventSourceMappingConfiguration;
use plugin_abi::PluginError;
use plugin_sdk::pipeline::Task;

use super::{named, pages, quoted, Integration};
use crate::aws::Clients;
use crate::budget::Api;
use crate::config::Kind;

pub async fn list(clients: &Clients) -> Result<Vec<Integration>, PluginError> {
    let mappings = pages("ListEventSourceMappings", |marker| async move {
        clients.metered.turn(Api::ListEventSourceMappings).await?;
        let out = clients
            .lambda
            .list_event_source_mappings()
            .set_marker(marker)
            .max_items(super::PAGE_SIZE)
            .send()
            .await
            .map_err(|e| clients.metered.failed("ListEventSourceMappings", &e))?;
        Ok((out.event_source_mappings().to_vec(), out.next_marker().map(str::to_string)))
    })
    .await?;
    let mut by_function: BTreeMap<String, Vec<EventSourceMappingConfiguration>> = BTreeMap::new();
    for m in mappings {
        let source = m.event_source_arn().unwrap_or_default();
        if plugin_aws::arn::kinesis_stream(source).is_some() {
            let function = named(m.function_arn().unwrap_or_default(), "function:").to_string();
            by_function.entry(function).or_default().push(m);
        }
    }
    Ok(by_function.into_iter().map(|(function, mappings)| integration(&clients.region, &function, &mappings)).collect())
}

/// A function and the mappings through which it reads streams.
fn integration(region: &str, function: &str, mappings: &[EventSourceMappingConfiguration]) -> Integration {
    let mut reads: Vec<String> = Vec::new();
    let mut tasks = Vec::new();
    for m in mappings {
        let source = m.event_source_arn().unwrap_or_default();
        let stream = plugin_aws::arn::kinesis_stream(source).unwrap_or_default().to_string();
        let through = plugin_aws::arn::kinesis_consumer(source)
            .map(|c| format!(" through the fan-out consumer `{c}`"))
            .unwrap_or_default();
        let position = m.starting_position().map_or("?", |p| p.as_str());
        let state = m.state().unwrap_or("unknown");
        tasks.push(Task {
            name: m.uuid().unwrap_or("mapping").to_string(),
            display_name: format!("{stream} ({position}, batch {})", m.batch_size().unwrap_or(100)),
            description: format!(
                "Reads Kinesis stream `{stream}`{through}, from {position}, in batches of up to {}. State: {state}.",
                m.batch_size().unwrap_or(100)
            ),
            task_type: "EventSourceMapping".into(),
            downstream_tasks: Vec::new(),
        });
        if !reads.contains(&stream) {
            reads.push(stream);
        }
    }
    let arn = mappings.first().and_then(|m| m.function_arn()).unwrap_or_default().to_string();
    Integration {
        kind: Kind::Lambda,
        name: format!("lambda:{function}"),
        description: format!(
            "AWS Lambda function `{function}`, reading Kinesis stream(s) {}. ARN: `{arn}`.",
            quoted(&reads)
        ),
        arn,
        active: mappings.iter().any(|m| m.state() == Some("Enabled")),
        created: None,
        console_url: format!(
            "https://{region}.console.aws.amazon.com/lambda/home?region={region}#/functions/{function}"
        ),
        tasks,
        reads,
        writes: Vec::new(),
    }
}
