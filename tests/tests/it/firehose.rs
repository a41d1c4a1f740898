//! The Firehose plugin end to end, on moto (Kinesis and Firehose on one port, behind the test
//! proxy where a test needs pages smaller than the plugin asks for): delivery streams
//! as pipelines, lineage from the Kinesis topics to S3 containers and Redshift tables through
//! them, both plugins side by side in one plugin directory and one `ingest` run, stale
//! pipelines marked deleted only after a complete listing.

use std::sync::Arc;

use e2e::openmetadata::StandIn;
use e2e::proxy::{self, Action, Call};
use e2e::{
    create_delivery_stream, firehose_client, firehose_workflow, kinesis_client, read_jsonl, rest_workflow, seed,
    Delivery, Moto, Sandbox, StreamSpec,
};
use serde_json::{json, Value};

const TOKEN: &str = "test-jwt";
const FILLERS: usize = 41;

/// A proxy in front of moto whose ListDeliveryStreams pages hold at most 10 names (the plugin
/// asks for 100; moto holds at most 50 delivery streams): the listing takes several pages.
fn small_pages(rt: &tokio::runtime::Runtime, moto: &Moto) -> proxy::Proxy {
    let rule: proxy::Rule = Arc::new(|call: &Call| {
        if call.operation == "ListDeliveryStreams" {
            let mut body: Value = serde_json::from_str(&call.body).unwrap_or_default();
            body["Limit"] = 10.into();
            Action::ForwardRewritten(body.to_string())
        } else {
            Action::Forward { delay: std::time::Duration::ZERO }
        }
    });
    rt.block_on(proxy::start(format!("127.0.0.1:{}", moto.port).parse().unwrap(), rule)).unwrap()
}

/// Points a workflow at the stand-in, with the token.
fn to_rest(wf: Value, server: &StandIn) -> Value {
    e2e::to_rest(wf, &server.host_port(), Some(TOKEN))
}

/// Kinesis streams and the delivery streams that read them, and 41 filler delivery streams
/// (filtered out by the workflow, but listed), on moto (which allows 50 delivery streams).
async fn seed_account(endpoint: &str) {
    let kinesis = kinesis_client(endpoint);
    seed(&kinesis, &[StreamSpec::new("orders", 1), StreamSpec::new("clicks.v1", 1), StreamSpec::new("audit", 1)])
        .await
        .unwrap();
    let mut arns = std::collections::HashMap::new();
    for name in ["orders", "clicks.v1", "audit"] {
        let d = kinesis.describe_stream_summary().stream_name(name).send().await.unwrap();
        arns.insert(name, d.stream_description_summary.unwrap().stream_arn);
    }
    let firehose = firehose_client(endpoint);
    let streams = [
        ("orders-to-lake", Delivery::KinesisToS3 { stream_arn: &arns["orders"], bucket: "lake" }),
        (
            "clicks-to-redshift",
            Delivery::KinesisToRedshift { stream_arn: &arns["clicks.v1"], database: "analytics", table: "web.clicks" },
        ),
        ("audit-to-archive", Delivery::KinesisToS3 { stream_arn: &arns["audit"], bucket: "archive" }),
        ("direct-events", Delivery::DirectPutToS3 { bucket: "lake" }),
    ];
    for (name, delivery) in streams {
        create_delivery_stream(&firehose, name, delivery).await.unwrap();
    }
    for i in 0..FILLERS {
        create_delivery_stream(&firehose, &format!("zz-filler-{i:03}"), Delivery::DirectPutToS3 { bucket: "lake" })
            .await
            .unwrap();
    }
}

fn firehose_source() -> (Value, Value) {
    let connection = json!({"messagingServiceName": "kinesis_prod"});
    let source_config = json!({
        "pipelineFilterPattern": {"excludes": ["zz-"]},
        "lineageInformation": {"storageServiceNames": ["s3_prod"], "dbServiceNames": ["redshift_prod"]}
    });
    (connection, source_config)
}

