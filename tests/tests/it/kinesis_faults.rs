//! The fault matrix, Kinesis side: throttling storms at every API, streams deleted between the
//! calls that read them, a stream not yet a topic, the emulator killed mid-run, an endpoint that
//! is not there, a filter pattern that cannot decide. Each run is checked for its exit code, its
//! summary, what it wrote (nothing wrongly deleted, nothing half-written) and a bounded time.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use e2e::proxy::{self, Action, Call};
use e2e::{kinesis_client, put_json_records, read_jsonl, seed, workflow, Emulator, Sandbox, StreamSpec};
use serde_json::{json, Value};

fn topics(lines: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = lines
        .iter()
        .filter(|l| l["path"] == "/v1/topics")
        .map(|l| l["body"]["name"].as_str().unwrap().into())
        .collect();
    names.sort();
    names
}

fn seen(lines: &[Value]) -> Vec<String> {
    let last = lines.last().expect("lines");
    assert_eq!(last["path"], "/v1/topics/deleteStale");
    let mut seen: Vec<String> =
        last["body"]["seenFqns"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    seen.sort();
    seen
}

#[test]
fn a_throttling_storm_at_every_api_slows_the_run_but_loses_nothing() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    let streams: Vec<StreamSpec> = (0..12).map(|i| StreamSpec::new(format!("storm-{i:02}"), 1 + i % 2)).collect();
    rt.block_on(async {
        seed(&client, &streams).await.unwrap();
        for s in &streams {
            put_json_records(&client, &s.name, 5).await.unwrap();
        }
    });
    // A storm at every operation: its first calls throttled, then every tenth, as AWS answers
    // an account whose other applications use up the limits for a while.
    let rule: proxy::Rule = Arc::new(|call: &Call| {
        if call.nth_of_operation <= 3 || call.nth_of_operation.is_multiple_of(10) {
            let code = match call.operation.as_str() {
                "GetRecords" | "GetShardIterator" => "ProvisionedThroughputExceededException",
                _ => "LimitExceededException",
            };
            Action::Fail { status: 400, code: code.into(), message: "Rate exceeded (injected)".into() }
        } else {
            Action::Forward { delay: Duration::ZERO }
        }
    });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox
        .write_workflow(
            "wf.yaml",
            &workflow(&proxy.endpoint(), "svc", json!({"generateSampleData": true, "sampleSize": 5})),
        )
        .unwrap();
    let run = sandbox
        .spawn_host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"])
        .unwrap()
        .wait(Duration::from_secs(120))
        .unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for op in ["ListStreams", "DescribeStreamSummary", "ListShards", "GetShardIterator", "GetRecords"] {
        assert!(proxy.calls(op) >= 2, "{op} was called {} times", proxy.calls(op));
    }
    assert!(proxy.failed.load(Ordering::Relaxed) >= 5 * 3, "{} throttled", proxy.failed.load(Ordering::Relaxed));
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    assert_eq!(topics(&lines).len(), 12);
    let samples = lines.iter().filter(|l| l["path"] == "/v1/topics/{id}/sampleData").count();
    assert_eq!(samples, 12, "every stream's sample, throttled or not");
    assert_eq!(e2e::summary_of(&run, "topic")["samples"], 12, "{}", run.stdout);
}

#[test]
fn streams_deleted_between_calls_are_skipped_and_a_stream_being_created_is_kept() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    let names = [
        "steady",
        "gone-at-describe",
        "gone-at-list-shards",
        "gone-at-get-records",
        "shard-not-found",
        "being-created",
    ];
    rt.block_on(async {
        seed(&client, &names.iter().map(|n| StreamSpec::new(*n, 1)).collect::<Vec<_>>()).await.unwrap();
        for n in names {
            put_json_records(&client, n, 3).await.unwrap();
        }
    });
    // What AWS answers about a stream deleted just before the call, and about one in CREATING;
    // and a shard answering not-found while its stream exists (a shard that expired).
    let described = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::<&str, u32>::new()));
    let rule: proxy::Rule = Arc::new(move |call: &Call| {
        let about = |name: &str| {
            call.body.contains(&format!("\"{name}\""))
                || call.shard.as_deref().is_some_and(|s| s.starts_with(&format!("{name}/")))
        };
        let not_found = || Action::Fail {
            status: 400,
            code: "ResourceNotFoundException".into(),
            message: "Stream not found (deleted by the test)".into(),
        };
        match call.operation.as_str() {
            "DescribeStreamSummary" if about("gone-at-describe") => not_found(),
            "ListShards" if about("gone-at-list-shards") => not_found(),
            "GetRecords" if about("gone-at-get-records") || about("shard-not-found") => not_found(),
            // Deleted after it was described: the second look finds it gone.
            "DescribeStreamSummary" if about("gone-at-list-shards") || about("gone-at-get-records") => {
                let name = if about("gone-at-list-shards") { "gone-at-list-shards" } else { "gone-at-get-records" };
                let mut described = described.lock().unwrap();
                let looks = described.entry(name).or_default();
                *looks += 1;
                if *looks == 1 {
                    Action::Forward { delay: Duration::ZERO }
                } else {
                    not_found()
                }
            }
            "DescribeStreamSummary" if about("being-created") => Action::Answer(
                json!({"StreamDescriptionSummary": {
                    "StreamName": "being-created",
                    "StreamARN": "arn:aws:kinesis:eu-west-1:000000000000:stream/being-created",
                    "StreamStatus": "CREATING", "RetentionPeriodHours": 24,
                    "StreamCreationTimestamp": 1.7e9, "EnhancedMonitoring": [], "OpenShardCount": 0
                }})
                .to_string(),
            ),
            _ => Action::Forward { delay: Duration::ZERO },
        }
    });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox
        .write_workflow("wf.yaml", &workflow(&proxy.endpoint(), "svc", json!({"generateSampleData": true})))
        .unwrap();
    let run = sandbox
        .spawn_host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"])
        .unwrap()
        .wait(Duration::from_secs(60))
        .unwrap();
    // A complete listing: the deleted streams are gone, which is what a run should find.
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(e2e::summary_of(&run, "topic")["notYet"], json!(["being-created"]), "{}", run.stdout);
    assert!(run.stdout.contains("stream 'being-created' has no open shard (status CREATING)"), "{}", run.stdout);
    for gone in ["gone-at-describe", "gone-at-list-shards", "gone-at-get-records"] {
        assert!(run.stdout.contains(&format!("stream '{gone}' was deleted while the run read it")), "{}", run.stdout);
    }
    // The stream whose shard was not found is still there: its topic is written, without a sample.
    assert!(
        run.stdout.contains("reading the sample of stream 'shard-not-found' was answered not-found")
            && run.stdout.contains("yet the stream exists (the topic is kept without its sample)"),
        "{}",
        run.stdout
    );
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    assert_eq!(topics(&lines), vec!["shard-not-found", "steady"]);
    // The stream being created is seen (never deleted for it); the deleted ones are not.
    assert_eq!(seen(&lines), vec!["svc.being-created", "svc.shard-not-found", "svc.steady"]);
}

