//! Stream tags and owners, end to end: AWS tags become classifications, tags and Automated
//! labels in OpenMetadata (the stand-in checks every body against the contract), the owner tag
//! an owner that exists, and a second run keeps what people curated. Tags are read with
//! GetResources where it is served (a stand-in of the Resource Groups Tagging API in front of
//! the emulator, with its paging) and with ListTagsForStream where it is not (kinesis-local,
//! which does not serve it; an AccessDenied; moto with IAM, which denies it for real).

use std::collections::BTreeMap;
use std::time::Duration;

use e2e::openmetadata::StandIn;
use e2e::{kinesis_client, rest_workflow, seed, Emulator, Moto, Sandbox, StreamSpec};
use e2e::{proxy, tagging};
use serde_json::{json, Value};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.jwt-tags.signature";

/// The streams and their tags.
fn tagged() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("orders.v1", vec![("team", "payments"), ("env", "prod"), ("Owner", "alice")]),
        ("clicks", vec![("team", "web"), ("owner", "nobody")]),
        ("plain", vec![]),
    ]
}

/// The streams on kinesis-local, tagged.
fn tagged_emulator(rt: &tokio::runtime::Runtime) -> Emulator {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    rt.block_on(async {
        let streams: Vec<StreamSpec> = tagged().iter().map(|(n, _)| StreamSpec::new(*n, 1)).collect();
        seed(&client, &streams).await.unwrap();
        for (name, tags) in tagged() {
            if tags.is_empty() {
                continue;
            }
            let map: std::collections::HashMap<String, String> =
                tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            client.add_tags_to_stream().stream_name(name).set_tags(Some(map)).send().await.unwrap();
        }
    });
    emulator
}

fn run_host(sandbox: &Sandbox, endpoint: &str, om: &StandIn, extra: Value) -> e2e::HostRun {
    let mut config = json!({"includeTags": true, "enforceApiBudget": false});
    config.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let wf = sandbox
        .write_workflow("wf.yaml", &rest_workflow(endpoint, "kinesis_prod", config, &om.host_port(), Some(TOKEN)))
        .unwrap();
    sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap()
}

fn summary(run: &e2e::HostRun) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

/// The tag FQNs of a topic, and their label types.
fn labels_of(om: &StandIn, fqn: &str) -> BTreeMap<String, String> {
    let state = om.state.lock().unwrap();
    let topic = state.topic(fqn).unwrap_or_else(|| panic!("no topic {fqn}"));
    topic
        .fields
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| (t["tagFQN"].as_str().unwrap().to_string(), t["labelType"].as_str().unwrap().to_string()))
        .collect()
}

fn owners_of(om: &StandIn, fqn: &str) -> Value {
    om.state.lock().unwrap().topic(fqn).unwrap().fields.get("owners").cloned().unwrap_or(Value::Null)
}

