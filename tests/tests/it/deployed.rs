//! Runs as OpenMetadata's server deploys them: a workflow naming its ingestion pipeline
//! (`ingestionPipelineFQN`, `pipelineRunId`) reports `running` and then its final state to
//! OpenMetadata; `successThreshold` and `raiseOnError` decide that state and the exit code; a
//! workflow without `serviceConnection` runs with the connection stored in OpenMetadata.

use e2e::openmetadata::StandIn;
use e2e::{kinesis_client, rest_workflow, seed, Emulator, Sandbox, StreamSpec};
use serde_json::{json, Value};

const TOKEN: &str = "deployed-jwt";
const PIPELINE: &str = "kinesis_prod.metadata_ingestion";

fn emulator_with(names: &[&str]) -> Emulator {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(seed(&client, &names.iter().map(|n| StreamSpec::new(*n, 1)).collect::<Vec<_>>())).unwrap();
    emulator
}

/// A workflow as the server deploys it: its pipeline's FQN and the run id.
fn deployed(endpoint: &str, om: &StandIn, workflow_config: Value) -> Value {
    let mut wf = rest_workflow(endpoint, "kinesis_prod", json!({}), &om.host_port(), Some(TOKEN));
    wf["ingestionPipelineFQN"] = PIPELINE.into();
    wf["pipelineRunId"] = "3f2b6c1e-0000-4000-8000-000000000001".into();
    if let (Some(c), Some(extra)) = (wf["workflowConfig"].as_object_mut(), workflow_config.as_object()) {
        c.extend(extra.clone());
    }
    wf
}

fn statuses(om: &StandIn) -> Vec<Value> {
    om.state
        .lock()
        .unwrap()
        .pipeline_statuses
        .iter()
        .map(|(fqn, s)| {
            assert_eq!(fqn, PIPELINE);
            s.clone()
        })
        .collect()
}

#[test]
fn a_deployed_run_reports_running_then_success_with_a_summary_per_step() {
    let emulator = emulator_with(&["orders", "payments", "clicks"]);
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_ingestion_pipeline(PIPELINE);
    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox.write_workflow("wf.yaml", &deployed(&emulator.endpoint(), &om, json!({}))).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        e2e::summaries(&run)[0]["pipelineStatus"],
        "success (run 3f2b6c1e-0000-4000-8000-000000000001)",
        "{}",
        run.stdout
    );

    let s = statuses(&om);
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!(s[0]["pipelineState"], "running");
    assert_eq!(s[1]["pipelineState"], "success");
    assert!(s.iter().all(|s| s["runId"] == "3f2b6c1e-0000-4000-8000-000000000001"));
    assert!(s[1]["endDate"].as_i64().unwrap() >= s[1]["startDate"].as_i64().unwrap());
    assert_eq!(s[1]["status"][0]["name"], "Kinesis");
    assert_eq!(s[1]["status"][0]["records"], 3);
    assert_eq!(s[1]["status"][1]["name"], "OpenMetadata");
    assert_eq!(s[1]["status"][1]["records"], 3);
    assert_eq!(s[1]["status"][1]["errors"], 0);
}

