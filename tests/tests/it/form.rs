//! The plugins' config schemas as a user meets them: rendered by react-jsonschema-form with its
//! stock Ajv validator in headless Chromium (`tests/form/run.mjs`), laid out by the plugin's
//! uiSchema (`host-example schema --ui`: the fields a person fills first, each refusal in words),
//! filled in, submitted, and what the form held handed to `host-example validate`. What the form accepts the plugin accepts, and
//! what the form refuses the plugin refuses, case by case; the page logs no console error or
//! warning (no schema Ajv cannot compile, no unknown format). Skipped, with a message, where
//! Chromium, Node.js or the page's npm packages are not installed (`scripts/test.sh` installs
//! them); under `CI=true` that fails instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::Sandbox;
use serde_json::{json, Value};

/// One case: a name, the fields a user fills (dotted paths in the form data), whether both the
/// form and the plugin take it.
struct Case {
    name: &'static str,
    fill: Value,
    accepted: bool,
    screenshot: Option<&'static str>,
}

fn case(name: &'static str, fill: Value, accepted: bool) -> Case {
    Case { name, fill, accepted, screenshot: None }
}

const AWS: &str = "serviceConnection.config.awsConfig";
const SOURCE: &str = "sourceConfig.config";
const SECRET: &str = "form-secret-canary";

/// The base every case starts from: what a user must fill for a valid form.
fn filled(service: &str, extra: &[(&str, Value)]) -> Value {
    let mut fill = json!({"serviceName": service, format!("{AWS}.awsRegion"): "eu-west-1"});
    for (k, v) in extra {
        fill[*k] = v.clone();
    }
    fill
}

fn kinesis_cases() -> Vec<Case> {
    let aws = |f: &str| format!("{AWS}.{f}");
    let src = |f: &str| format!("{SOURCE}.{f}");
    let f = |extra: &[(&str, Value)]| filled("kinesis_prod", extra);
    vec![
        Case { screenshot: Some("empty"), ..case("minimal", f(&[]), true) },
        Case {
            screenshot: Some("filled"),
            ..case(
                "static-keys-and-emulator",
                f(&[
                    (&aws("awsAccessKeyId"), json!("AKIAEXAMPLE")),
                    (&aws("awsSecretAccessKey"), json!(SECRET)),
                    (&aws("endPointURL"), json!("http://localhost:4566")),
                ]),
                true,
            )
        },
        case(
            "assume-role",
            f(&[
                (&aws("assumeRoleArn"), json!("arn:aws:iam::123456789012:role/OpenMetadataReader")),
                (&aws("assumeRoleSessionName"), json!("om-form")),
            ]),
            true,
        ),
        case(
            "numbers",
            f(&[
                (&src("sampleSize"), json!(10)),
                (&src("maxCallsPerSecond"), json!(2.5)),
                (&src("apiBudgetShare"), json!(0.5)),
            ]),
            true,
        ),
        case("sample-data-on", f(&[(&src("generateSampleData"), json!(true))]), true),
        case(
            "classified-and-masked",
            f(&[
                (&src("generateSampleData"), json!(true)),
                (&src("enableAutoClassification"), json!(true)),
                (&src("sampleDataMasking"), json!("sensitive")),
            ]),
            true,
        ),
        Case {
            screenshot: Some("invalid"),
            ..case("availability-zone", f(&[(&aws("awsRegion"), json!("eu-west-1a"))]), false)
        },
        case("blank-service-name", filled("   ", &[]), false),
        case("key-without-secret", f(&[(&aws("awsAccessKeyId"), json!("AKIAEXAMPLE"))]), false),
        case("secret-without-key", f(&[(&aws("awsSecretAccessKey"), json!(SECRET))]), false),
        case("ftp-endpoint", f(&[(&aws("endPointURL"), json!("ftp://kinesis.example.com"))]), false),
        case("role-not-an-arn", f(&[(&aws("assumeRoleArn"), json!("my-role"))]), false),
        case("session-name-too-short", f(&[(&aws("assumeRoleSessionName"), json!("a"))]), false),
        case("sample-size-zero", f(&[(&src("sampleSize"), json!(0))]), false),
        case("budget-share-above-one", f(&[(&src("apiBudgetShare"), json!(2))]), false),
        case("calls-per-second-too-low", f(&[(&src("maxCallsPerSecond"), json!(0.01))]), false),
        // Read-only in the form (only false is supported): ticking it changes nothing.
        case("override-metadata", f(&[(&src("overrideMetadata"), json!(true))]), true),
        case(
            "tags-with-owner-key",
            f(&[(&src("includeTags"), json!(true)), (&src("ownerTagKey"), json!("Team-Owner"))]),
            true,
        ),
        case(
            "blank-owner-tag-key",
            f(&[(&src("includeTags"), json!(true)), (&src("ownerTagKey"), json!("  "))]),
            false,
        ),
    ]
}