#[test]
fn tags_and_owners_reach_openmetadata_and_a_second_run_keeps_what_people_curated() {
    let rt = e2e::runtime();
    let emulator = tagged_emulator(&rt);
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_owner("user", "alice");
    om.add_owner("team", "platform");
    let sandbox = Sandbox::new().unwrap();

    // kinesis-local does not serve the tagging API: tags are read stream by stream.
    let run = run_host(&sandbox, &emulator.endpoint(), &om, json!({}));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let s = summary(&run);
    assert_eq!(s["apiCalls"]["GetResources"], 1, "{s}");
    assert_eq!(s["apiCalls"]["ListTagsForStream"], 3, "{s}");
    let warnings = s["warnings"].to_string();
    assert!(warnings.contains("read with ListTagsForStream, a call per stream"), "{warnings}");
    assert!(warnings.contains("'nobody' of kinesis_prod.clicks is neither a user nor a team"), "{warnings}");
    assert_eq!(
        s["labels"],
        json!({"entities": 2, "tagsAttached": 3, "classificationsCreated": 2, "tagsCreated": 3,
            "ownersSet": 1, "ownersKept": 0, "ownersNotFound": 1}),
        "{s}"
    );
    let orders = "kinesis_prod.\"orders.v1\"";
    assert_eq!(
        labels_of(&om, orders),
        BTreeMap::from([("env.prod".into(), "Automated".into()), ("team.payments".into(), "Automated".into())])
    );
    let alice = om.state.lock().unwrap().users["alice"].clone();
    assert_eq!(owners_of(&om, orders), json!([{"id": alice, "type": "user"}]));
    assert_eq!(owners_of(&om, "kinesis_prod.clicks"), Value::Null, "an owner is never created");
    assert!(labels_of(&om, "kinesis_prod.plain").is_empty());
    {
        let state = om.state.lock().unwrap();
        assert_eq!(state.classifications.keys().collect::<Vec<_>>(), vec!["env", "team"]);
        assert_eq!(state.tags.keys().collect::<Vec<_>>(), vec!["env.prod", "team.payments", "team.web"]);
        assert_eq!(state.classifications["team"]["provider"], "automation");
        assert_eq!(state.calls_to("PUT", "/api/v1/classifications"), 2, "each classification is made once");
        assert_eq!(state.calls_to("PUT", "/api/v1/users"), 0);
        assert_eq!(state.calls_to("PUT", "/api/v1/teams"), 0);
    }

    // People tag the topic and give it another owner; the next run keeps both, makes nothing
    // that exists, and still brings the AWS tags.
    let platform = om.state.lock().unwrap().teams["platform"].clone();
    om.curate_labels(orders, "Tier.Tier1", Some((&platform, "team")));
    let run = run_host(&sandbox, &emulator.endpoint(), &om, json!({}));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let s = summary(&run);
    assert_eq!(s["labels"]["ownersKept"], 1, "{s}");
    assert_eq!(s["labels"]["classificationsCreated"], 0, "{s}");
    assert_eq!(s["labels"]["tagsCreated"], 0, "{s}");
    let labels = labels_of(&om, orders);
    assert_eq!(labels.get("Tier.Tier1").map(String::as_str), Some("Manual"), "{labels:?}");
    assert_eq!(labels.get("team.payments").map(String::as_str), Some("Automated"), "{labels:?}");
    assert_eq!(owners_of(&om, orders), json!([{"id": platform, "type": "team"}]));
    assert_eq!(om.state.lock().unwrap().calls_to("PUT", "/api/v1/classifications"), 2);
}

/// The tagged streams as the tagging API holds them, with one more that no longer exists.
fn tagged_resources() -> Vec<tagging::Tagged> {
    tagged()
        .into_iter()
        .filter(|(_, tags)| !tags.is_empty())
        .chain([("gone-stream", vec![("team", "ghost")])])
        .map(|(name, tags)| {
            let tags = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            (tagging::stream_arn("eu-west-1", name), tags)
        })
        .collect()
}