#[test]
fn an_emulator_killed_mid_run_fails_the_run_in_bounded_time_and_deletes_nothing() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    let streams: Vec<StreamSpec> = (0..150).map(|i| StreamSpec::new(format!("k-{i:03}"), 1)).collect();
    rt.block_on(seed(&client, &streams)).unwrap();
    // The proxy lives in a runtime of its own, so that it can die with the emulator.
    let proxy_rt = e2e::runtime();
    let rule: proxy::Rule = Arc::new(|call: &Call| Action::Forward {
        delay: if call.operation == "DescribeStreamSummary" { Duration::from_millis(150) } else { Duration::ZERO },
    });
    let proxy = proxy_rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    std::fs::write(sandbox.path("out.jsonl"), "previous\n").unwrap();
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&proxy.endpoint(), "svc", json!({}))).unwrap();
    let host = sandbox.spawn_host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    e2e::wait_until(Duration::from_secs(60), "20 streams described", || proxy.calls("DescribeStreamSummary") >= 20)
        .unwrap();
    drop(emulator);
    proxy_rt.shutdown_background();
    let run = host.wait(Duration::from_secs(60)).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("could not be read"), "{}", run.stdout);
    assert!(run.stdout.contains("cannot be reached"), "{}", run.stdout);
    assert!(run.stdout.contains("kept: nothing is marked deleted"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(sandbox.path("out.jsonl")).unwrap(), "previous\n");
    assert!(!sandbox.path("out.jsonl.partial").exists());
}

#[test]
fn an_endpoint_nobody_listens_on_fails_in_seconds_naming_it() {
    let sandbox = Sandbox::new().unwrap();
    let port = e2e::free_port().unwrap();
    let endpoint = format!("http://127.0.0.1:{port}");
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&endpoint, "svc", json!({}))).unwrap();
    let run =
        sandbox.spawn_host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap().wait(Duration::from_secs(15)).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!("cannot reach {endpoint}")), "{}", run.stdout);
    assert!(run.stdout.contains("Connection refused"), "{}", run.stdout);
    assert!(!sandbox.path("out.jsonl").exists());
}

#[test]
fn a_filter_pattern_that_cannot_decide_stops_the_run_and_deletes_nothing() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let long = "a".repeat(60);
    e2e::runtime().block_on(seed(&client, &[StreamSpec::new("aab", 1), StreamSpec::new(long.clone(), 1)])).unwrap();
    let sandbox = Sandbox::new().unwrap();
    std::fs::write(sandbox.path("out.jsonl"), "previous\n").unwrap();
    let filter = json!({"topicFilterPattern": {"includes": [r"(a|aa)+(\1)*b"]}});
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&emulator.endpoint(), "svc", filter)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!(
            r"topicFilterPattern includes/0 '(a|aa)+(\1)*b' could not be matched against stream '{long}'"
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("kept: nothing is marked deleted"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(sandbox.path("out.jsonl")).unwrap(), "previous\n");
}

#[test]
fn an_endpoint_that_does_not_speak_tls_fails_in_seconds_naming_it() {
    // An emulator serves plain HTTP: asked for TLS, it answers what is not a TLS record, which
    // will not heal within a run (retried quickly, then every later call refused at once).
    let emulator = Emulator::start().unwrap();
    let endpoint = format!("https://127.0.0.1:{}", emulator.port);
    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&endpoint, "svc", json!({}))).unwrap();
    let started = std::time::Instant::now();
    let run =
        sandbox.spawn_host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap().wait(Duration::from_secs(60)).unwrap();
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!("cannot reach {endpoint}")), "{}", run.stdout);
    // The SDK's own backoff would take over 30 s to give up on 8 attempts.
    assert!(took < Duration::from_secs(15), "gave up after {took:?}:\n{}", run.stdout);
    assert!(!sandbox.path("out.jsonl").exists());
}
