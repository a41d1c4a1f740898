//! A described delivery stream as OpenMetadata sees it: a CreatePipelineRequest
//! (`contract/createPipeline.json`) with a task for its source and one per destination, and the
//! lineage edges from its source topic to each destination's container or table, with the
//! delivery stream as the pipeline that carries the data.

use aws_sdk_firehose::types::DeliveryStreamStatus;
use plugin_abi::envelope::{EntityRef, LineageEdge};
use plugin_abi::fqn;
pub use plugin_sdk::lineage::LineageServices;
pub use plugin_sdk::pipeline::{CreatePipelineRequest, Task};

use crate::firehose::{DeliveryStream, Destination, Source, Target};

/// The console page of a delivery stream.
pub fn console_url(region: &str, name: &str) -> String {
    format!("https://{region}.console.aws.amazon.com/firehose/home?region={region}#/details/{name}/monitoring")
}

/// The pipeline request for a delivery stream of the service `service_name` (unquoted).
pub fn create_pipeline_request(service_name: &str, region: &str, ds: &DeliveryStream) -> CreatePipelineRequest {
    let source_task = Task {
        name: "source".into(),
        display_name: source_label(&ds.source),
        description: source_detail(&ds.source),
        task_type: ds.stream_type.clone(),
        downstream_tasks: ds.destinations.iter().map(|d| d.id.clone()).collect(),
    };
    let mut tasks = vec![source_task];
    tasks.extend(ds.destinations.iter().map(|d| Task {
        name: d.id.clone(),
        display_name: target_label(&d.target),
        description: target_detail(&d.target),
        task_type: target_kind(&d.target).into(),
        downstream_tasks: Vec::new(),
    }));
    let destinations: Vec<String> = ds.destinations.iter().map(|d| target_label(&d.target)).collect();
    let description = format!(
        "Amazon Data Firehose delivery stream from {} to {}. Status: {}. ARN: `{}`.",
        source_label(&ds.source),
        if destinations.is_empty() { "no destination".to_string() } else { destinations.join(", ") },
        ds.status.as_str(),
        ds.arn
    );
    CreatePipelineRequest {
        name: ds.name.clone(),
        service: fqn::quote(service_name),
        description,
        source_url: console_url(region, &ds.name),
        start_date: ds.created.clone(),
        state: if ds.status == DeliveryStreamStatus::Active { "Active" } else { "Inactive" },
        tasks,
    }
}

/// The lineage edges of a delivery stream: its source topic to each destination that is an
/// entity (an S3 bucket's container, a Redshift or Snowflake table), each end named by its
/// candidate FQNs in the configured services. A DirectPut stream has none. `warnings` says why
/// an edge could not be named (no service configured to look an end up in).
pub fn lineage_edges(
    service_name: &str,
    ds: &DeliveryStream,
    services: &LineageServices,
    warnings: &mut Vec<String>,
) -> Vec<LineageEdge> {
    let topic = match &ds.source {
        Source::KinesisStream { stream, .. } => stream,
        Source::Msk { topic, .. } => topic,
        Source::DirectPut | Source::Other { .. } => return Vec::new(),
    };
    if services.messaging.is_empty() {
        warnings.push(format!(
            "delivery stream '{}': no lineage from topic '{topic}': set serviceConnection.config.messagingServiceName \
             or lineageInformation.messagingServiceNames",
            ds.name
        ));
        return Vec::new();
    }
    let Some(from) = services.topic(topic) else { return Vec::new() };
    let pipeline = plugin_sdk::lineage::pipeline(service_name, &ds.name);
    ds.destinations
        .iter()
        .filter_map(|d| {
            let to = destination_ref(ds, d, services, warnings)?;
            Some(LineageEdge {
                from: from.clone(),
                to,
                pipeline: Some(pipeline.clone()),
                description: Some(format!("Delivered by the Firehose delivery stream '{}'", ds.name)),
                source: Some("PipelineLineage".into()),
            })
        })
        .collect()
}

