//! Lambda functions that read Kinesis streams: event source mappings
//! (`lambda:ListEventSourceMappings`, account-wide, 100 a page) whose source is a stream or one
//! of its fan-out consumers, grouped by function: a pipeline per function, a task per mapping.

use std::collections::BTreeMap;

use aws_sdk_lambda::types::EventSourceMappingConfiguration;
use plugin_abi::PluginError;
use plugin_sdk::pipeline::Task;

use super::{named, pages, quoted, Integration, Listed};
use crate::aws::Account;
use crate::budget::Api;
use crate::config::Kind;

pub async fn list(account: &Account) -> Result<Listed, PluginError> {
    let mappings = pages(
        account,
        Api::ListEventSourceMappings,
        |marker| {
            account.clients.lambda.list_event_source_mappings().set_marker(marker).max_items(super::PAGE_SIZE).send()
        },
        |out| (out.event_source_mappings().to_vec(), out.next_marker().map(str::to_string)),
    )
    .await?;
    let (by_function, warnings) = by_function(mappings);
    let integrations = by_function
        .into_iter()
        .map(|(function, mappings)| integration(&account.region, &function, &mappings))
        .collect();
    Ok(Listed { integrations, warnings })
}

/// The mappings that read a stream, by the name of their function. A mapping whose function
/// cannot be named is left out with a warning: it would be a pipeline named `lambda:`.
fn by_function(
    mappings: Vec<EventSourceMappingConfiguration>,
) -> (BTreeMap<String, Vec<EventSourceMappingConfiguration>>, Vec<String>) {
    let mut by_function: BTreeMap<String, Vec<EventSourceMappingConfiguration>> = BTreeMap::new();
    let mut warnings = Vec::new();
    for m in mappings {
        let Some(stream) = m.event_source_arn().and_then(plugin_aws::arn::kinesis_stream) else {
            continue; // not a Kinesis mapping
        };
        let function = m.function_arn().map(|arn| named(arn, "function:")).unwrap_or_default();
        if function.is_empty() {
            warnings.push(format!(
                "Lambda event source mapping `{}` reads stream `{stream}` but names no function (FunctionArn `{}`): it is left out",
                m.uuid().unwrap_or("?"),
                m.function_arn().unwrap_or("")
            ));
            continue;
        }
        by_function.entry(function.to_string()).or_default().push(m);
    }
    (by_function, warnings)
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

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders";

    fn mapping(uuid: &str, function_arn: Option<&str>) -> EventSourceMappingConfiguration {
        EventSourceMappingConfiguration::builder()
            .uuid(uuid)
            .event_source_arn(STREAM)
            .set_function_arn(function_arn.map(str::to_string))
            .build()
    }

    #[test]
    fn a_mapping_without_a_function_is_left_out_with_a_warning_that_names_it() {
        let (by_function, warnings) = by_function(vec![
            mapping("m-1", Some("arn:aws:lambda:eu-west-1:123456789012:function:handler")),
            mapping("m-2", None),
            mapping("m-3", Some("arn:aws:lambda:eu-west-1:123456789012:function:")),
        ]);
        assert_eq!(by_function.keys().collect::<Vec<_>>(), ["handler"]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("`m-2`") && warnings[0].contains("`orders`"), "{warnings:?}");
        assert!(warnings[1].contains("`m-3`"), "{warnings:?}");
    }

    #[test]
    fn a_mapping_of_another_source_is_not_a_kinesis_integration() {
        let queue = EventSourceMappingConfiguration::builder()
            .uuid("q")
            .event_source_arn("arn:aws:sqs:eu-west-1:123456789012:queue")
            .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:h")
            .build();
        let (by_function, warnings) = by_function(vec![queue]);
        assert!(by_function.is_empty() && warnings.is_empty());
    }
}
