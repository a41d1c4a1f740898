//! The plugin contract across versions: plugins of an incompatible major version (0.9, 1.1)
//! are refused with a message; a plugin of a later 2.x (a named function, a record kind and an
//! entity type this host does not know, a manifest field it does not know) loads and runs, its
//! unknown records skipped with a warning; a plugin of 2.0 loads in a host of a later 2.x,
//! which learns that it lacks the newer function.

use std::process::Command;

use e2e::{read_jsonl, Sandbox};
use serde_json::json;

#[test]
fn plugins_of_another_major_are_refused_and_a_later_minor_is_listed() {
    let sandbox = Sandbox::new().unwrap();
    let run = sandbox.host(&["plugins"]).unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = |needle: &str| run.stdout.lines().find(|l| l.contains(needle)).unwrap_or_default().to_string();
    assert!(
        line("Kinesis (Messaging service)").contains("contract 2.3.0, payload format 2, entity types: topic"),
        "{}",
        run.stdout
    );
    assert!(line("NewerContract (Messaging service)").contains("contract 2.4.0"), "{}", run.stdout);
    assert!(
        run.stdout.contains("libv1_abi_plugin.so: built against plugin contract 1.1.0; this host speaks 2.3.0"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("libold_abi_plugin.so: built against plugin contract 0.9.0; this host speaks 2.3.0"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_plugin_of_a_later_minor_runs_and_its_unknown_records_are_skipped_with_a_warning() {
    let sandbox = Sandbox::new().unwrap();
    let wf = json!({
        "source": {"type": "newercontract", "serviceName": "svc", "serviceConnection": {"config": {"type": "NewerContract"}}},
        "sink": {"type": "file", "config": {"filename": "out.jsonl"}},
        "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://localhost:8585/api", "authProvider": "no-auth"}}
    });
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("skipped 1 record(s) of kind 'tagLabel'"), "{}", run.stdout);
    assert!(run.stdout.contains("skipped 1 record(s) of entity type 'dashboard'"), "{}", run.stdout);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let paths: Vec<&str> = lines.iter().map(|l| l["path"].as_str().unwrap()).collect();
    // The service, the one topic it knows, and the deletion after a complete listing: nothing
    // of the unknown records.
    assert_eq!(paths, ["/v1/services/messagingServices", "/v1/topics", "/v1/topics/deleteStale"], "{lines:?}");
    assert_eq!(lines[1]["body"]["name"], "from-the-future");
    assert_eq!(lines[2]["body"]["seenFqns"], json!(["svc.from-the-future"]));
}

/// Runs the fixture host of contract 2.4 on a plugin file.
fn newer_host(plugin: &std::path::Path) -> (i32, String, String) {
    let built = e2e::built().unwrap();
    let out = Command::new(&built.newer_host).arg(plugin).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_plugin_of_2_0_loads_in_a_host_of_a_later_minor_which_sees_what_it_lacks() {
    let built = e2e::built().unwrap();
    let (code, stdout, stderr) = newer_host(&built.plugin);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("host contract: 2.4.0"), "{stdout}");
    assert!(stdout.contains("loaded: Kinesis (contract 2.3.0)"), "{stdout}");
    assert!(stdout.contains("describe: unsupported"), "{stdout}");
    assert!(stdout.contains("check_config: answered"), "{stdout}");

    let (code, stdout, _) = newer_host(&built.newer_contract_plugin);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("describe: {\"description\": \"a function of contract 2.4\"}"), "{stdout}");

    let (code, _, stderr) = newer_host(&built.v1_abi_plugin);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("refused"), "{stderr}");
}

#[test]
fn a_plugin_that_does_not_lay_out_its_form_gets_an_empty_ui_schema_and_a_note() {
    let sandbox = Sandbox::new().unwrap();
    // The fixture answers only its own named function (`describe`); `configUiSchema` is
    // unsupported there, as in any plugin of 2.0 to 2.2.
    let run = sandbox.host(&["schema", "NewerContract", "--ui"]).unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "{}");
    assert!(run.stderr.contains("does not lay out its form"), "{}", run.stderr);
    let run = sandbox.host(&["schema", "kinesis", "--ui"]).unwrap();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ui: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(ui["serviceConnection"]["config"]["awsConfig"]["ui:order"][0], "awsRegion", "{ui}");
}