/// The entity a destination delivers into, when it is one and a service to find it in is set.
fn destination_ref(
    ds: &DeliveryStream,
    d: &Destination,
    services: &LineageServices,
    warnings: &mut Vec<String>,
) -> Option<EntityRef> {
    let (end, option) = match &d.target {
        Target::S3 { bucket, .. } => (services.container(bucket), "storageServiceNames"),
        Target::Redshift { database, schema, table, .. } => {
            let database = database.as_deref().unwrap_or_default();
            if let Some(part) = unnamed(database, schema, table) {
                warnings.push(format!(
                    "delivery stream '{}': no lineage to its Redshift table: it names no {part}",
                    ds.name
                ));
                return None;
            }
            (services.table(database, schema, table), "dbServiceNames")
        }
        Target::Snowflake { database, schema, table } => {
            if let Some(part) = unnamed(database, schema, table) {
                warnings.push(format!(
                    "delivery stream '{}': no lineage to its Snowflake table: it names no {part}",
                    ds.name
                ));
                return None;
            }
            (services.table(database, schema, table), "dbServiceNames")
        }
        _ => return None,
    };
    if end.is_none() {
        warnings.push(format!(
            "delivery stream '{}': no lineage to {}: set lineageInformation.{option}",
            ds.name,
            target_label(&d.target)
        ));
    }
    end
}

/// The first part of a table's name that a destination leaves empty: an FQN candidate such as
/// `service..orders` would name nothing.
fn unnamed(database: &str, schema: &str, table: &str) -> Option<&'static str> {
    [("database", database), ("schema", schema), ("table", table)]
        .into_iter()
        .find(|(_, name)| name.is_empty())
        .map(|(part, _)| part)
}

fn source_label(source: &Source) -> String {
    match source {
        Source::DirectPut => "Direct PUT".into(),
        Source::KinesisStream { stream, .. } => format!("Kinesis stream `{stream}`"),
        Source::Msk { topic, .. } => format!("MSK topic `{topic}`"),
        Source::Other { kind } => format!("a {kind} source"),
    }
}

fn source_detail(source: &Source) -> String {
    match source {
        Source::DirectPut => "Producers write records to the delivery stream directly.".into(),
        Source::KinesisStream { arn, .. } => format!("Reads the Kinesis data stream `{arn}`."),
        Source::Msk { topic, cluster_arn } => format!("Reads topic `{topic}` of the MSK cluster `{cluster_arn}`."),
        Source::Other { kind } => format!("Source type {kind}."),
    }
}

fn target_kind(target: &Target) -> &'static str {
    match target {
        Target::S3 { .. } => "S3",
        Target::Redshift { .. } => "Redshift",
        Target::Snowflake { .. } => "Snowflake",
        Target::Other { kind } => kind,
    }
}

fn target_label(target: &Target) -> String {
    match target {
        Target::S3 { bucket, .. } => format!("S3 bucket `{bucket}`"),
        Target::Redshift { database, schema, table, .. } => {
            format!("Redshift table `{}.{schema}.{table}`", database.as_deref().unwrap_or("?"))
        }
        Target::Snowflake { database, schema, table } => format!("Snowflake table `{database}.{schema}.{table}`"),
        Target::Other { kind } => (*kind).to_string(),
    }
}