#[test]
fn get_resources_is_paged_through_and_an_access_denied_falls_back_to_list_tags_for_stream() {
    let rt = e2e::runtime();
    let emulator = tagged_emulator(&rt);
    let upstream = format!("127.0.0.1:{}", emulator.port).parse().unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_owner("user", "alice");

    // Three tagged ARNs, one a page: three GetResources calls, no ListTagsForStream.
    let tagging =
        rt.block_on(proxy::start(upstream, tagging::get_resources(tagged_resources(), 1, Duration::ZERO))).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let run = run_host(&sandbox, &tagging.endpoint(), &om, json!({}));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(tagging.calls("GetResources"), 3);
    assert_eq!(tagging.calls("ListTagsForStream"), 0);
    let s = summary(&run);
    assert_eq!(s["labels"]["tagsAttached"], 3, "{s}");
    assert_eq!(s["labels"]["ownersSet"], 1, "{s}");
    assert!(!s["warnings"].to_string().contains("ListTagsForStream"), "{s}");
    assert!(om.state.lock().unwrap().topic("kinesis_prod.gone-stream").is_none(), "tags make no topic");

    // Denied: each stream is asked, and the run says why.
    let denying = rt.block_on(proxy::start(upstream, tagging::get_resources_denied(Duration::ZERO))).unwrap();
    let run = run_host(&Sandbox::new().unwrap(), &denying.endpoint(), &om, json!({}));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(denying.calls("GetResources"), 1);
    assert_eq!(denying.calls("ListTagsForStream"), 3);
    let s = summary(&run);
    assert!(s["warnings"].to_string().contains("AccessDeniedException"), "{s}");
    assert_eq!(s["labels"]["tagsAttached"], 3, "{s}");

    // The connection test says which way tags are read.
    let wf = Sandbox::new().unwrap();
    let path = wf
        .write_workflow(
            "wf.yaml",
            &rest_workflow(
                &denying.endpoint(),
                "kinesis_prod",
                json!({"includeTags": true}),
                &om.host_port(),
                Some(TOKEN),
            ),
        )
        .unwrap();
    let test = wf.host(&["test-connection", "-c", path.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    let report: Value = serde_json::from_str(&test.stdout).unwrap();
    let step = report["steps"].as_array().unwrap().iter().find(|s| s["name"] == "GetTags").unwrap().clone();
    assert_eq!(step["passed"], true, "{step}");
    let summary = step["resultSummary"].as_str().unwrap();
    assert!(summary.starts_with("tags are read with ListTagsForStream") && summary.contains("AccessDenied"), "{step}");
}

#[test]
fn on_moto_with_iam_a_denied_get_resources_falls_back_to_list_tags_for_stream() {
    let moto = Moto::start_with_auth(3).unwrap();
    // A user allowed Kinesis, not the tagging API; a tagged stream.
    let (id, secret) = moto.iam_user("kinesis:*").unwrap();
    let (id, secret) = (id.as_str(), secret.as_str());
    moto.python_with(
        r#"
import boto3, os
k = boto3.client("kinesis", endpoint_url=os.environ["MOTO"], region_name="eu-west-1",
    aws_access_key_id=os.environ["KEY_ID"], aws_secret_access_key=os.environ["SECRET"])
k.create_stream(StreamName="orders", ShardCount=1)
k.add_tags_to_stream(StreamName="orders", Tags={"team": "payments", "owner": "alice"})
"#,
        &[("KEY_ID", id), ("SECRET", secret)],
    )
    .unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    om.add_owner("user", "alice");
    let sandbox = Sandbox::new().unwrap();
    let mut wf = rest_workflow(
        &moto.endpoint(),
        "kinesis_prod",
        json!({"includeTags": true, "enforceApiBudget": false}),
        &om.host_port(),
        Some(TOKEN),
    );
    let aws = &mut wf["source"]["serviceConnection"]["config"]["awsConfig"];
    aws["awsAccessKeyId"] = json!(id);
    aws["awsSecretAccessKey"] = json!(secret);
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let s = summary(&run);
    assert_eq!(s["apiCalls"]["ListTagsForStream"], 1, "{s}");
    assert!(s["warnings"].to_string().contains("GetResources"), "{s}");
    assert_eq!(labels_of(&om, "kinesis_prod.orders"), BTreeMap::from([("team.payments".into(), "Automated".into())]));
    let alice = om.state.lock().unwrap().users["alice"].clone();
    assert_eq!(owners_of(&om, "kinesis_prod.orders"), json!([{"id": alice, "type": "user"}]));
    assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "a secret was shown");
}

#[test]
fn a_file_sink_holds_the_tag_requests_once_and_says_it_cannot_hold_owners() {
    let rt = e2e::runtime();
    let emulator = tagged_emulator(&rt);
    let sandbox = Sandbox::new().unwrap();
    let wf =
        e2e::workflow(&emulator.endpoint(), "kinesis_prod", json!({"includeTags": true, "enforceApiBudget": false}));
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host(&["ingest", "-c", path.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("a file holds none"), "{}", run.stdout);
    let labels = &e2e::summaries(&run)[0]["labels"];
    assert_eq!((&labels["entities"], &labels["tagsAttached"]), (&json!(2), &json!(3)), "{}", run.stdout);
    let lines = e2e::read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let paths: Vec<&str> = lines.iter().map(|l| l["path"].as_str().unwrap()).collect();
    assert_eq!(paths.iter().filter(|p| **p == "/v1/classifications").count(), 2, "{paths:?}");
    assert_eq!(paths.iter().filter(|p| **p == "/v1/tags").count(), 3, "{paths:?}");
    // Each tag's request comes before the first topic that carries it.
    for (i, line) in lines.iter().enumerate().filter(|(_, l)| l["path"] == "/v1/topics") {
        for label in line["body"]["tags"].as_array().into_iter().flatten() {
            let made_before = lines[..i].iter().any(|l| {
                l["path"] == "/v1/tags"
                    && format!(
                        "{}.{}",
                        l["body"]["classification"].as_str().unwrap(),
                        l["body"]["name"].as_str().unwrap()
                    ) == label["tagFQN"].as_str().unwrap()
            });
            assert!(made_before, "{label} is attached before its tag is made: {paths:?}");
        }
    }
    let orders = lines.iter().find(|l| l["path"] == "/v1/topics" && l["body"]["name"] == "orders.v1").unwrap();
    assert_eq!(orders["body"]["tags"].as_array().unwrap().len(), 2);
    assert!(orders["body"].get("owners").is_none(), "no owner without a server to look it up");
}