#[test]
fn the_success_threshold_and_raise_on_error_decide_the_state_and_the_exit_code() {
    let emulator = emulator_with(&["s-1", "s-2", "s-3", "s-4"]);
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_ingestion_pipeline(PIPELINE);
    om.state.lock().unwrap().reject_topics = vec!["s-2".into()];
    let sandbox = Sandbox::new().unwrap();
    let last_state = |om: &StandIn| statuses(om).last().unwrap()["pipelineState"].clone();
    // (successThreshold, raiseOnError) → (exit code, state): 3 of 4 topics written is 75%.
    let cases = [
        (json!({"successThreshold": 70, "raiseOnError": false}), 0, "partialSuccess"),
        (json!({"successThreshold": 70}), 1, "partialSuccess"),
        (json!({"successThreshold": 80, "raiseOnError": false}), 1, "failed"),
    ];
    for (config, code, state) in cases {
        let wf = sandbox.write_workflow("wf.yaml", &deployed(&emulator.endpoint(), &om, config.clone())).unwrap();
        let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
        assert_eq!(run.code, code, "{config}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(last_state(&om), state, "{config}");
        assert_eq!(e2e::summaries(&run)[0]["successPercent"], 75.0, "{}", run.stdout);
    }
    let s = statuses(&om);
    let failures = &s.last().unwrap()["status"][1]["failures"];
    assert_eq!(failures[0]["name"], "kinesis_prod.s-2", "{failures}");
    // Nothing is deleted after a run with failures, whatever the threshold.
    assert_eq!(om.state.lock().unwrap().calls_to("DELETE", "/api/v1/topics"), 0);
}

#[test]
fn a_run_that_fails_reports_failed_and_a_missing_pipeline_is_a_warning() {
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_ingestion_pipeline(PIPELINE);
    let sandbox = Sandbox::new().unwrap();
    // Nothing listens at this endpoint: the listing fails.
    let nowhere = format!("http://127.0.0.1:{}", e2e::free_port().unwrap());
    let wf = sandbox.write_workflow("wf.yaml", &deployed(&nowhere, &om, json!({}))).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let states: Vec<Value> = statuses(&om).iter().map(|s| s["pipelineState"].clone()).collect();
    assert_eq!(states, [json!("running"), json!("failed")]);

    let emulator = emulator_with(&["orders"]);
    let mut wf = deployed(&emulator.endpoint(), &om, json!({}));
    wf["ingestionPipelineFQN"] = "kinesis_prod.not_deployed".into();
    let path = sandbox.write_workflow("wf2.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("the status of ingestion pipeline 'kinesis_prod.not_deployed' is not reported: it does not exist in OpenMetadata"),
        "{}",
        run.stdout
    );
    assert_eq!(statuses(&om).len(), 2, "nothing more was reported");
}

#[test]
fn a_workflow_without_a_connection_uses_the_one_stored_in_openmetadata() {
    let emulator = emulator_with(&["orders", "payments"]);
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let stored = |secret: &str| {
        json!({"config": {"type": "Kinesis", "awsConfig": {
            "awsRegion": e2e::REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": secret,
            "endPointURL": emulator.endpoint()
        }}})
    };
    om.add_service("messagingServices", "kinesis_prod", "Kinesis", stored("stored-secret-value"));
    let sandbox = Sandbox::new().unwrap();
    let mut wf = rest_workflow(&emulator.endpoint(), "kinesis_prod", json!({}), &om.host_port(), Some(TOKEN));
    wf["source"].as_object_mut().unwrap().remove("serviceConnection");
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(e2e::written(&e2e::summary_of(&run, "topic")), 2, "{}", run.stdout);
    assert!(!run.stdout.contains("stored-secret-value") && !run.stderr.contains("stored-secret-value"));
    {
        let state = om.state.lock().unwrap();
        assert_eq!(state.calls_to("GET", "/api/v1/services/messagingServices/name/kinesis_prod?fields=connection"), 1);
        // That read proved the token: the service is not read a second time.
        assert_eq!(state.calls_to("GET", "/api/v1/services/messagingServices/name/"), 1);
    }

    // A connection whose secrets the server masked for this token: refused, named.
    om.add_service("messagingServices", "kinesis_prod", "Kinesis", stored("*********"));
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("came back with its secrets masked (awsSecretAccessKey)"), "{}", run.stderr);

    // No such service: refused, named.
    wf["source"]["serviceName"] = "kinesis_nowhere".into();
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("OpenMetadata has no messaging service 'kinesis_nowhere'"), "{}", run.stderr);
}

#[test]
fn output_json_prints_one_summary_object_per_workflow_for_scripts() {
    let emulator = emulator_with(&["orders", "payments"]);
    let sandbox = Sandbox::new().unwrap();
    let wf =
        sandbox.write_workflow("wf.yaml", &e2e::workflow(&emulator.endpoint(), "kinesis_prod", json!({}))).unwrap();
    let run =
        sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    let s = &lines[0];
    assert_eq!(s["state"], "success");
    assert_eq!(s["exitCode"], 0);
    assert_eq!(s["successPercent"], 100.0);
    assert_eq!(s["steps"][0]["name"], "Kinesis");
    assert_eq!(s["steps"][0]["records"], 2);
    assert_eq!(s["steps"][1]["name"], "File");
    assert_eq!(s["entityTypes"][0]["entityType"], "topic");
    assert_eq!(s["entityTypes"][0]["listed"], 2);
    assert!(s["workflow"].as_str().unwrap().ends_with("wf.yaml"));

    let help = sandbox.host(&["--help"]).unwrap();
    assert!(
        help.stdout.contains("Exit codes:") && help.stdout.contains("143  interrupted by SIGTERM"),
        "{}",
        help.stdout
    );
}
