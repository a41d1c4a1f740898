//! An integration as OpenMetadata sees it: a CreatePipelineRequest of the Custom Pipeline
//! service, and the lineage its configuration states. A pipeline is a node of OpenMetadata's
//! lineage (topic → pipeline for what reads a stream, pipeline → topic for what writes one), as
//! OpenMetadata's own OpenLineage connector draws a job that only reads or only writes; a pipe
//! from one stream to another is an edge between the two topics with the pipe in its details,
//! as OpenMetadata's Kafka Connect connector draws a connector.

use plugin_abi::envelope::LineageEdge;
use plugin_abi::fqn;
use plugin_sdk::lineage::{self, LineageServices};
use plugin_sdk::pipeline::CreatePipelineRequest;

use crate::config::Kind;
use crate::integrations::Integration;

/// The pipeline request for an integration of the service `service_name` (unquoted).
pub fn create_pipeline_request(service_name: &str, i: &Integration) -> CreatePipelineRequest {
    CreatePipelineRequest {
        name: i.name.clone(),
        service: fqn::quote(service_name),
        description: i.description.clone(),
        source_url: i.console_url.clone(),
        start_date: i.created.clone(),
        state: if i.active { "Active" } else { "Inactive" },
        tasks: i.tasks.clone(),
    }
}

/// The lineage an integration's configuration states, each topic named by its candidate FQNs
/// in the messaging services. `warnings` says why none could be named.
pub fn lineage_edges(
    service_name: &str,
    i: &Integration,
    services: &LineageServices,
    warnings: &mut Vec<String>,
) -> Vec<LineageEdge> {
    if i.reads.is_empty() && i.writes.is_empty() {
        return Vec::new();
    }
    if services.messaging.is_empty() {
        warnings.push(format!(
            "{}: no lineage to its streams: set serviceConnection.config.messagingServiceName or \
             lineageInformation.messagingServiceNames",
            i.name
        ));
        return Vec::new();
    }
    let pipeline = lineage::pipeline(service_name, &i.name);
    let edge = |from, to, pipeline, description: String| LineageEdge {
        from,
        to,
        pipeline,
        description: Some(description),
        source: Some("PipelineLineage".into()),
    };
    let what = describe(i);
    if i.kind == Kind::Pipes && !i.reads.is_empty() && !i.writes.is_empty() {
        // Stream to stream: an edge between the topics, carried by the pipe.
        return i
            .reads
            .iter()
            .flat_map(|r| i.writes.iter().map(move |w| (r, w)))
            .filter_map(|(r, w)| {
                let (from, to) = (services.topic(r)?, services.topic(w)?);
                Some(edge(from, to, Some(pipeline.clone()), format!("Carried by {what}")))
            })
            .collect();
    }
    let reads = i
        .reads
        .iter()
        .filter_map(|s| services.topic(s).map(|topic| edge(topic, pipeline.clone(), None, format!("Read by {what}"))));
    let writes = i.writes.iter().filter_map(|s| {
        services.topic(s).map(|topic| edge(pipeline.clone(), topic, None, format!("Written by {what}")))
    });
    reads.chain(writes).collect()
}

/// `the Lambda function 'orders-handler'`, for edge descriptions.
fn describe(i: &Integration) -> String {
    let name = i.name.split_once(':').map_or(i.name.as_str(), |(_, name)| name);
    let kind = match i.kind {
        Kind::Lambda => "the Lambda function",
        Kind::Pipes => "the EventBridge Pipe",
        Kind::EventBridgeRules => "the EventBridge rule",
        Kind::IotRules => "the IoT rule",
        Kind::FanOutConsumers => "the fan-out consumer",
    };
    format!("{kind} '{name}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_sdk::pipeline::Task;

    fn integration(kind: Kind, name: &str, reads: &[&str], writes: &[&str]) -> Integration {
        Integration {
            kind,
            name: name.into(),
            arn: "arn".into(),
            description: "d".into(),
            active: true,
            created: None,
            console_url: "https://console".into(),
            tasks: vec![Task {
                name: "t".into(),
                display_name: "t".into(),
                description: "t".into(),
                task_type: "T".into(),
                downstream_tasks: Vec::new(),
            }],
            reads: reads.iter().map(|s| s.to_string()).collect(),
            writes: writes.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn services() -> LineageServices {
        LineageServices::new(Some(&"kinesis_prod".to_string()), None)
    }

    fn ends(edges: &[LineageEdge]) -> Vec<(String, String, Option<String>)> {
        edges
            .iter()
            .map(|e| {
                (
                    e.from.fqn_candidates()[0].clone(),
                    e.to.fqn_candidates()[0].clone(),
                    e.pipeline.as_ref().map(|p| p.fqn_candidates()[0].clone()),
                )
            })
            .collect()
    }

    #[test]
    fn readers_and_writers_are_nodes_and_a_stream_to_stream_pipe_carries_an_edge() {
        let mut warnings = Vec::new();
        let lambda = integration(Kind::Lambda, "lambda:handler", &["orders", "clicks.v1"], &[]);
        assert_eq!(
            ends(&lineage_edges("integrations", &lambda, &services(), &mut warnings)),
            [
                ("kinesis_prod.orders".into(), "integrations.lambda:handler".into(), None),
                ("kinesis_prod.\"clicks.v1\"".into(), "integrations.lambda:handler".into(), None)
            ]
        );
        let rule = integration(Kind::IotRules, "iot:telemetry", &[], &["telemetry"]);
        assert_eq!(
            ends(&lineage_edges("integrations", &rule, &services(), &mut warnings)),
            [("integrations.iot:telemetry".into(), "kinesis_prod.telemetry".into(), None)]
        );
        let pipe = integration(Kind::Pipes, "pipe:copy", &["orders"], &["audit"]);
        assert_eq!(
            ends(&lineage_edges("integrations", &pipe, &services(), &mut warnings)),
            [("kinesis_prod.orders".into(), "kinesis_prod.audit".into(), Some("integrations.pipe:copy".into()))]
        );
        assert!(warnings.is_empty());
        let none = lineage_edges("integrations", &pipe, &LineageServices::default(), &mut warnings);
        assert!(none.is_empty() && warnings[0].contains("messagingServiceName"), "{warnings:?}");
    }

    #[test]
    fn the_request_says_only_what_aws_states() {
        let request = create_pipeline_request("integrations", &integration(Kind::Lambda, "lambda:h", &["o"], &[]));
        let body = serde_json::to_value(&request).unwrap();
        assert_eq!(body["name"], "lambda:h");
        assert_eq!(body["service"], "integrations");
        assert_eq!(body["state"], "Active");
        assert!(body.get("startDate").is_none());
    }
}
