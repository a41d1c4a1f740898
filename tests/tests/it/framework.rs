//! The wheel in OpenMetadata's own ingestion framework: the real `metadata ingest -c` of
//! openmetadata-ingestion 2.0.7 (installed by scripts/test.sh in `tests/.venv-om`, with the wheel
//! built from this tree) runs our plugins as custom connectors against kinesis-local / moto and
//! the OpenMetadata stand-in, which checks every body against the contract.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::openmetadata::StandIn;
use e2e::proxy::{self, Action, Call};
use e2e::{kinesis_client, put_json_records, rest_workflow, seed, workspace, Emulator, Sandbox, StreamSpec};
use serde_json::{json, Map, Value};

const TOKEN: &str = "eyJ.framework-test.jwt";

/// The framework's environment; it must be there (scripts/test.sh installs it), never skipped.
fn venv() -> PathBuf {
    let venv = workspace().join("tests/.venv-om");
    assert!(
        venv.join("bin/metadata").is_file(),
        "{} has no `metadata` command: scripts/test.sh installs openmetadata-ingestion and the wheel there",
        venv.display()
    );
    venv
}

struct Run {
    code: i32,
    output: String,
}

/// `metadata ingest -c workflow` in the framework's environment, its output (stdout and stderr)
/// kept in a file, waited for at most `limit`.
fn metadata_ingest(sandbox: &Sandbox, workflow: &Value, env: &[(&str, &str)], limit: Duration) -> Run {
    let path = sandbox.write_workflow("custom.yaml", workflow).unwrap();
    let child = spawn_ingest(sandbox, &path, env);
    wait(sandbox, child, limit)
}

fn spawn_ingest(sandbox: &Sandbox, path: &std::path::Path, env: &[(&str, &str)]) -> std::process::Child {
    let log = std::fs::File::create(sandbox.path("ingest.log")).unwrap();
    let mut command = Command::new(venv().join("bin/metadata"));
    command
        .args(["ingest", "-c"])
        .arg(path)
        .current_dir(sandbox.dir.path())
        .env_remove("OM_PLUGIN_DIR")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    for (k, v) in env {
        command.env(k, v);
    }
    // SIGINT as a terminal's Ctrl-C finds it: a harness started in the background (`cargo test &`
    // from a script) ignores it, the child inherits that, and Python then installs no handler.
    use std::os::unix::process::CommandExt as _;
    // SAFETY: between fork and exec only `signal`, which is async-signal-safe, is called.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    command.spawn().unwrap()
}

fn wait(sandbox: &Sandbox, mut child: std::process::Child, limit: Duration) -> Run {
    let log = || std::fs::read_to_string(sandbox.path("ingest.log")).unwrap_or_default();
    let status = e2e::wait_for_exit(&mut child, limit).unwrap_or_else(|e| panic!("metadata ingest {e}:\n{}", log()));
    Run { code: status.code().unwrap_or(128 + 9), output: log() }
}

/// A CustomMessaging workflow naming `openmetadata_plugins.KinesisSource`; `connection` is
/// merged into the connection, `source_config` into `sourceConfig.config`.
fn custom_workflow(service: &str, connection: Value, source_config: Value, host_port: &str) -> Value {
    let mut config = json!({"type": "CustomMessaging", "sourcePythonClass": "openmetadata_plugins.KinesisSource"});
    config.as_object_mut().unwrap().extend(connection.as_object().unwrap().clone());
    let mut sc = json!({"type": "MessagingMetadata"});
    sc.as_object_mut().unwrap().extend(source_config.as_object().unwrap().clone());
    json!({
        "source": {"type": "customMessaging", "serviceName": service,
            "serviceConnection": {"config": config}, "sourceConfig": {"config": sc}},
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO", "openMetadataServerConfig": {
            "hostPort": host_port, "authProvider": "openmetadata", "securityConfig": {"jwtToken": TOKEN}}}
    })
}

fn aws(endpoint: &str) -> Value {
    json!({"awsRegion": e2e::REGION, "awsAccessKeyId": "test", "awsSecretAccessKey": "framework-secret-canary", "endPointURL": endpoint})
}

/// The create bodies of the topics written, by name: single PUTs and bulk writes alike.
fn topic_bodies(om: &StandIn) -> std::collections::BTreeMap<String, Value> {
    let state = om.state.lock().unwrap();
    let mut bodies = std::collections::BTreeMap::new();
    for (path, body) in &state.puts {
        let items: Vec<&Value> = if path == "/api/v1/topics" || path == "/v1/topics" {
            vec![body]
        } else if path.contains("/v1/topics/bulk") {
            body.as_array().map(|a| a.iter().collect()).unwrap_or_default()
        } else {
            continue;
        };
        for item in items {
            if let Some(name) = item["name"].as_str() {
                bodies.insert(name.to_string(), item.clone());
            }
        }
    }
    bodies
}

