//! The plugin kit's example plugin (`tests/sdk-minimal-plugin`, the one `plugin-sdk`'s crate
//! documentation shows) is a complete plugin: host-example loads it, shows its schema, checks a
//! workflow against it, runs its test connection and ingests what it yields.

use e2e::{read_jsonl, Sandbox};
use serde_json::json;

#[test]
fn the_kits_minimal_plugin_is_a_complete_plugin() {
    let sandbox = Sandbox::new().unwrap();
    let library = &sandbox.built.sdk_minimal_plugin;
    std::fs::copy(library, sandbox.plugin_dir.join(library.file_name().unwrap())).unwrap();

    let listed = sandbox.host(&["plugins"]).unwrap();
    assert!(listed.stdout.contains("StaticTopics (Messaging service)"), "{}", listed.stdout);
    let schema = sandbox.host(&["schema", "StaticTopics"]).unwrap();
    assert_eq!(schema.code, 0, "{}", schema.stderr);
    let schema: serde_json::Value = serde_json::from_str(&schema.stdout).unwrap();
    assert!(schema["$defs"]["Config"]["properties"]["topics"].is_object(), "{schema}");
    // Its form: the kit's plain uiSchema (no layout of its own), not an error.
    let ui = sandbox.host(&["schema", "StaticTopics", "--ui"]).unwrap();
    assert_eq!(ui.code, 0, "{}", ui.stderr);
    assert!(serde_json::from_str::<serde_json::Value>(&ui.stdout).unwrap().is_object(), "{}", ui.stdout);

    let workflow = |config: serde_json::Value| {
        json!({
            "source": {"type": "StaticTopics", "serviceName": "static",
                "serviceConnection": {"config": config}, "sourceConfig": {"config": {}}},
            "sink": {"type": "file", "config": {"filename": sandbox.path("out.jsonl")}},
            "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://localhost:8585/api", "authProvider": "openmetadata"}}
        })
    };
    let bad = sandbox
        .write_workflow("bad.yaml", &workflow(json!({"type": "StaticTopics", "topics": ["a"], "topicz": []})))
        .unwrap();
    let refused = sandbox.host(&["validate", "-c", bad.to_str().unwrap()]).unwrap();
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    assert!(refused.stderr.contains("topicz"), "the unknown field is named: {}", refused.stderr);

    let wf = sandbox
        .write_workflow("wf.yaml", &workflow(json!({"type": "StaticTopics", "topics": ["orders", "payments.v1"]})))
        .unwrap();
    let test = sandbox.host(&["test-connection", "-c", wf.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    let report: serde_json::Value = serde_json::from_str(&test.stdout).unwrap();
    assert_eq!(report["status"], "Successful", "{report}");

    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["entityTypes"][0]["listed"], 2, "{summary}");
    assert_eq!(summary["entityTypes"][0]["listingComplete"], true, "{summary}");
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let topics: Vec<&str> =
        lines.iter().filter(|l| l["path"] == "/v1/topics").map(|l| l["entityFqn"].as_str().unwrap()).collect();
    assert_eq!(topics, ["static.orders", "static.\"payments.v1\""]);
}