#[test]
fn kinesis_then_firehose_in_one_ingest_write_topics_pipelines_and_the_lineage_between_them() {
    let moto = Moto::start().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let rt = e2e::runtime();
    rt.block_on(seed_account(&endpoint));
    let pages = small_pages(&rt, &moto);
    let server = StandIn::start(Some(TOKEN)).unwrap();
    // What other connectors wrote: the bucket's container and the Redshift table, not the
    // archive bucket.
    server.seed("containers", "s3_prod", "s3_prod.lake");
    server.seed("tables", "redshift_prod", "redshift_prod.analytics.web.clicks");

    let sandbox = Sandbox::new().unwrap();
    let kinesis = rest_workflow(&endpoint, "kinesis_prod", json!({}), &server.host_port(), Some(TOKEN));
    let (connection, source_config) = firehose_source();
    let firehose = to_rest(firehose_workflow(&pages.endpoint(), "firehose_prod", connection, source_config), &server);
    let (k, f) = (
        sandbox.write_workflow("kinesis.yaml", &kinesis).unwrap(),
        sandbox.write_workflow("firehose.yaml", &firehose).unwrap(),
    );
    let run =
        sandbox.host(&["ingest", "-c", k.to_str().unwrap(), "-c", f.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let state = server.state.lock().unwrap();
    let mut topics: Vec<&str> = state.live_topics().iter().map(|t| t.fqn.as_str()).collect();
    topics.sort();
    assert_eq!(topics, ["kinesis_prod.\"clicks.v1\"", "kinesis_prod.audit", "kinesis_prod.orders"]);
    let service = &state.services["pipelineServices"]["firehose_prod"];
    assert_eq!(service["serviceType"], "KinesisFirehose");
    let mut pipelines: Vec<&str> = state.of("pipelines").iter().map(|p| p.fqn.as_str()).collect();
    pipelines.sort();
    assert_eq!(
        pipelines,
        [
            "firehose_prod.audit-to-archive",
            "firehose_prod.clicks-to-redshift",
            "firehose_prod.direct-events",
            "firehose_prod.orders-to-lake"
        ]
    );
    let orders = state.entity("pipelines", "firehose_prod.orders-to-lake").unwrap();
    assert_eq!(orders.fields["tasks"][1]["taskType"], "S3");
    assert!(orders.description.as_deref().unwrap().contains("from Kinesis stream `orders` to S3 bucket `lake`"));
    // The edges whose ends exist, each through its delivery stream; none for the archive bucket
    // (not in OpenMetadata) or the Direct PUT stream (no source).
    let mut edges = state.lineage_fqns();
    edges.sort();
    assert_eq!(
        edges,
        [
            (
                "kinesis_prod.\"clicks.v1\"".to_string(),
                "redshift_prod.analytics.web.clicks".to_string(),
                Some("firehose_prod.clicks-to-redshift".to_string())
            ),
            (
                "kinesis_prod.orders".to_string(),
                "s3_prod.lake".to_string(),
                Some("firehose_prod.orders-to-lake".to_string())
            ),
        ]
    );
    assert!(state.lineage.iter().all(|b| b["edge"]["lineageDetails"]["source"] == "PipelineLineage"));
    assert!(state.of("containers").len() == 1, "a missing end is never created");
    // Topics first (the first workflow's run), then the pipelines whose lineage points at them.
    let summaries = e2e::summaries(&run);
    assert_eq!(summaries[0]["entityTypes"][0]["entityType"], "topic", "{}", run.stdout);
    let (firehose, pipelines) = (&summaries[1], e2e::summary_of(&run, "pipeline"));
    assert_eq!((&pipelines["listed"], &pipelines["filtered"]), (&json!(45), &json!(41)), "{}", run.stdout);
    assert_eq!((&pipelines["created"], &pipelines["updated"]), (&json!(4), &json!(0)), "{}", run.stdout);
    let lineage = &firehose["lineage"];
    assert_eq!((&lineage["added"], &lineage["failed"]), (&json!(2), &json!([])), "{}", run.stdout);
    assert_eq!(
        lineage["skipped"],
        json!(["topic kinesis_prod.audit → container s3_prod.archive by pipeline firehose_prod.audit-to-archive: \
             container s3_prod.archive not in OpenMetadata"]),
        "the skipped edge is named: {}",
        run.stdout
    );
    // Five pages of ten, each after the last name of the one before; one description each.
    assert_eq!(pages.calls("ListDeliveryStreams"), 5);
    let starts: Vec<Value> = pages
        .log()
        .iter()
        .filter(|c| c.operation == "ListDeliveryStreams")
        .map(|c| serde_json::from_str::<Value>(&c.body).unwrap()["ExclusiveStartDeliveryStreamName"].clone())
        .collect();
    assert_eq!(starts[0], Value::Null);
    assert!(starts[1..].iter().all(Value::is_string), "{starts:?}");
    assert_eq!(firehose["apiCalls"], json!({"DescribeDeliveryStream": 4, "ListDeliveryStreams": 5}), "{}", run.stdout);
}

#[test]
fn stale_pipelines_are_marked_deleted_only_after_a_complete_listing() {
    let moto = Moto::start().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let firehose = firehose_client(&endpoint);
    let rt = e2e::runtime();
    rt.block_on(async {
        for name in ["keep", "gone", "later"] {
            create_delivery_stream(&firehose, name, Delivery::DirectPutToS3 { bucket: "lake" }).await.unwrap();
        }
    });
    let server = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let wf = to_rest(firehose_workflow(&endpoint, "fh", json!({}), json!({})), &server);
    let path = sandbox.write_workflow("firehose.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(server.state.lock().unwrap().of("pipelines").len(), 3);

    rt.block_on(firehose.delete_delivery_stream().delivery_stream_name("gone").send()).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("soft-deleted 1: fh.gone"), "{}", run.stdout);

    // The listing fails: nothing is deleted though "later" is gone too.
    rt.block_on(firehose.delete_delivery_stream().delivery_stream_name("later").send()).unwrap();
    let rule: proxy::Rule = Arc::new(|call: &Call| match call.operation.as_str() {
        "ListDeliveryStreams" => Action::Fail {
            status: 400,
            code: "AccessDeniedException".into(),
            message: "not authorized to perform firehose:ListDeliveryStreams".into(),
        },
        _ => Action::Forward { delay: std::time::Duration::ZERO },
    });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", moto.port).parse().unwrap(), rule)).unwrap();
    let wf = to_rest(firehose_workflow(&proxy.endpoint(), "fh", json!({}), json!({})), &server);
    let failing = sandbox.write_workflow("failing.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", failing.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("firehose:ListDeliveryStreams"), "{}", run.stdout);
    assert!(run.stdout.contains("kept: nothing is marked deleted after an incomplete listing"), "{}", run.stdout);
    let state = server.state.lock().unwrap();
    assert!(!state.entity("pipelines", "fh.later").unwrap().deleted);
    assert!(state.entity("pipelines", "fh.gone").unwrap().deleted);
}

#[test]
fn a_file_sink_holds_the_pipelines_and_the_lineage_requests_with_the_fqns_to_resolve() {
    let moto = Moto::start().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    e2e::runtime().block_on(seed_account(&endpoint));
    let sandbox = Sandbox::new().unwrap();
    let (connection, source_config) = firehose_source();
    let wf = firehose_workflow(&endpoint, "firehose_prod", connection, source_config);
    let path = sandbox.write_workflow("firehose.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let service = e2e::contract("createPipelineService.json").unwrap();
    let pipeline = e2e::contract("createPipeline.json").unwrap();
    let lineage = e2e::contract("addLineage.json").unwrap();
    assert_eq!(lines[0]["path"], "/v1/services/pipelineServices");
    assert!(service.is_valid(&lines[0]["body"]), "{}", lines[0]);
    assert_eq!(lines[0]["body"]["connection"]["config"]["awsConfig"]["awsSecretAccessKey"], "***");
    let pipelines: Vec<&Value> = lines.iter().filter(|l| l["path"] == "/v1/pipelines").collect();
    assert_eq!(pipelines.len(), 4);
    assert!(pipelines.iter().all(|p| pipeline.is_valid(&p["body"])), "{pipelines:?}");
    let edges: Vec<&Value> = lines.iter().filter(|l| l["path"] == "/v1/lineage").collect();
    // Three edges can be named (the archive bucket's too: a file cannot tell it is missing).
    assert_eq!(edges.len(), 3, "{edges:?}");
    assert!(edges.iter().all(|e| lineage.is_valid(&e["body"])), "{edges:?}");
    let orders = edges.iter().find(|e| e["resolve"]["pipeline"] == json!(["firehose_prod.orders-to-lake"])).unwrap();
    assert_eq!(orders["resolve"]["fromEntity"], json!(["kinesis_prod.orders"]));
    assert_eq!(orders["resolve"]["toEntity"], json!(["s3_prod.lake"]));
    assert_eq!(orders["body"]["edge"]["fromEntity"], json!({"id": "{fromEntity.id}", "type": "topic"}));
    assert_eq!(lines.last().unwrap()["path"], "/v1/pipelines/deleteStale");
}

#[test]
fn the_shipped_example_validates_and_test_connection_checks_each_permission() {
    let moto = Moto::start().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    e2e::runtime()
        .block_on(create_delivery_stream(
            &firehose_client(&endpoint),
            "orders",
            Delivery::DirectPutToS3 { bucket: "b" },
        ))
        .unwrap();
    let sandbox = Sandbox::new().unwrap();
    let example = e2e::workspace().join("tests/contract/kinesisfirehose-workflow-example.yaml");
    let run = sandbox.host(&["validate", "-c", example.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("is a valid KinesisFirehose workflow"), "{}", run.stdout);

    let wf = firehose_workflow(&endpoint, "fh", json!({}), json!({}));
    let path = sandbox.write_workflow("firehose.yaml", &wf).unwrap();
    let run = sandbox.host(&["test-connection", "-c", path.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let steps: Vec<(&str, bool)> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(steps, [("GetPipelines", true), ("GetPipeline", true)]);
    assert!(!run.stdout.contains("test-secret-key") && !run.stderr.contains("test-secret-key"));
}