/// The fields in which two create bodies differ (a value or its presence).
fn differences(a: &Value, b: &Value) -> Vec<String> {
    let empty = Map::new();
    let (a, b) = (a.as_object().unwrap_or(&empty), b.as_object().unwrap_or(&empty));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k).filter(|v| !v.is_null()) != b.get(*k).filter(|v| !v.is_null()))
        .map(|k| format!("{k}: wheel {:?}, host-example {:?}", a.get(k), b.get(k)))
        .collect()
}

fn streams(rt: &tokio::runtime::Runtime, endpoint: &str, names: &[&str], records: usize) {
    let client = kinesis_client(endpoint);
    let specs: Vec<StreamSpec> = names.iter().map(|n| StreamSpec::new(*n, 2)).collect();
    rt.block_on(async {
        seed(&client, &specs).await.unwrap();
        for n in names {
            put_json_records(&client, n, records).await.unwrap();
        }
    });
}

#[test]
fn metadata_ingest_runs_the_kinesis_plugin_and_writes_what_host_example_writes() {
    let rt = e2e::runtime();
    let emulator = Emulator::start().unwrap();
    streams(&rt, &emulator.endpoint(), &["orders", "payments.v2", "clicks"], 5);
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let wf = custom_workflow(
        "kinesis_custom",
        json!({"awsConfig": aws(&emulator.endpoint()), "sampleSize": 3}),
        json!({"generateSampleData": true}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(!run.output.contains("framework-secret-canary"), "a secret in the log:\n{}", run.output);
    {
        let state = om.state.lock().unwrap();
        let service = &state.services["messagingServices"]["kinesis_custom"];
        assert_eq!(service["serviceType"], "CustomMessaging", "{service}");
        assert!(!service.to_string().contains("framework-secret-canary"), "the stored connection keeps no secret");
        let mut names: Vec<&str> = state.live_topics().iter().map(|t| t.fqn.as_str()).collect();
        names.sort();
        assert_eq!(names, vec!["kinesis_custom.\"payments.v2\"", "kinesis_custom.clicks", "kinesis_custom.orders"]);
        let orders = state.topic("kinesis_custom.orders").unwrap();
        assert_eq!(orders.fields["partitions"], 2);
        assert!(orders.fields["retentionTime"].as_f64().unwrap() > 0.0);
        let sample = orders.sample.as_ref().expect("sample data");
        assert_eq!(sample["messages"].as_array().unwrap().len(), 3, "{sample}");
        // Topics are written in bulk by OpenMetadata's own sink.
        assert!(state.calls_to("PUT", "/api/v1/topics/bulk") >= 1);
    }
    // The same streams through host-example, with the equivalent Kinesis workflow.
    let reference = StandIn::start(Some(TOKEN)).unwrap();
    let mut equivalent = rest_workflow(
        &emulator.endpoint(),
        "kinesis_custom",
        json!({"generateSampleData": true, "sampleSize": 3}),
        &reference.host_port(),
        Some(TOKEN),
    );
    equivalent["source"]["serviceConnection"]["config"]["awsConfig"] = aws(&emulator.endpoint());
    let path = sandbox.write_workflow("kinesis.yaml", &equivalent).unwrap();
    let host = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(host.code, 0, "{}\n{}", host.stdout, host.stderr);
    let (ours, theirs) = (topic_bodies(&om), topic_bodies(&reference));
    assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>());
    let mut diff = Vec::new();
    for (name, body) in &ours {
        // The messages sampled differ run to run (a shard's newest records): compare the shape.
        let strip = |v: &Value| {
            let mut v = v.clone();
            if let Some(schema) = v.get_mut("messageSchema") {
                schema.as_object_mut().map(|s| s.remove("schemaText"));
            }
            v
        };
        for d in differences(&strip(body), &strip(&theirs[name])) {
            diff.push(format!("{name}: {d}"));
        }
    }
    println!("differences between the wheel's topics and host-example's: {diff:#?}");
    assert!(diff.is_empty(), "{diff:#?}");
    let service_types = (
        om.state.lock().unwrap().services["messagingServices"]["kinesis_custom"]["serviceType"].clone(),
        reference.state.lock().unwrap().services["messagingServices"]["kinesis_custom"]["serviceType"].clone(),
    );
    println!("service type: wheel {}, host-example {}", service_types.0, service_types.1);
    assert_eq!(service_types, (json!("CustomMessaging"), json!("Kinesis")));
}

#[test]
fn the_wheel_keeps_what_people_wrote_and_leaves_unchanged_topics_unsent() {
    use e2e::converge::{assert_curation_kept, curate, put_shaped, topic_writes};
    let rt = e2e::runtime();
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    rt.block_on(seed(&client, &[StreamSpec::new("orders", 1)])).unwrap();
    rt.block_on(put_shaped(&client, "orders", true, 3));
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let wf = custom_workflow(
        "kinesis_custom",
        json!({"awsConfig": aws(&emulator.endpoint())}),
        json!({"generateSampleData": true}),
        &om.host_port(),
    );
    let ingest = || {
        let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
        assert_eq!(run.code, 0, "{}", run.output);
        run
    };
    const TOPIC: &str = "kinesis_custom.orders";
    ingest();
    curate(&om, TOPIC);
    // The newest records lack two curated fields and retype the third: all three keep what
    // people wrote; the retype is the only version the run makes.
    rt.block_on(put_shaped(&client, "orders", false, 60));
    ingest();
    assert_curation_kept(&om, TOPIC);
    assert_eq!(om.state.lock().unwrap().versions, [(TOPIC.to_string(), 1.0)]);
    // Nothing new: the topic is not sent again (its sample is), and no version is made.
    let writes = topic_writes(&om);
    let run = ingest();
    assert_eq!(topic_writes(&om), writes, "{}", run.output);
    assert!(run.output.contains("written 0, unchanged 1"), "{}", run.output);
    // The calls the plugin made to AWS, as host-example's summary says them.
    let calls =
        run.output.lines().find(|l| l.contains("Kinesis API calls: ")).unwrap_or_else(|| panic!("{}", run.output));
    assert!(calls.contains("DescribeStreamSummary 1") && calls.contains("ListStreams 1"), "{calls}");
    assert_eq!(om.state.lock().unwrap().versions.len(), 1);
    assert!(om.state.lock().unwrap().topic(TOPIC).unwrap().sample.is_some());
}

#[test]
fn the_wheel_classifies_and_masks_through_openmetadatas_own_sink_and_a_persons_tag_wins() {
    let rt = e2e::runtime();
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("people", 1)]).await.unwrap();
        e2e::classification::put_personal(&client, "people", 30).await;
    });
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    const TOPIC: &str = "kinesis_custom.people";
    // A person tagged the card numbers before any classification ran (the topic exists).
    let first = custom_workflow(
        "kinesis_custom",
        json!({"awsConfig": aws(&emulator.endpoint())}),
        json!({"generateSampleData": true}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &first, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(!run.output.contains("AKIAIOSFODNN7EXAMPLE"), "a credential was shown");
    om.curate_field(TOPIC, &["card"], "Test cards only", "PII.NonSensitive");

    let wf = custom_workflow(
        "kinesis_custom",
        json!({"awsConfig": aws(&emulator.endpoint()), "enableAutoClassification": true, "sampleDataMasking": "sensitive"}),
        json!({"generateSampleData": true}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(!run.output.contains("AKIAIOSFODNN7EXAMPLE"), "a credential was shown");
    let state = om.state.lock().unwrap();
    let pii = |path: &[&str]| -> Vec<Value> {
        let field = state.field(TOPIC, path).unwrap_or_else(|| panic!("{path:?}"));
        let tags = field["tags"].as_array().cloned().unwrap_or_default();
        tags.into_iter().filter(|t| t["tagFQN"].as_str().unwrap_or_default().starts_with("PII.")).collect()
    };
    let email = pii(&["contact", "email"]);
    assert_eq!(email.len(), 1, "{email:?}");
    assert_eq!(
        (&email[0]["tagFQN"], &email[0]["labelType"], &email[0]["state"], &email[0]["reason"]),
        (
            &json!("PII.Sensitive"),
            &json!("Generated"),
            &json!("Suggested"),
            &json!("EMAIL_ADDRESS in 30 of 30 sampled values")
        )
    );
    assert_eq!(pii(&["contact", "phone"])[0]["tagFQN"], "PII.NonSensitive");
    let card = pii(&["card"]);
    assert_eq!((card.len(), &card[0]["labelType"]), (1, &json!("Manual")), "the person's tag stays alone: {card:?}");
    for name in ["id", "order", "sku", "trace", "ref", "version", "at", "price", "note"] {
        assert!(pii(&[name]).is_empty(), "a look-alike was tagged: {name}");
    }
    let sample = state.topic(TOPIC).unwrap().sample.clone().unwrap();
    let text = sample.to_string();
    assert!(!text.contains("@example.com") && !text.contains("AKIA"), "{text}");
    let first: Value = serde_json::from_str(sample["messages"][0].as_str().unwrap()).unwrap();
    assert_eq!(first["contact"]["email"], "********", "masked, its key kept: {first}");
}

#[test]
fn connection_options_as_the_ui_writes_them_give_the_same_topics() {
    let rt = e2e::runtime();
    let emulator = Emulator::start().unwrap();
    streams(&rt, &emulator.endpoint(), &["alpha", "beta"], 3);
    let sandbox = Sandbox::new().unwrap();
    let fields = StandIn::start(Some(TOKEN)).unwrap();
    let wf = custom_workflow(
        "svc",
        json!({"awsConfig": aws(&emulator.endpoint()), "sampleSize": 2, "topicFilterPattern": {"includes": ["^a"]}}),
        json!({"generateSampleData": true}),
        &fields.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    let options = StandIn::start(Some(TOKEN)).unwrap();
    let wf = custom_workflow(
        "svc",
        json!({"connectionOptions": {"awsRegion": e2e::REGION, "awsAccessKeyId": "test",
            "awsSecretAccessKey": "framework-secret-canary", "endPointURL": emulator.endpoint(), "sampleSize": "2",
            "topicFilterPattern": "{\"includes\": [\"^a\"]}"}}),
        json!({"generateSampleData": true}),
        &options.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    let (a, b) = (topic_bodies(&fields), topic_bodies(&options));
    assert_eq!(a.keys().collect::<Vec<_>>(), vec!["alpha"], "the filter applied");
    assert_eq!(differences(&a["alpha"], &b["alpha"]), Vec::<String>::new());
    let sample = |om: &StandIn| om.state.lock().unwrap().topic("svc.alpha").unwrap().sample.clone().unwrap();
    assert_eq!(sample(&fields)["messages"].as_array().unwrap().len(), 2);
    assert_eq!(sample(&options)["messages"].as_array().unwrap().len(), 2);
    let stored = options.state.lock().unwrap().services["messagingServices"]["svc"].to_string();
    assert!(!stored.contains("framework-secret-canary"), "{stored}");
}

#[test]
fn bad_options_are_refused_before_anything_runs_naming_each_field() {
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let wf = custom_workflow(
        "svc",
        json!({"connectionOptions": {"awsRegion": "eu-west-1a", "sampleSize": "fifty", "awsRegoin": "x",
            "awsSecretAccessKey": "framework-secret-canary", "awsAccessKeyId": "k"}}),
        json!({}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(120));
    assert_ne!(run.code, 0, "{}", run.output);
    for field in [
        "serviceConnection.config.connectionOptions.sampleSize: is not a whole number",
        "serviceConnection.config.connectionOptions.awsRegoin: not a setting of this connector",
    ] {
        assert!(run.output.contains(field), "{field} not named:\n{}", run.output);
    }
    assert!(!run.output.contains("framework-secret-canary"), "{}", run.output);
    // With the typo and the number mended, the availability zone is named by the plugin's check.
    let wf = custom_workflow(
        "svc",
        json!({"connectionOptions": {"awsRegion": "eu-west-1a", "sampleSize": "50",
            "awsSecretAccessKey": "framework-secret-canary", "awsAccessKeyId": "k"}}),
        json!({}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(120));
    assert_ne!(run.code, 0, "{}", run.output);
    assert!(
        run.output.contains("serviceConnection.config.connectionOptions.awsRegion: ")
            && run.output.contains("availability zone"),
        "{}",
        run.output
    );
    assert_eq!(om.state.lock().unwrap().calls_to("PUT", "/api/v1/topics"), 0, "nothing was written");
}

#[test]
fn stale_topics_are_soft_deleted_after_a_complete_run_and_kept_after_a_failed_listing() {
    let rt = e2e::runtime();
    let emulator = Emulator::start().unwrap();
    streams(&rt, &emulator.endpoint(), &["s1", "s2", "s3", "s4"], 1);
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let wf = custom_workflow("svc", json!({"awsConfig": aws(&emulator.endpoint())}), json!({}), &om.host_port());
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(om.state.lock().unwrap().live_topics().len(), 4);
    // A topic of the service that no stream stands for any more.
    om.seed("topics", "svc", "svc.gone");
    // A listing that fails: nothing is deleted, and the run says it failed.
    let rule: proxy::Rule = Arc::new(|call: &Call| {
        if call.operation == "ListStreams" {
            Action::Fail { status: 500, code: "InternalFailure".into(), message: "injected".into() }
        } else {
            Action::Forward { delay: Duration::ZERO }
        }
    });
    let failing = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    let wf_failing = custom_workflow(
        "svc",
        json!({"awsConfig": aws(&failing.endpoint()), "maxDeleteShare": 1}),
        json!({}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf_failing, &[], Duration::from_secs(180));
    assert_ne!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("nothing is marked deleted after an incomplete listing"), "{}", run.output);
    assert_eq!(om.state.lock().unwrap().calls.iter().filter(|(m, _)| m == "DELETE").count(), 0);
    assert_eq!(om.state.lock().unwrap().live_topics().len(), 5);
    // A complete run deletes the stale topic, and only it.
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("soft-deleted 1: svc.gone"), "{}", run.output);
    let state = om.state.lock().unwrap();
    let live: Vec<&str> = state.live_topics().iter().map(|t| t.fqn.as_str()).collect();
    assert_eq!(live.len(), 4, "{live:?}");
    assert!(state.topic("svc.gone").unwrap().deleted);
}

#[test]
fn test_connection_runs_the_plugins_steps_through_openmetadatas_own_function() {
    let emulator = Emulator::start().unwrap();
    let rt = e2e::runtime();
    streams(&rt, &emulator.endpoint(), &["tc"], 1);
    let script = r#"
import json, sys
from metadata.generated.schema.entity.services.connections.messaging.customMessagingConnection import CustomMessagingConnection
from metadata.ingestion.source.connections import test_connection_common
from metadata.ingestion.connections.test_connections import SourceConnectionException
from openmetadata_plugins import connection
good = CustomMessagingConnection.model_validate(json.loads(sys.argv[1]))
result = connection.run_steps(None, good)
print("STEPS", json.dumps([[s.name, s.passed, s.mandatory] for s in result.steps]))
test_connection_common(None, None, good)
print("GOOD PASSED")
bad = CustomMessagingConnection.model_validate(json.loads(sys.argv[2]))
try:
    test_connection_common(None, None, bad)
    print("BAD PASSED")
except SourceConnectionException as err:
    print("BAD REFUSED", err)
"#;
    let connection = |endpoint: &str| {
        json!({"type": "CustomMessaging", "sourcePythonClass": "openmetadata_plugins.KinesisSource",
            "connectionOptions": {"awsRegion": e2e::REGION, "awsAccessKeyId": "test",
                "awsSecretAccessKey": "framework-secret-canary", "endPointURL": endpoint}})
        .to_string()
    };
    let unreachable = format!("http://127.0.0.1:{}", e2e::free_port().unwrap());
    let out = Command::new(venv().join("bin/python"))
        .args(["-c", script, &connection(&emulator.endpoint()), &connection(&unreachable)])
        .env_remove("OM_PLUGIN_DIR")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let steps = stdout.lines().find_map(|l| l.strip_prefix("STEPS ")).expect("steps printed");
    let steps: Vec<(String, bool, bool)> = serde_json::from_str(steps).unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(names, vec!["GetTopics", "DescribeTopic", "ListShards", "GetShardIterator", "GetRecords"]);
    assert!(steps.iter().all(|s| s.1), "{steps:?}");
    assert!(stdout.contains("GOOD PASSED"), "{stdout}");
    assert!(stdout.contains("BAD REFUSED Failed to run the test connection step: GetTopics"), "{stdout}\n{stderr}");
    assert!(!stdout.contains("framework-secret-canary") && !stderr.contains("framework-secret-canary"));
}

#[test]
fn a_plugin_panic_is_a_python_exception_and_the_interpreter_goes_on() {
    let sandbox = Sandbox::new().unwrap();
    let script = r#"
import json, sys
from openmetadata_plugins import _native, PluginError
found = _native.load_plugins(sys.argv[1])
print("SKIPPED", len(found.skipped))
plugin = found.find("Panicking")
run = plugin.open(json.dumps({"serviceName": "svc"}))
records = 0
try:
    while True:
        item = run.next(1.0)
        if item is not None:
            records += 1
except PluginError as err:
    print("RAISED", records, err)
print("STILL HERE")
"#;
    let out = Command::new(venv().join("bin/python"))
        .args(["-c", script, sandbox.plugin_dir.to_str().unwrap()])
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("RAISED 2 the plugin failed:") && stdout.contains("broke after 2 records"), "{stdout}");
    assert!(stdout.contains("STILL HERE"), "{stdout}");
    // The sandbox holds a broken file, a text file, another library and older contracts: each
    // skipped with a reason, none a crash.
    let skipped: usize = stdout.lines().find_map(|l| l.strip_prefix("SKIPPED ")).unwrap().parse().unwrap();
    assert!(skipped >= 4, "{stdout}");
}

#[test]
fn sigint_stops_metadata_ingest_within_seconds_and_deletes_nothing() {
    let rt = e2e::runtime();
    let emulator = Emulator::start().unwrap();
    let names: Vec<String> = (0..6).map(|i| format!("slow-{i}")).collect();
    streams(&rt, &emulator.endpoint(), &names.iter().map(String::as_str).collect::<Vec<_>>(), 1);
    // Every describe answers late: the run is still going when the signal comes.
    let rule: proxy::Rule = Arc::new(|call: &Call| {
        let delay = if call.operation == "DescribeStreamSummary" { Duration::from_secs(3) } else { Duration::ZERO };
        Action::Forward { delay }
    });
    let slow = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.seed("topics", "svc", "svc.stale");
    let wf = custom_workflow(
        "svc",
        json!({"awsConfig": aws(&slow.endpoint()), "maxDeleteShare": 1, "describeConcurrency": 1}),
        json!({}),
        &om.host_port(),
    );
    let path = sandbox.write_workflow("custom.yaml", &wf).unwrap();
    let child = spawn_ingest(&sandbox, &path, &[]);
    e2e::wait_until(Duration::from_secs(120), "the plugin to describe a stream", || {
        slow.calls("DescribeStreamSummary") >= 1
    })
    .unwrap();
    let sent = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let run = wait(&sandbox, child, Duration::from_secs(30));
    let took = sent.elapsed();
    assert_ne!(run.code, 0, "{}", run.output);
    assert!(took < Duration::from_secs(15), "stopped after {took:?}:\n{}", run.output);
    let state = om.state.lock().unwrap();
    assert_eq!(state.calls.iter().filter(|(m, _)| m == "DELETE").count(), 0, "{:?}", state.calls);
    assert!(!state.topic("svc.stale").unwrap().deleted);
}

#[test]
fn a_custom_pipeline_runs_the_firehose_plugin_with_lineage_and_reports_its_pipeline_status() {
    use e2e::{create_delivery_stream, firehose_client, Delivery, Moto};
    let moto = Moto::start().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let rt = e2e::runtime();
    rt.block_on(async {
        let kinesis = kinesis_client(&endpoint);
        seed(&kinesis, &[StreamSpec::new("orders", 1), StreamSpec::new("audit", 1)]).await.unwrap();
        let mut arns = std::collections::HashMap::new();
        for name in ["orders", "audit"] {
            let d = kinesis.describe_stream_summary().stream_name(name).send().await.unwrap();
            arns.insert(name, d.stream_description_summary.unwrap().stream_arn);
        }
        let firehose = firehose_client(&endpoint);
        for (name, delivery) in [
            ("orders-to-lake", Delivery::KinesisToS3 { stream_arn: &arns["orders"], bucket: "lake" }),
            ("audit-to-archive", Delivery::KinesisToS3 { stream_arn: &arns["audit"], bucket: "archive" }),
        ] {
            create_delivery_stream(&firehose, name, delivery).await.unwrap();
        }
    });
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.seed("containers", "s3_prod", "s3_prod.lake");
    om.add_ingestion_pipeline("firehose_prod.metadata_pipeline");
    // The topics first, by the Kinesis plugin in the same framework.
    let kinesis = custom_workflow(
        "kinesis_prod",
        json!({"awsConfig": aws(&endpoint), "enforceApiBudget": false}),
        json!({}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &kinesis, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    let firehose = json!({
        "source": {"type": "customPipeline", "serviceName": "firehose_prod",
            "serviceConnection": {"config": {"type": "CustomPipeline", "sourcePythonClass": "openmetadata_plugins.FirehoseSource",
                "awsConfig": aws(&endpoint), "messagingServiceName": "kinesis_prod",
                "connectionOptions": {"enforceApiBudget": "false"}}},
            "sourceConfig": {"config": {"type": "PipelineMetadata",
                "lineageInformation": {"storageServiceNames": ["s3_prod"]}}}},
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {"loggerLevel": "INFO", "openMetadataServerConfig": {
            "hostPort": om.host_port(), "authProvider": "openmetadata", "securityConfig": {"jwtToken": TOKEN}}},
        "ingestionPipelineFQN": "firehose_prod.metadata_pipeline",
    });
    let run = metadata_ingest(&sandbox, &firehose, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    let state = om.state.lock().unwrap();
    assert_eq!(state.services["pipelineServices"]["firehose_prod"]["serviceType"], "CustomPipeline");
    let mut pipelines: Vec<&str> = state.of("pipelines").iter().map(|p| p.fqn.as_str()).collect();
    pipelines.sort();
    assert_eq!(pipelines, vec!["firehose_prod.audit-to-archive", "firehose_prod.orders-to-lake"]);
    // Lineage exactly where both ends exist: the archive bucket is not in OpenMetadata.
    let lineage = state.lineage_fqns();
    assert_eq!(
        lineage,
        vec![(
            "kinesis_prod.orders".to_string(),
            "s3_prod.lake".to_string(),
            Some("firehose_prod.orders-to-lake".to_string())
        )],
        "{lineage:?}"
    );
    assert!(run.output.contains("lineage edge skipped") && run.output.contains("archive"), "{}", run.output);
    // OpenMetadata's own status reporting, through the framework.
    let statuses: Vec<&Value> = state
        .pipeline_statuses
        .iter()
        .filter(|(fqn, _)| fqn == "firehose_prod.metadata_pipeline")
        .map(|(_, s)| s)
        .collect();
    let calls: Vec<&(String, String)> = state.calls.iter().filter(|(_, p)| p.contains("ingestionPipelines")).collect();
    assert!(statuses.iter().any(|s| s["pipelineState"] == "running"), "{statuses:?} {calls:?}\n{}", run.output);
    assert_eq!(statuses.last().unwrap()["pipelineState"], "success", "{statuses:?}");
}

/// A workflow this repository ships in `examples/`, as JSON (read by the framework's own YAML
/// library).
fn example(name: &str) -> Value {
    let path = workspace().join("examples").join(name);
    let out = Command::new(venv().join("bin/python"))
        .args(["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_shipped_integrations_example_runs_as_a_custom_pipeline_with_the_lineage_aws_states() {
    use e2e::Moto;
    let moto = Moto::start().unwrap();
    moto.python(e2e::integrations_account::SEED).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_ingestion_pipeline("kinesis_integrations.metadata_pipeline");
    // The topics first, by the Kinesis plugin in the same framework; `ghost` left out.
    let kinesis = custom_workflow(
        "kinesis_prod",
        json!({"awsConfig": aws(&moto.endpoint()), "enforceApiBudget": false}),
        json!({"topicFilterPattern": {"excludes": ["ghost"]}}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &kinesis, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    // The example as shipped, pointed at moto and the stand-in.
    let mut workflow = example("kinesis-integrations-custom-pipeline.yaml");
    let connection = &mut workflow["source"]["serviceConnection"]["config"];
    assert_eq!(connection["sourcePythonClass"], "openmetadata_plugins.KinesisIntegrationsSource");
    connection["awsConfig"] = aws(&moto.endpoint());
    connection["connectionOptions"] = json!({"enforceApiBudget": "false"});
    let server = &mut workflow["workflowConfig"]["openMetadataServerConfig"];
    server["hostPort"] = json!(om.host_port());
    server["securityConfig"]["jwtToken"] = json!(TOKEN);
    workflow["ingestionPipelineFQN"] = json!("kinesis_integrations.metadata_pipeline");
    let calls_before = om.state.lock().unwrap().calls.len();
    let run = metadata_ingest(&sandbox, &workflow, &[], Duration::from_secs(300));
    assert_eq!(run.code, 0, "{}", run.output);

    let state = om.state.lock().unwrap();
    // A lineage end is looked up once a run, however many edges it has (as host-example does).
    let orders = state.calls[calls_before..]
        .iter()
        .filter(|(m, p)| m == "GET" && p.split('?').next() == Some("/api/v1/topics/name/kinesis_prod.orders"))
        .count();
    assert_eq!(orders, 1, "{:?}", &state.calls[calls_before..]);
    // Its pipelines are new: the source reads no edge before it yields it. (OpenMetadata's own
    // sink reads each edge it is given, once, to patch rather than replace it.)
    let edges = e2e::integrations_account::lineage().len();
    assert_eq!(state.calls_to("GET", "/api/v1/lineage/getLineageEdge"), edges, "{}", run.output);
    let service = &state.services["pipelineServices"]["kinesis_integrations"];
    assert_eq!(service["serviceType"], "CustomPipeline");
    // The AWS secret key is in neither the stored connection nor the log.
    assert!(!service.to_string().contains("framework-secret-canary"), "{service}");
    assert!(!run.output.contains("framework-secret-canary"), "{}", run.output);
    let mut pipelines: Vec<String> = state.of("pipelines").iter().map(|p| p.fqn.clone()).collect();
    pipelines.sort();
    assert_eq!(pipelines, e2e::integrations_account::pipelines(), "{}", run.output);
    let mut edges = state.lineage_fqns();
    edges.sort();
    assert_eq!(edges, e2e::integrations_account::lineage(), "exactly the wiring AWS states\n{}", run.output);
    assert!(
        run.output.contains("lineage edge skipped") && run.output.contains("kinesis_prod.ghost"),
        "the edge to the stream the Kinesis service left out is skipped and named:\n{}",
        run.output
    );
    let statuses: Vec<&Value> = state
        .pipeline_statuses
        .iter()
        .filter(|(fqn, _)| fqn == "kinesis_integrations.metadata_pipeline")
        .map(|(_, s)| s)
        .collect();
    assert_eq!(statuses.last().map(|s| &s["pipelineState"]), Some(&json!("success")), "{statuses:?}");
    let lineage_writes = state.calls_to("PUT", "/api/v1/lineage");
    drop(state);

    // Again, nothing changed in AWS: every edge is read, found as it would be written, and not
    // sent again.
    let run = metadata_ingest(&sandbox, &workflow, &[], Duration::from_secs(300));
    assert_eq!(run.code, 0, "{}", run.output);
    assert_eq!(om.state.lock().unwrap().calls_to("PUT", "/api/v1/lineage"), lineage_writes, "{}", run.output);
    let said = format!("lineage edges: 0 sent, {} unchanged", e2e::integrations_account::lineage().len());
    assert!(run.output.contains(&said), "{said}:\n{}", run.output);
}

/// On moto: a registry with an Avro schema, a tagged stream whose records the registry's
/// serializer framed (after `e2e::REGISTRY_FRAMING_PY`).
const REGISTRY_SETUP: &str = r#"
import boto3, os, uuid
kw = dict(endpoint_url=os.environ["MOTO"], region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
glue = boto3.client("glue", **kw)
glue.create_registry(RegistryName="shop")
schema = '{"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "id", "type": "long"}, {"name": "item", "type": "string"}]}'
version = glue.create_schema(RegistryId={"RegistryName": "shop"}, SchemaName="orders", DataFormat="AVRO",
    Compatibility="NONE", SchemaDefinition=schema)["SchemaVersionId"]
k = boto3.client("kinesis", **kw)
k.create_stream(StreamName="orders", ShardCount=1)
k.add_tags_to_stream(StreamName="orders", Tags={"team": "payments", "owner": "alice"})
for i in range(1, 4):
    item = ("item-%d" % i).encode()
    k.put_record(StreamName="orders", PartitionKey="k", Data=frame(version, zigzag(i) + zigzag(len(item)) + item))
"#;

#[test]
fn tags_owners_and_registry_schemas_reach_openmetadata_through_its_own_sink() {
    use e2e::Moto;
    // Registry schemas, on moto (which serves Glue; its GetResources does not know streams).
    let moto = Moto::start().unwrap();
    let out = Command::new(workspace().join("tests/.venv-moto/bin/python"))
        .arg("-c")
        .arg(format!("{}{REGISTRY_SETUP}", e2e::REGISTRY_FRAMING_PY))
        .env("MOTO", moto.endpoint())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sandbox = Sandbox::new().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let wf = custom_workflow(
        "kinesis_prod",
        json!({"awsConfig": aws(&moto.endpoint()), "enforceApiBudget": false}),
        json!({"generateSampleData": true}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    {
        let state = om.state.lock().unwrap();
        let topic = state.topic("kinesis_prod.orders").expect("the topic");
        let schema = &topic.fields["messageSchema"];
        assert_eq!(schema["schemaType"], "Avro", "{schema}");
        assert!(schema["schemaText"].as_str().unwrap().contains("\"Order\""), "{schema}");
        let messages = topic.sample.as_ref().expect("sample data")["messages"].as_array().unwrap().clone();
        assert!(messages.iter().any(|m| m.as_str().unwrap().contains("item-")), "decoded: {messages:?}");
    }

    // Tags and owners, on kinesis-local (tags read stream by stream).
    let rt = e2e::runtime();
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("orders.v1", 1), StreamSpec::new("clicks", 1)]).await.unwrap();
        for (name, tags) in [
            ("orders.v1", [("team", "payments"), ("owner", "alice")]),
            ("clicks", [("team", "web"), ("owner", "nobody")]),
        ] {
            let map = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            client.add_tags_to_stream().stream_name(name).set_tags(Some(map)).send().await.unwrap();
        }
    });
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_owner("user", "alice");
    let wf = custom_workflow(
        "kinesis_prod",
        json!({"awsConfig": aws(&emulator.endpoint()), "includeTags": true, "enforceApiBudget": false}),
        json!({}),
        &om.host_port(),
    );
    let run = metadata_ingest(&sandbox, &wf, &[], Duration::from_secs(180));
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(
        run.output.contains("the owner 'nobody' of kinesis_prod.clicks is neither a user nor a team"),
        "{}",
        run.output
    );
    let state = om.state.lock().unwrap();
    let tags_of = |fqn: &str| -> Vec<(String, String)> {
        let topic = state.topic(fqn).unwrap_or_else(|| panic!("no topic {fqn}"));
        topic
            .fields
            .get("tags")
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no tags on {fqn}: {:?}\n{}", topic.fields, run.output))
            .iter()
            .map(|t| (t["tagFQN"].as_str().unwrap().to_string(), t["labelType"].as_str().unwrap().to_string()))
            .collect()
    };
    assert_eq!(tags_of("kinesis_prod.\"orders.v1\""), vec![("team.payments".to_string(), "Automated".to_string())]);
    assert_eq!(tags_of("kinesis_prod.clicks"), vec![("team.web".to_string(), "Automated".to_string())]);
    assert_eq!(state.classifications["team"]["provider"], "automation");
    assert_eq!(state.calls_to("PUT", "/api/v1/classifications"), 2, "the classification is sent back unchanged once");
    let topic = state.topic("kinesis_prod.\"orders.v1\"").unwrap();
    assert_eq!(topic.fields["owners"], json!([{"id": state.users["alice"], "type": "user"}]));
    assert!(!state.topic("kinesis_prod.clicks").unwrap().fields.contains_key("owners"), "an owner is never created");
}

/// `_native.pyi` describes the extension the wheel carries: the same names, and the same
/// parameters for each function and method.
#[test]
fn the_native_stub_names_what_the_extension_has() {
    let script = r#"
import ast, inspect, sys
import openmetadata_plugins._native as native
stub = ast.parse(open(sys.argv[1]).read())
described = {}
for node in stub.body:
    if isinstance(node, ast.FunctionDef):
        described[node.name] = [a.arg for a in node.args.args]
    elif isinstance(node, ast.ClassDef):
        described[node.name] = None
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name != "__init__":
                described[node.name + "." + item.name] = [a.arg for a in item.args.args][1:]
            elif isinstance(item, ast.AnnAssign):
                described[node.name + "." + item.target.id] = None
    elif isinstance(node, ast.AnnAssign):
        described[node.target.id] = None
    elif isinstance(node, ast.Assign):
        described[node.targets[0].id] = None
actual = {}
for name in dir(native):
    if name.startswith("_"):
        continue
    value = getattr(native, name)
    if inspect.isclass(value):
        actual[name] = None
        if issubclass(value, BaseException):
            continue
        for attr, member in vars(value).items():
            if attr.startswith("_"):
                continue
            try:
                params = list(inspect.signature(member).parameters)[1:] if callable(member) else None
            except (TypeError, ValueError):
                params = None
            actual[name + "." + attr] = params
    elif callable(value):
        actual[name] = list(inspect.signature(value).parameters)
    else:
        actual[name] = None
missing = sorted(set(actual) - set(described))
extra = sorted(set(described) - set(actual))
differ = sorted(n for n in set(actual) & set(described) if actual[n] is not None and described[n] is not None and actual[n] != described[n])
print("MISSING", missing)
print("EXTRA", extra)
print("DIFFER", [(n, actual[n], described[n]) for n in differ])
"#;
    let stub = workspace().join("host-python/python/openmetadata_plugins/_native.pyi");
    let out = Command::new(venv().join("bin/python")).args(["-c", script]).arg(&stub).output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for line in ["MISSING []", "EXTRA []", "DIFFER []"] {
        assert!(stdout.lines().any(|l| l == line), "_native.pyi and the extension disagree:\n{stdout}");
    }
}
