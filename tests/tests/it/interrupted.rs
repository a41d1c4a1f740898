//! Runs that stop part way: SIGINT and SIGTERM during `ingest`, and a plugin whose record
//! stream panics. Each ends soon, with the summary and the exit code saying why, nothing
//! deleted, and the last good output left as it was.

use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::openmetadata::StandIn;
use e2e::proxy::{self, Action, Call};
use e2e::{kinesis_client, rest_workflow, seed, workflow, Emulator, Sandbox, StreamSpec};
use serde_json::json;

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.jwt-canary-int.signature";
const PREVIOUS: &str = "{\"the\": \"last good output\"}\n";

/// 80 streams behind a proxy that holds each DescribeStreamSummary 300 ms: a run of seconds.
fn slow_streams() -> (Emulator, tokio::runtime::Runtime, proxy::Proxy) {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    let streams: Vec<StreamSpec> = (0..80).map(|i| StreamSpec::new(format!("slow-{i:02}"), 1)).collect();
    rt.block_on(seed(&client, &streams)).unwrap();
    let rule: proxy::Rule = Arc::new(|call: &Call| Action::Forward {
        delay: if call.operation == "DescribeStreamSummary" { Duration::from_millis(300) } else { Duration::ZERO },
    });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    (emulator, rt, proxy)
}

#[test]
fn sigint_stops_a_file_run_soon_keeping_the_last_output() {
    let (_emulator, _rt, proxy) = slow_streams();
    let sandbox = Sandbox::new().unwrap();
    std::fs::write(sandbox.path("out.jsonl"), PREVIOUS).unwrap();
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&proxy.endpoint(), "svc", json!({}))).unwrap();
    let host = sandbox.spawn_host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    e2e::wait_until(Duration::from_secs(60), "the run describing streams", || {
        proxy.calls("DescribeStreamSummary") >= 16
    })
    .unwrap();
    let signalled = Instant::now();
    host.signal(libc::SIGINT);
    let run = host.wait(Duration::from_secs(30)).unwrap();
    let stopped_in = signalled.elapsed();
    assert_eq!(run.code, 130, "{}\n{}", run.stdout, run.stderr);
    assert!(stopped_in < Duration::from_secs(10), "stopped {stopped_in:?} after the signal");
    assert!(run.stdout.contains("INTERRUPTED by SIGINT (exit code 130)"), "{}", run.stdout);
    assert!(run.stdout.contains("kept: the run was interrupted (SIGINT)"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(sandbox.path("out.jsonl")).unwrap(), PREVIOUS);
    assert!(!sandbox.path("out.jsonl.partial").exists());
    // The plugin's work stopped with the run: no describing goes on afterwards.
    let after = proxy.calls("DescribeStreamSummary");
    assert!(after < 80, "{after} streams described: the run was not cut short");
}

#[test]
fn sigterm_stops_a_rest_run_soon_deleting_nothing() {
    let (_emulator, _rt, proxy) = slow_streams();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let mut wf = rest_workflow(&proxy.endpoint(), "svc", json!({}), &om.host_port(), Some(TOKEN));
    // Small batches, so that topics are written while the run goes on.
    wf["sink"]["config"] = json!({"bulk_sink_batch_size": 5});
    let wf = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let host = sandbox.spawn_host(&["ingest", "-c", wf.to_str().unwrap(), "--max-delete-share", "1"]).unwrap();
    e2e::wait_until(Duration::from_secs(60), "topics written", || om.state.lock().unwrap().live_topics().len() >= 5)
        .unwrap();
    let signalled = Instant::now();
    host.signal(libc::SIGTERM);
    let run = host.wait(Duration::from_secs(30)).unwrap();
    assert_eq!(run.code, 143, "{}\n{}", run.stdout, run.stderr);
    assert!(signalled.elapsed() < Duration::from_secs(10), "stopped {:?} after the signal", signalled.elapsed());
    assert!(run.stdout.contains("INTERRUPTED by SIGTERM (exit code 143)"), "{}", run.stdout);
    let state = om.state.lock().unwrap();
    assert_eq!(state.calls.iter().filter(|(m, _)| m == "DELETE").count(), 0, "nothing deleted");
    // Every topic the server holds was written whole.
    assert!(state.live_topics().iter().all(|t| t.fields.get("partitions") == Some(&json!(1))));
    assert!(state.live_topics().len() < 80);
}

#[test]
fn a_plugin_whose_stream_panics_fails_the_run_and_deletes_nothing() {
    let sandbox = Sandbox::new().unwrap();
    std::fs::write(sandbox.path("out.jsonl"), PREVIOUS).unwrap();
    let wf = json!({
        "source": {"type": "panicking", "serviceName": "svc", "serviceConnection": {"config": {"type": "Panicking"}}},
        "sink": {"type": "file", "config": {"filename": "out.jsonl"}},
        "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://localhost:8585/api", "authProvider": "no-auth"}}
    });
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "the plugin failed: internal error: the plugin panicked: the fixture's record stream broke after 2 records"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("kept: nothing is marked deleted"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(sandbox.path("out.jsonl")).unwrap(), PREVIOUS);
    assert!(!sandbox.path("out.jsonl.partial").exists());
}

#[test]
fn an_output_that_cannot_be_put_in_place_fails_the_run_naming_it() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(seed(&client, &[StreamSpec::new("one", 1)]))
        .unwrap();
    let sandbox = Sandbox::new().unwrap();
    // The named file is a folder: the rename over it fails, and says so.
    std::fs::create_dir(sandbox.path("out.jsonl")).unwrap();
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&emulator.endpoint(), "svc", json!({}))).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("cannot move out.jsonl.partial to out.jsonl"), "{}", run.stdout);
    assert!(sandbox.path("out.jsonl").is_dir());
    assert!(!sandbox.path("out.jsonl.partial").exists());
}
