//! End to end: the host loads the plugin from a plugin directory (beside files that are not
//! plugins), lists the streams of a real `kinesis-local`, and writes OpenMetadata requests to
//! the file sink; the output is checked against the seeded truth and OpenMetadata's contract.

use std::collections::BTreeMap;

use std::sync::Arc;
use std::time::Duration;

use e2e::proxy::{self, Action, Call};
use e2e::{contract, kinesis_client, read_jsonl, seed, workflow, Emulator, Sandbox, StreamSpec};
use serde_json::{json, Value};

/// More than 100 streams, so that ListStreams pages; shard counts 1–3; names with `.`, `-`, `_`.
fn seeded() -> Vec<StreamSpec> {
    let mut streams: Vec<StreamSpec> = (0..104).map(|i| StreamSpec::new(format!("bulk-{i:03}"), 1)).collect();
    streams.extend([
        StreamSpec::new("orders.v1", 2),
        StreamSpec::new("payments_eu", 3),
        StreamSpec::new("audit.log.v2", 1),
        StreamSpec::new("Click-Stream", 2),
    ]);
    streams
}

/// Where the streams are: the two emulators page ListStreams the old way (`HasMoreStreams`
/// and `ExclusiveStartStreamName`), the proxy in front of kinesis-local the way AWS does
/// (`NextToken`).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Bench {
    KinesisLocal,
    Moto,
    PagedByToken,
}

#[test]
fn ingest_writes_every_stream_as_a_valid_topic_on_kinesis_local() {
    ingest_writes_every_stream_as_a_valid_topic(Bench::KinesisLocal);
}

#[test]
fn ingest_writes_every_stream_as_a_valid_topic_on_moto() {
    ingest_writes_every_stream_as_a_valid_topic(Bench::Moto);
}

#[test]
fn ingest_writes_every_stream_as_a_valid_topic_paged_by_next_token() {
    ingest_writes_every_stream_as_a_valid_topic(Bench::PagedByToken);
}