fn firehose_cases() -> Vec<Case> {
    let src = |f: &str| format!("{SOURCE}.{f}");
    let f = |extra: &[(&str, Value)]| filled("aws_firehose_production", extra);
    vec![
        case("minimal", f(&[]), true),
        case("lineage-service", f(&[("serviceConnection.config.messagingServiceName", json!("kinesis_prod"))]), true),
        case("availability-zone", f(&[(&format!("{AWS}.awsRegion"), json!("us-east-1b"))]), false),
        case("blank-service-name", filled(" ", &[]), false),
        // Read-only in the form (only false is supported): ticking them changes nothing.
        case("include-tags", f(&[(&src("includeTags"), json!(true))]), true),
        case("override-lineage", f(&[(&src("overrideLineage"), json!(true))]), true),
    ]
}

fn integrations_cases() -> Vec<Case> {
    let f = |extra: &[(&str, Value)]| filled("kinesis_integrations", extra);
    vec![
        case("minimal", f(&[]), true),
        case("availability-zone", f(&[(&format!("{AWS}.awsRegion"), json!("eu-west-1c"))]), false),
        case("role-not-an-arn", f(&[(&format!("{AWS}.assumeRoleArn"), json!("my-role"))]), false),
    ]
}

/// Why the browser cannot run here, if it cannot.
fn unavailable(form: &Path) -> Option<String> {
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is not installed (Debian's package `chromium`)"));
    }
    if Command::new("node").arg("--version").output().map(|o| !o.status.success()).unwrap_or(true) {
        return Some("Node.js is not installed".into());
    }
    if !form.join("node_modules/@rjsf/core").exists() {
        return Some(format!("the page's packages are not installed (`npm ci` in {})", form.display()));
    }
    None
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs the cases in the browser, the form laid out by `ui` (a uiSchema file): the driver's
/// results.
fn run_form(schema: &Path, ui: &Path, cases: &[Case], work: &Path, screenshots: &Path) -> Value {
    let form = e2e::workspace().join("tests/form");
    let cases_json: Vec<Value> =
        cases.iter().map(|c| json!({"name": c.name, "fill": c.fill, "screenshot": c.screenshot})).collect();
    let cases_path = work.join("cases.json");
    std::fs::write(&cases_path, serde_json::to_string(&cases_json).unwrap()).unwrap();
    let out = work.join("results.json");
    let run = Command::new("node")
        .arg(form.join("run.mjs"))
        .args(["--chromium", CHROMIUM, "--schema"])
        .arg(schema)
        .arg("--ui")
        .arg(ui)
        .arg("--cases")
        .arg(&cases_path)
        .arg("--out")
        .arg(&out)
        .arg("--screenshots")
        .arg(screenshots)
        .output()
        .expect("node runs");
    assert!(
        run.status.success(),
        "the form driver failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

/// Renders `schema` in the browser, runs `cases` through the form and through `validate`, and
/// returns the rows of the cases table (case, form, plugin) for the output.
fn form_and_plugin_agree(plugin_schema: &str, cases: Vec<Case>) -> Vec<String> {
    let form = e2e::workspace().join("tests/form");
    if let Some(why) = unavailable(&form) {
        assert!(!e2e::in_ci(), "CI=true, and the config form test needs a browser: {why}");
        eprintln!("SKIPPED: the config form test needs a browser: {why}");
        return Vec::new();
    }
    let sandbox = Sandbox::new().unwrap();
    let stem = plugin_schema.trim_end_matches(".schema.json");
    let schema = e2e::workspace().join("schema").join(plugin_schema);
    let ui = ui_schema_of(&sandbox, stem);
    // The pictures in docs/ are the Kinesis form's; UPDATE_DOCS=1 redraws them.
    let screenshots: PathBuf = if std::env::var_os("UPDATE_DOCS").is_some() && stem == "kinesis-plugin-config" {
        e2e::workspace().join("docs/screenshots")
    } else {
        e2e::workspace().join("target/form-screenshots").join(stem)
    };
    let results = run_form(&schema, &ui, &cases, &sandbox.path(""), &screenshots);

    let console = results["console"].as_array().unwrap();
    assert!(console.is_empty(), "the page logged errors or warnings: {console:#?}");
    let mut rows = Vec::new();
    let mut wrong = Vec::new();
    for (case, result) in cases.iter().zip(results["results"].as_array().unwrap()) {
        assert_eq!(result["name"], case.name);
        assert_eq!(result["missing"], json!([]), "{}: fields not in the form", case.name);
        assert_eq!(result["unrendered"], json!([]), "{}: fields the form cannot render", case.name);
        let form_accepted = result["accepted"].as_bool().unwrap();
        // Options only `false` is supported for: Firehose's includeTags, not Kinesis's.
        let read_only: &[&str] = if !plugin_schema.starts_with("kinesis-plugin") {
            &["overrideMetadata", "overrideLineage", "includeTags"]
        } else {
            &["overrideMetadata"]
        };
        for read_only in read_only {
            let id = format!("root_sourceConfig_config_{read_only}");
            if let Some(input) = result["inputs"].as_array().unwrap().iter().find(|i| i["id"] == id.as_str()) {
                assert_eq!(input["disabled"], true, "{}: {read_only} can be ticked", case.name);
                assert_ne!(
                    result["data"]["sourceConfig"]["config"][read_only], true,
                    "{}: {read_only} is true",
                    case.name
                );
            }
        }
        assert!(result.get("broken").is_none(), "{}: the form did not answer: {result}", case.name);
        in_a_persons_words(case.name, result);
        in_the_order_laid_out(case.name, result, &std::fs::read_to_string(&ui).unwrap());
        // What the form held, accepted or not, is what the plugin is asked about.
        let source = result["data"].clone();
        assert!(source.is_object(), "{}: the form held no data", case.name);
        let wf = json!({
            "source": source,
            "sink": {"type": "file", "config": {"filename": "out.jsonl"}},
            "workflowConfig": {"openMetadataServerConfig": {"hostPort": "http://127.0.0.1:1/api", "authProvider": "no-auth"}}
        });
        let path = sandbox.write_workflow(&format!("{}.json", case.name), &wf).unwrap();
        let run = sandbox.host(&["validate", "-c", path.to_str().unwrap()]).unwrap();
        let plugin_accepted = match run.code {
            0 => true,
            2 => false,
            other => panic!("{}: validate exited {other}:\n{}\n{}", case.name, run.stdout, run.stderr),
        };
        assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET), "{}: the secret was shown", case.name);
        let why = |accepted: bool, detail: String| {
            if accepted {
                "accepts".to_string()
            } else {
                format!("refuses ({detail})")
            }
        };
        let form_detail = result["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .map(|e| {
                        format!("{}: {}", e["property"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or(""))
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let plugin_detail =
            run.stderr.lines().filter(|l| l.trim_start().starts_with("source")).collect::<Vec<_>>().join("; ");
        rows.push(format!(
            "| {} | {} | {} |",
            case.name,
            why(form_accepted, form_detail),
            why(plugin_accepted, plugin_detail.trim().to_string())
        ));
        if form_accepted != case.accepted || plugin_accepted != case.accepted {
            wrong.push(format!(
                "{}: expected {}, the form {}, the plugin {}:\n{result}\n{}",
                case.name,
                if case.accepted { "accepted" } else { "refused" },
                if form_accepted { "accepted" } else { "refused" },
                if plugin_accepted { "accepted" } else { "refused" },
                run.stderr
            ));
        }
    }
    println!("{}", rows.join("\n"));
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    rows
}

/// The uiSchema as `host-example schema --ui` prints it, which is the checked-in one
/// (`schema/{stem}.ui-schema.json`); written to a file for the page.
fn ui_schema_of(sandbox: &Sandbox, stem: &str) -> PathBuf {
    let connector = match stem {
        "kinesis-plugin-config" => "kinesis",
        "firehose-plugin-config" => "kinesisfirehose",
        "kinesis-integrations-plugin-config" => "kinesisintegrations",
        other => panic!("no connector for {other}"),
    };
    let run = sandbox.host(&["schema", connector, "--ui"]).unwrap();
    assert_eq!(run.code, 0, "schema --ui: {}", run.stderr);
    let printed: Value = serde_json::from_str(&run.stdout).expect("schema --ui prints JSON");
    let file = e2e::workspace().join(format!("schema/{stem}.ui-schema.json"));
    let checked_in: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(printed, checked_in, "schema --ui and {} differ", file.display());
    let path = sandbox.path(&format!("{stem}.ui-schema.json"));
    std::fs::write(&path, run.stdout).unwrap();
    path
}

/// No refusal the form shows is the validator's own wording (Ajv's all begin with "must":
/// `must match pattern "^[a-z]{2}(-[a-z]+)+-[0-9]+$"`); the browser's own (a required field left
/// empty) are a person's already.
fn in_a_persons_words(case: &str, result: &Value) {
    if result["by"] == "browser" {
        return;
    }
    for error in result["errors"].as_array().into_iter().flatten() {
        let message = error["message"].as_str().unwrap_or_default();
        assert!(!message.starts_with("must"), "{case}: the form says {message:?} for {}", error["property"]);
    }
}

/// The inputs appear in the order the uiSchema lays out (`ui:order` of each object): the fields
/// a person fills first, then the tuning options.
fn in_the_order_laid_out(case: &str, result: &Value, ui: &str) {
    fn orders(node: &Value, path: &str, out: &mut Vec<(String, Vec<String>)>) {
        let Some(map) = node.as_object() else { return };
        if let Some(order) = map.get("ui:order").and_then(Value::as_array) {
            out.push((path.to_string(), order.iter().filter_map(Value::as_str).map(String::from).collect()));
        }
        for (k, v) in map.iter().filter(|(k, _)| !k.starts_with("ui:")) {
            orders(v, &format!("{path}_{k}"), out);
        }
    }
    let mut laid_out = Vec::new();
    orders(&serde_json::from_str(ui).unwrap(), "root", &mut laid_out);
    assert!(!laid_out.is_empty(), "the uiSchema orders nothing");
    let ids: Vec<&str> = result["inputs"].as_array().unwrap().iter().filter_map(|i| i["id"].as_str()).collect();
    for (object, order) in laid_out {
        // Where each field's first input is (an object field's: its first input within it).
        let at: Vec<(usize, &String)> = order
            .iter()
            .filter_map(|name| {
                let id = format!("{object}_{name}");
                ids.iter().position(|i| *i == id || i.starts_with(&format!("{id}_"))).map(|p| (p, name))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0].0 < w[1].0), "{case}: {object} is not in the order laid out: {at:?}");
    }
}

#[test]
fn the_kinesis_form_accepts_and_refuses_what_the_plugin_does() {
    let rows = form_and_plugin_agree("kinesis-plugin-config.schema.json", kinesis_cases());
    if rows.is_empty() {
        return; // skipped (said why)
    }
    // Secrets are typed into password inputs, numbers into number inputs, the single-choice
    // types are pickers of one value, and nullable fields have no pickers of their own.
    let sandbox = Sandbox::new().unwrap();
    let results = run_form(
        &e2e::workspace().join("schema/kinesis-plugin-config.schema.json"),
        &ui_schema_of(&sandbox, "kinesis-plugin-config"),
        &kinesis_cases()[..1],
        &sandbox.path(""),
        &sandbox.path("shots"),
    );
    let inputs = results["results"][0]["inputs"].as_array().unwrap();
    let kind = |id: &str| {
        inputs
            .iter()
            .find(|i| i["id"] == format!("root_{}", id.replace('.', "_")))
            .map(|i| i["type"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no input {id}: {inputs:?}"))
    };
    assert_eq!(kind(&format!("{AWS}.awsSecretAccessKey")), "password");
    assert_eq!(kind(&format!("{AWS}.awsSessionToken")), "password");
    assert_eq!(kind(&format!("{SOURCE}.maxCallsPerSecond")), "number");
    assert_eq!(kind(&format!("{SOURCE}.sampleSize")), "number");
    assert_eq!(kind("type"), "select-one");
    assert_eq!(kind("serviceConnection.config.type"), "select-one");
    assert!(
        inputs
            .iter()
            .all(|i| !i["id"].as_str().unwrap().contains("anyof") && !i["id"].as_str().unwrap().contains("oneof")),
        "a picker of alternatives: {inputs:?}"
    );
    // The order a person reads: the type, what names the service, then its connection, the
    // region and credentials first; what to ingest before the tuning options.
    let ids: Vec<&str> = inputs.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let at = |id: &str| ids.iter().position(|i| *i == format!("root_{}", id.replace('.', "_"))).unwrap();
    assert!(at("type") < at("serviceName") && at("serviceName") < at(&format!("{AWS}.awsRegion")));
    assert!(at(&format!("{AWS}.awsRegion")) < at(&format!("{AWS}.awsAccessKeyId")));
    assert!(at(&format!("{AWS}.assumeRoleArn")) < at(&format!("{AWS}.endPointURL")));
    assert!(at(&format!("{SOURCE}.enableAutoClassification")) < at(&format!("{SOURCE}.describeConcurrency")));
    assert!(at(&format!("{SOURCE}.generateSampleData")) < at(&format!("{SOURCE}.sampleSize")));
}

#[test]
fn a_wrong_region_is_refused_in_a_persons_words() {
    let form = e2e::workspace().join("tests/form");
    if let Some(why) = unavailable(&form) {
        assert!(!e2e::in_ci(), "CI=true, and the config form test needs a browser: {why}");
        eprintln!("SKIPPED: the config form test needs a browser: {why}");
        return;
    }
    let sandbox = Sandbox::new().unwrap();
    let zone = kinesis_cases().into_iter().find(|c| c.name == "availability-zone").unwrap();
    let results = run_form(
        &e2e::workspace().join("schema/kinesis-plugin-config.schema.json"),
        &ui_schema_of(&sandbox, "kinesis-plugin-config"),
        &[zone],
        &sandbox.path(""),
        &sandbox.path("shots"),
    );
    let errors = results["results"][0]["errors"].as_array().unwrap();
    let region = errors.iter().find(|e| e["property"] == ".serviceConnection.config.awsConfig.awsRegion");
    assert_eq!(
        region.map(|e| e["message"].clone()),
        Some(json!("expected an AWS region such as eu-west-1")),
        "{errors:?}"
    );
}

#[test]
fn the_firehose_form_accepts_and_refuses_what_the_plugin_does() {
    form_and_plugin_agree("firehose-plugin-config.schema.json", firehose_cases());
}

#[test]
fn the_integrations_form_accepts_and_refuses_what_the_plugin_does() {
    form_and_plugin_agree("kinesis-integrations-plugin-config.schema.json", integrations_cases());
}