fn target_detail(target: &Target) -> String {
    match target {
        Target::S3 { bucket, prefix, compression } => format!(
            "Delivers to `s3://{bucket}/{}` (compression {compression}).",
            prefix.as_deref().unwrap_or_default()
        ),
        Target::Redshift { cluster_url, schema, table, .. } => {
            format!("Copies into `{schema}.{table}` of `{cluster_url}`.")
        }
        Target::Snowflake { database, schema, table } => format!("Loads into `{database}.{schema}.{table}`."),
        Target::Other { kind } => format!("Delivers to {kind}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(source: Source, targets: Vec<Target>) -> DeliveryStream {
        DeliveryStream {
            name: "orders-to-lake".into(),
            arn: "arn:aws:firehose:us-east-1:123456789012:deliverystream/orders-to-lake".into(),
            status: DeliveryStreamStatus::Active,
            stream_type: "KinesisStreamAsSource".into(),
            created: Some("2026-11-28T03:52:24.420Z".into()),
            source,
            destinations: targets
                .into_iter()
                .enumerate()
                .map(|(i, target)| Destination { id: format!("destinationId-{:012}", i + 1), target })
                .collect(),
        }
    }

    fn kinesis() -> Source {
        Source::KinesisStream {
            stream: "orders.v1".into(),
            arn: "arn:aws:kinesis:us-east-1:123456789012:stream/orders.v1".into(),
        }
    }

    fn s3() -> Target {
        Target::S3 { bucket: "lake".into(), prefix: Some("raw/".into()), compression: "GZIP".into() }
    }

    fn services() -> LineageServices {
        LineageServices {
            messaging: vec!["kinesis_prod".into(), "kinesis_dev".into()],
            storage: vec!["s3_prod".into()],
            database: vec!["redshift_prod".into()],
        }
    }

    #[test]
    fn a_pipeline_has_a_task_per_destination_behind_its_source() {
        let redshift = Target::Redshift {
            database: Some("analytics".into()),
            schema: "public".into(),
            table: "orders".into(),
            cluster_url: "jdbc:redshift://c:5439/analytics".into(),
        };
        let r = create_pipeline_request("firehose.prod", "us-east-1", &stream(kinesis(), vec![s3(), redshift]));
        assert_eq!(r.service, "\"firehose.prod\"");
        assert_eq!(r.state, "Active");
        assert_eq!(r.tasks.len(), 3);
        assert_eq!(r.tasks[0].downstream_tasks, ["destinationId-000000000001", "destinationId-000000000002"]);
        assert_eq!(r.tasks[1].description, "Delivers to `s3://lake/raw/` (compression GZIP).");
        assert!(r
            .description
            .contains("from Kinesis stream `orders.v1` to S3 bucket `lake`, Redshift table `analytics.public.orders`"));
        assert!(r.source_url.ends_with("#/details/orders-to-lake/monitoring"));
    }

    #[test]
    fn lineage_goes_from_the_topic_candidates_to_each_destination_through_the_pipeline() {
        let mut warnings = Vec::new();
        let edges = lineage_edges("fh", &stream(kinesis(), vec![s3()]), &services(), &mut warnings);
        assert!(warnings.is_empty());
        assert_eq!(edges.len(), 1);
        let e = &edges[0];
        assert_eq!(e.from.fqn_candidates(), ["kinesis_prod.\"orders.v1\"", "kinesis_dev.\"orders.v1\""]);
        assert_eq!(e.to.entity_type, "container");
        assert_eq!(e.to.fqn_candidates(), ["s3_prod.lake"]);
        assert_eq!(e.pipeline.as_ref().unwrap().fqn_candidates(), ["fh.orders-to-lake"]);
    }

    #[test]
    fn direct_put_and_unlinkable_destinations_have_no_edge() {
        let mut warnings = Vec::new();
        assert!(lineage_edges("fh", &stream(Source::DirectPut, vec![s3()]), &services(), &mut warnings).is_empty());
        let other = Target::Other { kind: "Splunk" };
        assert!(lineage_edges("fh", &stream(kinesis(), vec![other]), &services(), &mut warnings).is_empty());
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn an_edge_without_a_service_to_look_in_is_a_warning() {
        let mut warnings = Vec::new();
        let none = LineageServices { messaging: vec!["k".into()], ..Default::default() };
        assert!(lineage_edges("fh", &stream(kinesis(), vec![s3()]), &none, &mut warnings).is_empty());
        assert!(warnings[0].contains("lineageInformation.storageServiceNames"), "{warnings:?}");
        let mut warnings = Vec::new();
        assert!(
            lineage_edges("fh", &stream(kinesis(), vec![s3()]), &LineageServices::default(), &mut warnings).is_empty()
        );
        assert!(warnings[0].contains("messagingServiceName"), "{warnings:?}");
    }

    #[test]
    fn a_table_destination_that_names_no_database_or_schema_is_a_warning_not_an_empty_fqn() {
        let snowflake = Target::Snowflake { database: "".into(), schema: "raw".into(), table: "orders".into() };
        let redshift = Target::Redshift {
            database: Some("analytics".into()),
            schema: "".into(),
            table: "orders".into(),
            cluster_url: "jdbc:redshift://c:5439/analytics".into(),
        };
        let no_database = Target::Redshift {
            database: None,
            schema: "public".into(),
            table: "orders".into(),
            cluster_url: "jdbc:redshift://c:5439".into(),
        };
        let mut warnings = Vec::new();
        let edges =
            lineage_edges("fh", &stream(kinesis(), vec![snowflake, redshift, no_database]), &services(), &mut warnings);
        assert!(edges.is_empty(), "{edges:?}");
        assert_eq!(
            warnings,
            [
                "delivery stream 'orders-to-lake': no lineage to its Snowflake table: it names no database",
                "delivery stream 'orders-to-lake': no lineage to its Redshift table: it names no schema",
                "delivery stream 'orders-to-lake': no lineage to its Redshift table: it names no database",
            ]
        );
    }
}