fn ingest_writes_every_stream_as_a_valid_topic(bench: Bench) {
    let rt = e2e::runtime();
    let (_emulator, _moto, port, account) = match bench {
        Bench::Moto => {
            let moto = e2e::Moto::start().unwrap();
            let port = moto.port;
            (None, Some(moto), port, "123456789012")
        }
        _ => {
            let emulator = Emulator::start().unwrap();
            let port = emulator.port;
            (Some(emulator), None, port, "000000000000")
        }
    };
    let direct = format!("http://127.0.0.1:{port}");
    let client = kinesis_client(&direct);
    let streams = seeded();
    rt.block_on(async {
        seed(&client, &streams).await.unwrap();
        client
            .increase_stream_retention_period()
            .stream_name("orders.v1")
            .retention_period_hours(48)
            .send()
            .await
            .unwrap();
        if bench != Bench::Moto {
            // moto has no UpdateMaxRecordSize.
            client
                .update_max_record_size()
                .stream_arn(arn("payments_eu"))
                .max_record_size_in_kib(2048)
                .send()
                .await
                .unwrap();
        }
    });
    let forward: proxy::Rule = Arc::new(|_: &Call| Action::Forward { delay: Duration::ZERO });
    let upstream = format!("127.0.0.1:{port}").parse().unwrap();
    let proxy = rt.block_on(proxy::start_with(upstream, forward, bench == Bench::PagedByToken)).unwrap();

    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox.write_workflow("workflow.yaml", &workflow(&proxy.endpoint(), "kinesis.prod", json!({}))).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    let topics = e2e::summary_of(&run, "topic");
    assert_eq!((&topics["created"], &topics["listed"]), (&json!(108), &json!(108)), "{}", run.stdout);
    // Every page was followed, the way this bench pages.
    match bench {
        Bench::KinesisLocal => assert_eq!(proxy.calls("ListStreams"), 2),
        Bench::Moto => assert_eq!(proxy.calls("ListStreams"), 11, "moto pages by 10"),
        Bench::PagedByToken => {
            assert_eq!(proxy.calls("ListStreams"), 2);
            assert_eq!(proxy.tokens_followed.load(std::sync::atomic::Ordering::Relaxed), 1);
            assert_eq!(proxy.names_followed.load(std::sync::atomic::Ordering::Relaxed), 0);
        }
    }
    // The plugin's own log events reached the host's log, with their target.
    assert!(run.stderr.contains("[plugin_sdk::run] listing finished listed=108"), "{}", run.stderr);
    // The plugin directory's other files were skipped with a reason, not a crash.
    assert!(run.stderr.contains("broken.so") && run.stderr.contains("not a loadable library"), "{}", run.stderr);

    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let service_validator = contract("createMessagingService.json").unwrap();
    let topic_validator = contract("createTopic.json").unwrap();

    // First the service, without a secret in it.
    assert_eq!(lines[0]["path"], "/v1/services/messagingServices");
    assert_eq!(lines[0]["body"]["name"], "kinesis.prod");
    assert_eq!(lines[0]["body"]["serviceType"], "Kinesis");
    assert!(service_validator.is_valid(&lines[0]["body"]), "{}", lines[0]["body"]);
    assert!(!std::fs::read_to_string(sandbox.path("out.jsonl")).unwrap().contains("test-secret-key"));

    // Then one topic per stream, valid against the contract and true to the stream.
    let topics: BTreeMap<String, &Value> = lines
        .iter()
        .filter(|l| l["path"] == "/v1/topics")
        .map(|l| (l["body"]["name"].as_str().unwrap().to_string(), l))
        .collect();
    assert_eq!(topics.len(), streams.len());
    for s in &streams {
        let line = topics.get(&s.name).unwrap_or_else(|| panic!("no topic for {}", s.name));
        let body = &line["body"];
        let errors: Vec<String> = topic_validator.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", s.name);
        assert_eq!(body["service"], "\"kinesis.prod\"", "the service FQN is quoted");
        assert_eq!(body["partitions"], s.shards, "{}", s.name);
        assert_eq!(body["cleanupPolicies"], json!(["delete"]));
        assert_eq!(
            body["topicConfig"]["streamArn"],
            format!("arn:aws:kinesis:{}:{account}:stream/{}", e2e::REGION, s.name)
        );
        assert!(body["sourceUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://eu-west-1.console.aws.amazon.com/kinesis/home?region=eu-west-1#/streams/details/"));
        let expected_fqn = if s.name.contains('.') {
            format!("\"kinesis.prod\".\"{}\"", s.name)
        } else {
            format!("\"kinesis.prod\".{}", s.name)
        };
        assert_eq!(line["entityFqn"], expected_fqn);
    }
    assert_eq!(topics["orders.v1"]["body"]["retentionTime"], 48.0 * 3_600_000.0);
    assert_eq!(topics["bulk-000"]["body"]["retentionTime"], 24.0 * 3_600_000.0);
    if bench != Bench::Moto {
        assert_eq!(topics["payments_eu"]["body"]["maximumMessageSize"], 2048 * 1024);
    }
    assert_eq!(topics["bulk-000"]["body"]["maximumMessageSize"], 1_048_576);

    // Last, the stale-topic deletion, naming every topic as seen.
    let last = lines.last().unwrap();
    assert_eq!(last["path"], "/v1/topics/deleteStale");
    assert_eq!(last["body"]["scopeFqn"], "\"kinesis.prod\"");
    let seen: Vec<&str> = last["body"]["seenFqns"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(seen.len(), streams.len());
    assert!(seen.contains(&"\"kinesis.prod\".\"orders.v1\""), "{seen:?}");
}

/// The ARN of a stream of kinesis-local (account 000000000000).
fn arn(name: &str) -> String {
    format!("arn:aws:kinesis:{}:000000000000:stream/{name}", e2e::REGION)
}

#[test]
fn the_topic_filter_keeps_what_openmetadata_would_keep() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let names = ["orders.v1", "orders-test", "Orders_archive", "eu-orders", "payments"];
    e2e::runtime().block_on(seed(&client, &names.iter().map(|n| StreamSpec::new(*n, 1)).collect::<Vec<_>>())).unwrap();

    let sandbox = Sandbox::new().unwrap();
    let filter = json!({"topicFilterPattern": {"includes": ["orders", "pay"], "excludes": [".*test"]}});
    let wf = sandbox.write_workflow("workflow.yaml", &workflow(&emulator.endpoint(), "svc", filter)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let mut kept: Vec<&str> =
        lines.iter().filter(|l| l["path"] == "/v1/topics").map(|l| l["body"]["name"].as_str().unwrap()).collect();
    kept.sort();
    // Anchored at the start only, case-insensitive; excludes win.
    assert_eq!(kept, vec!["Orders_archive", "orders.v1", "payments"]);
    assert_eq!(e2e::summary_of(&run, "topic")["filtered"], 2, "{}", run.stdout);
}

#[test]
fn plugins_lists_the_plugin_and_says_why_other_files_were_skipped() {
    let sandbox = Sandbox::new().unwrap();
    let run = sandbox.host(&["plugins"]).unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Kinesis (Messaging service)"), "{}", run.stdout);
    assert!(run.stdout.contains("features: Topics, Sample Data"), "{}", run.stdout);
    assert!(run.stdout.contains("broken.so: not a loadable library"), "{}", run.stdout);
    assert!(run.stdout.contains("README.txt: not a shared library"), "{}", run.stdout);
    assert!(
        run.stdout.contains("libold_abi_plugin.so: built against plugin contract 0.9.0; this host speaks 2.3.0"),
        "{}",
        run.stdout
    );
    if run.stdout.contains("libm-copy.so") {
        assert!(run.stdout.contains("libm-copy.so: not a plugin"), "{}", run.stdout);
    }

    let schema = sandbox.host(&["schema", "KINESIS"]).unwrap();
    assert_eq!(schema.code, 0, "{}", schema.stderr);
    let schema: Value = serde_json::from_str(&schema.stdout).unwrap();
    assert_eq!(schema["title"], "Kinesis source");
}

#[test]
fn a_bad_workflow_is_refused_with_every_field_named() {
    let sandbox = Sandbox::new().unwrap();
    let mut wf = workflow("http://127.0.0.1:1", "svc", json!({"generateSampleData": "yes"}));
    wf["source"]["serviceConnection"]["config"]["awsConfig"]["awsRegoin"] = json!("eu-west-1");
    wf["source"]["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = json!(918273645);
    let path = sandbox.write_workflow("bad.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("bad.yaml is not a valid Kinesis workflow"), "{}", run.stderr);
    assert!(run.stderr.contains("source/serviceConnection/config/awsConfig"), "{}", run.stderr);
    assert!(run.stderr.contains("awsRegoin"), "{}", run.stderr);
    assert!(run.stderr.contains("source/sourceConfig/config/generateSampleData"), "{}", run.stderr);
    assert!(run.stderr.contains("source/serviceConnection/config/awsConfig/awsSecretAccessKey"), "{}", run.stderr);
    assert!(!run.stderr.contains("918273645"), "a secret was quoted: {}", run.stderr);
    assert!(!sandbox.path("out.jsonl").exists(), "nothing is written for a refused workflow");
}

#[test]
fn test_connection_reports_the_list_streams_step() {
    let emulator = Emulator::start().unwrap();
    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox.write_workflow("workflow.yaml", &workflow(&emulator.endpoint(), "svc", json!({}))).unwrap();
    let run = sandbox.host(&["test-connection", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("GetTopics") && run.stdout.contains("Passed"), "{}", run.stdout);

    drop(emulator); // nothing listens there any more
    let run = sandbox.host(&["test-connection", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("Failed") && run.stdout.contains("FAILED"), "{}", run.stdout);
    assert!(!run.stdout.contains("test-secret-key") && !run.stderr.contains("test-secret-key"));
}

/// 210 streams on kinesis-local (pages of 100), listed through a proxy paging by NextToken.
struct Listing {
    emulator: Emulator,
    rt: tokio::runtime::Runtime,
}

impl Listing {
    fn seeded() -> Self {
        let emulator = Emulator::start().unwrap();
        let client = kinesis_client(&emulator.endpoint());
        let streams: Vec<StreamSpec> = (0..210).map(|i| StreamSpec::new(format!("s-{i:03}"), 1)).collect();
        let rt = e2e::runtime();
        rt.block_on(seed(&client, &streams)).unwrap();
        Listing { emulator, rt }
    }

    /// Runs the host through a proxy with `rule`; `previous_output` is the out.jsonl of an
    /// earlier run.
    fn run(&self, rule: proxy::Rule, previous_output: Option<&str>) -> (e2e::HostRun, proxy::Proxy, Sandbox) {
        let upstream = format!("127.0.0.1:{}", self.emulator.port).parse().unwrap();
        let proxy = self.rt.block_on(proxy::start_paging_by_token(upstream, rule)).unwrap();
        let sandbox = Sandbox::new().unwrap();
        if let Some(previous) = previous_output {
            std::fs::write(sandbox.path("out.jsonl"), previous).unwrap();
        }
        let wf = sandbox.write_workflow("workflow.yaml", &workflow(&proxy.endpoint(), "svc", json!({}))).unwrap();
        let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
        (run, proxy, sandbox)
    }
}

const PREVIOUS: &str = "{\"the\": \"last good output\"}\n";

/// A failed run leaves the last good file as it was, and no partial file beside it.
fn the_previous_output_is_untouched(sandbox: &Sandbox) {
    assert_eq!(std::fs::read_to_string(sandbox.path("out.jsonl")).unwrap(), PREVIOUS);
    assert!(!sandbox.path("out.jsonl.partial").exists());
}

/// A proxy rule: the ListStreams calls whose number `expire` picks answer that their token
/// expired; everything else goes through.
fn expired_token_on(expire: fn(u64) -> bool) -> proxy::Rule {
    Arc::new(move |call: &Call| {
        if call.operation == "ListStreams" && expire(call.nth_of_operation) {
            Action::Fail {
                status: 400,
                code: "ExpiredNextTokenException".into(),
                message: "injected by the test".into(),
            }
        } else {
            Action::Forward { delay: Duration::ZERO }
        }
    })
}

#[test]
fn a_listing_that_fails_part_way_deletes_nothing_keeps_the_last_output_and_fails_the_run() {
    // The second page is refused (a NextToken AWS no longer knows, past every resume).
    let rule = expired_token_on(|nth| nth >= 2);
    let (run, proxy, sandbox) = Listing::seeded().run(rule, Some(PREVIOUS));
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(e2e::summary_of(&run, "topic")["listingComplete"], false, "{}", run.stdout);
    assert!(run.stdout.contains("ExpiredNextTokenException"), "{}", run.stdout);
    assert!(run.stdout.contains("nothing is marked deleted"), "{}", run.stdout);
    assert!(run.stdout.contains("not written: the previous file"), "{}", run.stdout);
    the_previous_output_is_untouched(&sandbox);
    // The first page, its token (expired), one resume after the last name read (refused too,
    // and not a token): then the listing ends, incomplete.
    assert_eq!(proxy.calls("ListStreams"), 3);
}

#[test]
fn an_expired_token_is_resumed_after_the_last_name_read() {
    let rule = expired_token_on(|nth| nth == 2);
    let (run, proxy, sandbox) = Listing::seeded().run(rule, None);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(e2e::summary_of(&run, "topic")["created"], 210, "{}", run.stdout);
    assert!(run.stderr.contains("expired; resuming after 's-099'"), "{}", run.stderr);
    // Page 2 by name after the expiry, page 3 by the token page 2 gave.
    assert_eq!(proxy.calls("ListStreams"), 4);
    assert_eq!(proxy.names_followed.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(proxy.tokens_followed.load(std::sync::atomic::Ordering::Relaxed), 1);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    assert_eq!(lines.last().unwrap()["body"]["seenFqns"].as_array().unwrap().len(), 210);
}

#[test]
fn pages_that_cannot_be_right_end_the_listing_as_incomplete_never_in_a_loop() {
    let first_page: Vec<String> = (0..100).map(|i| format!("s-{i:03}")).collect();
    let cases: Vec<(&str, proxy::Rule)> = vec![
        (
            "it promised more streams but held none",
            Arc::new(|call: &Call| match (call.operation.as_str(), call.nth_of_operation) {
                ("ListStreams", 2) => Action::Answer(r#"{"StreamNames":[],"HasMoreStreams":true}"#.into()),
                _ => Action::Forward { delay: Duration::ZERO },
            }),
        ),
        (
            "it repeated the previous page",
            Arc::new(move |call: &Call| match (call.operation.as_str(), call.nth_of_operation) {
                ("ListStreams", 2) => Action::Answer(
                    json!({"StreamNames": first_page, "HasMoreStreams": true, "NextToken": "proxy-token-00"})
                        .to_string(),
                ),
                _ => Action::Forward { delay: Duration::ZERO },
            }),
        ),
        (
            "its NextToken did not advance",
            Arc::new(|call: &Call| match (call.operation.as_str(), call.nth_of_operation) {
                ("ListStreams", 2) => {
                    let sent: Value = serde_json::from_str(&call.body).unwrap();
                    Action::Answer(
                        json!({"StreamNames": ["s-100"], "HasMoreStreams": true, "NextToken": sent["NextToken"]})
                            .to_string(),
                    )
                }
                _ => Action::Forward { delay: Duration::ZERO },
            }),
        ),
    ];
    let listing = Listing::seeded();
    for (why, rule) in cases {
        let (run, proxy, sandbox) = listing.run(rule, Some(PREVIOUS));
        assert_eq!(run.code, 1, "{why}:\n{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(&format!("ListStreams page 2 cannot be followed: {why}")), "{}", run.stdout);
        assert!(run.stdout.contains("nothing is marked deleted"), "{}", run.stdout);
        the_previous_output_is_untouched(&sandbox);
        assert_eq!(proxy.calls("ListStreams"), 2, "{why}");
    }
}

#[test]
fn the_example_workflow_of_openmetadata_is_accepted_unchanged() {
    // Its sink is metadata-rest and its endpoint real AWS: `schema` validation is what can run
    // here without a network, through the same path `ingest` takes before it connects.
    let sandbox = Sandbox::new().unwrap();
    let example = e2e::workspace().join("tests/contract/kinesis-workflow-example.yaml");
    let run = sandbox.host(&["validate", "-c", example.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("valid Kinesis workflow"), "{}", run.stdout);
}

#[test]
fn several_workflows_run_in_order_each_with_its_summary_and_the_worst_exit_code() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    e2e::runtime().block_on(seed(&client, &[StreamSpec::new("orders", 1), StreamSpec::new("payments", 1)])).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let with_file = |service: &str, endpoint: &str, file: &str| {
        let mut wf = workflow(endpoint, service, json!({}));
        wf["sink"]["config"]["filename"] = file.into();
        wf
    };
    let a = sandbox.write_workflow("a.yaml", &with_file("svc-a", &emulator.endpoint(), "a.jsonl")).unwrap();
    let b = sandbox.write_workflow("b.yaml", &with_file("svc-b", &emulator.endpoint(), "b.jsonl")).unwrap();
    let run = sandbox.host(&["ingest", "-c", a.to_str().unwrap(), "-c", b.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let first = run.stdout.find("Workflow 1 of 2").unwrap();
    let second = run.stdout.find("Workflow 2 of 2").unwrap();
    assert!(first < second && run.stdout[first..second].contains("service:           svc-a"), "{}", run.stdout);
    assert!(run.stdout[second..].contains("service:           svc-b"), "{}", run.stdout);
    assert_eq!(read_jsonl(&sandbox.path("a.jsonl")).unwrap()[0]["body"]["name"], "svc-a");
    assert_eq!(read_jsonl(&sandbox.path("b.jsonl")).unwrap()[0]["body"]["name"], "svc-b");

    // The second fails: the first is written all the same, the exit code is the failure's.
    std::fs::remove_file(sandbox.path("a.jsonl")).unwrap();
    let dead = format!("http://127.0.0.1:{}", e2e::free_port().unwrap());
    let c = sandbox.write_workflow("c.yaml", &with_file("svc-c", &dead, "c.jsonl")).unwrap();
    let run = sandbox.host(&["ingest", "-c", a.to_str().unwrap(), "-c", c.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(sandbox.path("a.jsonl").exists() && !sandbox.path("c.jsonl").exists());
    assert!(run.stdout.contains("result:            success") && run.stdout.contains("FAILED (exit code 1)"));

    // A bad one: checked before any starts, so none runs.
    std::fs::remove_file(sandbox.path("a.jsonl")).unwrap();
    let mut bad = with_file("svc-d", &emulator.endpoint(), "d.jsonl");
    bad["source"]["serviceConnection"]["config"]["awsConfig"]["awsRegion"] = "eu-west-1b".into();
    let d = sandbox.write_workflow("d.yaml", &bad).unwrap();
    let run = sandbox.host(&["ingest", "-c", a.to_str().unwrap(), "-c", d.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("d.yaml is not a valid Kinesis workflow"), "{}", run.stderr);
    assert!(run.stderr.contains("source/serviceConnection/config/awsConfig/awsRegion"), "{}", run.stderr);
    assert!(!sandbox.path("a.jsonl").exists(), "nothing ran");
}
