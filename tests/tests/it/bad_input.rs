//! The bad-input corpus (`tests/fixtures/bad/`): each workflow holds one mistake a user makes,
//! and its first line says what the error must name (`# expect: <path or words>`). Each is
//! refused before the run starts: exit code 2, the field named, no secret shown, no output file.

use e2e::Sandbox;

#[test]
fn every_bad_workflow_is_refused_with_exit_2_naming_the_field_and_writing_nothing() {
    let sandbox = Sandbox::new().unwrap();
    let dir = e2e::workspace().join("tests/fixtures/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 50, "the corpus has {} files", files.len());
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let expect = text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).expect("an expect line");
        let run = sandbox.host(&["ingest", "-c", file.to_str().unwrap()]).unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        let output = format!("{}{}", run.stdout, run.stderr);
        if run.code != 2 {
            wrong.push(format!("{name}: exit code {} (not 2):\n{output}", run.code));
        } else if !run.stderr.contains(expect) {
            wrong.push(format!("{name}: the error does not name `{expect}`:\n{}", run.stderr));
        }
        if output.contains("bad-corpus-secret-canary") {
            wrong.push(format!("{name}: a secret was shown:\n{output}"));
        }
        for written in ["out.jsonl", "out.jsonl.partial"] {
            if sandbox.path(written).exists() {
                wrong.push(format!("{name}: {written} was created"));
                let _ = std::fs::remove_file(sandbox.path(written));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {} files:\n{}", wrong.len(), files.len(), wrong.join("\n\n"));
}

#[test]
fn validate_names_every_problem_the_schema_and_the_plugin_find_at_once() {
    let sandbox = Sandbox::new().unwrap();
    let mut wf = e2e::workflow(
        "ftp://kinesis.example.com",
        "svc",
        serde_json::json!({"sampleSize": 0, "topicFilterPattern": {"excludes": ["["]}}),
    );
    let aws = &mut wf["source"]["serviceConnection"]["config"]["awsConfig"];
    aws["awsRegion"] = "us-east-1a".into();
    aws["assumeRoleArn"] = "my-role".into();
    let path = sandbox.write_workflow("many.yaml", &wf).unwrap();
    let run = sandbox.host(&["validate", "-c", path.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    for named in [
        "source/sourceConfig/config/sampleSize: 0 is out of range: must be between 1 and 1000",
        "source/serviceConnection/config/awsConfig/awsRegion: 'us-east-1a' is not an AWS region",
        "source/serviceConnection/config/awsConfig/endPointURL: 'ftp://kinesis.example.com' is not an http(s) URL",
        "source/serviceConnection/config/awsConfig/assumeRoleArn: 'my-role' is not an IAM role ARN",
        "source/sourceConfig/config/topicFilterPattern/excludes/0: '[' is not a valid regular expression",
    ] {
        assert!(run.stderr.contains(named), "{named} is not named:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("test-secret-key"), "{}", run.stderr);

    // The same, as JSON for scripts and UIs.
    let run = sandbox.host(&["validate", "-c", path.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["connector"], "Kinesis");
    let paths: Vec<&str> =
        report["violations"].as_array().unwrap().iter().map(|v| v["path"].as_str().unwrap()).collect();
    for path in [
        "/sourceConfig/config/sampleSize",
        "/serviceConnection/config/awsConfig/awsRegion",
        "/serviceConnection/config/awsConfig/assumeRoleArn",
        "/sourceConfig/config/topicFilterPattern/excludes/0",
    ] {
        assert!(paths.contains(&path), "{path} not in {paths:?}");
    }
    let good = sandbox
        .write_workflow("good.yaml", &e2e::workflow("http://127.0.0.1:1", "svc", serde_json::json!({})))
        .unwrap();
    let run = sandbox.host(&["validate", "-c", good.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["valid"], true);
}
