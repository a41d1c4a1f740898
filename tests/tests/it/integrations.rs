//! The third plugin end to end, on moto (Kinesis, Lambda, EventBridge Pipes and rules, IoT and
//! IAM on one port): an account's wiring (`tests/fixtures/integrations_seed.py`) read by the
//! Kinesis plugin and the integrations plugin in one `ingest` run, written to the OpenMetadata
//! stand-in, which checks every body: who reads and who writes each stream, as lineage.

use std::sync::Arc;

use e2e::integrations_account as account;
use e2e::openmetadata::StandIn;
use e2e::proxy::{self, Action, Call};
use e2e::{pipeline_workflow, rest_workflow, to_rest, Moto, Sandbox};
use serde_json::{json, Value};

const TOKEN: &str = "test-jwt";

fn integrations(endpoint: &str, server: &StandIn) -> Value {
    let connection = json!({"messagingServiceName": "kinesis_prod"});
    let wf = pipeline_workflow("KinesisIntegrations", endpoint, "kinesis_integrations", connection, json!({}));
    to_rest(wf, &server.host_port(), Some(TOKEN))
}

/// A proxy in front of moto that refuses `ListEventBuses` while `refuse` says so.
fn proxy_refusing(
    rt: &tokio::runtime::Runtime,
    moto: &Moto,
    refuse: Arc<std::sync::atomic::AtomicBool>,
) -> proxy::Proxy {
    let rule: proxy::Rule = Arc::new(move |call: &Call| {
        if call.operation == "ListEventBuses" && refuse.load(std::sync::atomic::Ordering::SeqCst) {
            Action::Fail { status: 400, code: "AccessDeniedException".into(), message: "not allowed".into() }
        } else {
            Action::Forward { delay: std::time::Duration::ZERO }
        }
    });
    rt.block_on(proxy::start(format!("127.0.0.1:{}", moto.port).parse().unwrap(), rule)).unwrap()
}

#[test]
fn every_streams_readers_and_writers_become_pipelines_with_the_lineage_aws_states() {
    let moto = Moto::start().unwrap();
    moto.python(account::SEED).unwrap();
    let rt = e2e::runtime();
    let refuse = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let proxy = proxy_refusing(&rt, &moto, refuse.clone());
    let server = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    // The Kinesis service leaves `ghost` out: the rule that writes it has no topic to point at.
    let kinesis = rest_workflow(
        &moto.endpoint(),
        "kinesis_prod",
        json!({"topicFilterPattern": {"excludes": ["ghost"]}}),
        &server.host_port(),
        Some(TOKEN),
    );
    let (k, i) = (
        sandbox.write_workflow("kinesis.yaml", &kinesis).unwrap(),
        sandbox.write_workflow("integrations.yaml", &integrations(&proxy.endpoint(), &server)).unwrap(),
    );
    let ingest = |extra: &[&str]| {
        let mut args = vec!["ingest", "-c", k.to_str().unwrap(), "-c", i.to_str().unwrap(), "--output", "json"];
        args.extend_from_slice(extra);
        sandbox.host(&args).unwrap()
    };
    let run = ingest(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let state = server.state.lock().unwrap();
    let service = &state.services["pipelineServices"]["kinesis_integrations"];
    assert_eq!(service["serviceType"], "CustomPipeline", "OpenMetadata has no KinesisIntegrations type");
    let mut pipelines: Vec<String> = state.of("pipelines").iter().map(|p| p.fqn.clone()).collect();
    pipelines.sort();
    assert_eq!(pipelines, account::pipelines(), "a pipeline for each integration with a stream: {}", run.stdout);
    let lambda = state.entity("pipelines", "kinesis_integrations.lambda:orders-handler").unwrap();
    assert_eq!(lambda.fields["tasks"][0]["taskType"], "EventSourceMapping");
    assert!(lambda.fields["tasks"][0]["description"].as_str().unwrap().contains("in batches of up to 50"));
    let mut edges = state.lineage_fqns();
    edges.sort();
    assert_eq!(edges, account::lineage(), "exactly the wiring AWS states");
    // Every pipeline is new: no stored edge can name one, so none is read before it is written.
    assert_eq!(state.calls_to("GET", "/api/v1/lineage/getLineageEdge"), 0);
    drop(state);
    // The stream the Kinesis service left out: skipped and named, never created.
    let summaries = e2e::summaries(&run);
    let skipped = &summaries[1]["lineage"]["skipped"];
    assert_eq!(skipped.as_array().unwrap().len(), 1, "{}", run.stdout);
    assert!(e2e::says(skipped, "kinesis_prod.ghost"), "{}", run.stdout);
    // The integrations page's picture is this run's lineage.
    let skipped: Vec<&str> = skipped.as_array().unwrap().iter().filter_map(Value::as_str).collect();
    readme_picture_is(&lineage_picture(&edges, &skipped));
    let calls = &summaries[1]["apiCalls"];
    for op in ["ListEventSourceMappings", "ListPipes", "ListEventBuses", "ListRules", "ListTargetsByRule"] {
        assert!(calls[op].as_u64().unwrap() >= 1, "{op}: {calls}");
    }

    // The same account again: OpenMetadata holds every topic, pipeline and lineage edge as the
    // run reads them, so none is sent and no version is made.
    let writes = |state: &e2e::openmetadata::State| {
        let entity_write = |p: &str| {
            p == "/api/v1/lineage"
                || ["/api/v1/topics", "/api/v1/pipelines"]
                    .iter()
                    .any(|c| p == *c || p.starts_with(&format!("{c}/bulk")))
        };
        state.calls.iter().filter(|(m, p)| m == "PUT" && entity_write(p)).count()
    };
    let (before, versions) = {
        let state = server.state.lock().unwrap();
        (writes(&state), state.versions.len())
    };
    let run = ingest(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let pipelines = e2e::summary_of(&run, "pipeline");
    assert_eq!(pipelines["unchanged"], account::pipelines().len(), "{}", run.stdout);
    let lineage = &e2e::summaries(&run)[1]["lineage"];
    assert_eq!((&lineage["added"], &lineage["unchanged"]), (&json!(0), &json!(account::lineage().len())), "{lineage}");
    let state = server.state.lock().unwrap();
    assert_eq!((writes(&state), state.versions.len()), (before, versions), "{:?}", state.versions);
    drop(state);

    // A pipe deleted, and EventBridge refusing its listing: nothing is deleted.
    moto.python(
        "import boto3, os\nboto3.client('pipes', endpoint_url=os.environ['MOTO'], region_name='eu-west-1', \
         aws_access_key_id='test', aws_secret_access_key='test').delete_pipe(Name='orders-to-queue')",
    )
    .unwrap();
    refuse.store(true, std::sync::atomic::Ordering::SeqCst);
    let run = ingest(&[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let pipelines = e2e::summary_of(&run, "pipeline");
    assert_eq!(pipelines["listingComplete"], false, "{}", run.stdout);
    let said = &e2e::summaries(&run)[1]["errors"];
    assert!(e2e::says(said, "eventBridgeRules: ListEventBuses failed: AccessDeniedException"), "{}", run.stdout);
    assert!(server.state.lock().unwrap().of("pipelines").iter().all(|p| !p.deleted), "nothing deleted");

    // Listed in full again: the deleted pipe's pipeline, and only it, is soft-deleted.
    refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    let run = ingest(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let state = server.state.lock().unwrap();
    let deleted: Vec<&str> = state.of("pipelines").iter().filter(|p| p.deleted).map(|p| p.fqn.as_str()).collect();
    assert_eq!(deleted, [account::pipeline("pipe:orders-to-queue").as_str()]);
}

#[test]
fn the_shipped_example_validates_and_test_connection_checks_each_kinds_permission() {
    let moto = Moto::start().unwrap();
    let server = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let example = e2e::workspace().join("examples/kinesis-integrations.yaml");
    let run = sandbox.host(&["validate", "-c", example.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("is a valid KinesisIntegrations workflow"), "{}", run.stdout);

    let wf = sandbox.write_workflow("integrations.yaml", &integrations(&moto.endpoint(), &server)).unwrap();
    let run = sandbox.host(&["test-connection", "-c", wf.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let steps: Vec<(&str, &str)> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("ListEventSourceMappings", "Passed"),
            ("ListPipes", "Passed"),
            ("ListEventBuses", "Passed"),
            ("ListTopicRules", "Passed"),
            ("ListStreamConsumers", "Passed")
        ]
    );
}

/// The lineage of a run as a Mermaid flowchart: topics (cylinders) and pipelines (rounded) by
/// service, an edge per lineage edge (labelled with its pipeline when it has one), and each
/// skipped edge dashed to the end that is not in OpenMetadata. `skipped` as the summary says
/// them: `pipeline S.P → topic S.T: topic S.T not in OpenMetadata`.
fn lineage_picture(edges: &[(String, String, Option<String>)], skipped: &[&str]) -> String {
    use std::collections::{BTreeMap, BTreeSet};
    // "type FQN" → FQN
    let fqn_of = |end: &str| end.split_once(' ').map_or(end, |(_, fqn)| fqn).to_string();
    let mut dashed: Vec<(String, String)> = Vec::new();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    for said in skipped {
        let (edge, why) =
            said.split_once(": ").unwrap_or_else(|| panic!("a skipped edge as the summary says it: {said}"));
        let (from, to) = edge.split_once(" → ").unwrap_or_else(|| panic!("an edge: {edge}"));
        dashed.push((fqn_of(from), fqn_of(to)));
        missing.insert(fqn_of(why.trim_end_matches(" not in OpenMetadata")));
    }
    let ends: BTreeSet<&String> =
        edges.iter().flat_map(|(f, t, _)| [f, t]).chain(dashed.iter().flat_map(|(f, t)| [f, t])).collect();
    let ids: BTreeMap<&String, String> = ends.iter().enumerate().map(|(i, fqn)| (*fqn, format!("n{i}"))).collect();
    // By service: the FQN's first part; the name is the rest, unquoted.
    let mut services: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for fqn in &ends {
        let (service, name) = fqn.split_once('.').unwrap_or(("", fqn));
        let name = name.trim_matches('"');
        let id = &ids[fqn];
        let shape = match (service == "kinesis_prod", missing.contains(*fqn)) {
            (false, _) => format!("{id}(\"{name}\")"),
            (true, false) => format!("{id}[(\"{name}\")]"),
            (true, true) => format!("{id}[(\"{name}<br/><i>not in OpenMetadata</i>\")]"),
        };
        services.entry(service).or_default().push(shape);
    }
    let mut out = String::from("```mermaid\nflowchart LR\n");
    for (service, shapes) in &services {
        out.push_str(&format!("  subgraph {service}\n"));
        for shape in shapes {
            out.push_str(&format!("    {shape}\n"));
        }
        out.push_str("  end\n");
    }
    for (from, to, pipeline) in edges {
        let label = pipeline.as_ref().map(|p| p.split_once('.').map_or(p.as_str(), |(_, n)| n));
        match label {
            Some(p) => out.push_str(&format!("  {} -- \"{p}\" --> {}\n", ids[from], ids[to])),
            None => out.push_str(&format!("  {} --> {}\n", ids[from], ids[to])),
        }
    }
    for (from, to) in &dashed {
        out.push_str(&format!("  {} -. \"skipped\" .-> {}\n", ids[from], ids[to]));
    }
    out.push_str("```\n");
    out
}

/// docs/connectors/integrations.md shows `picture` after its `<!-- lineage of tests/tests/it/integrations.rs -->` line;
/// with UPDATE_DOCS=1, this writes it there.
fn readme_picture_is(picture: &str) {
    const MARK: &str = "<!-- lineage of tests/tests/it/integrations.rs -->\n";
    let path = e2e::workspace().join("docs/connectors/integrations.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(MARK).expect("docs/connectors/integrations.md has the lineage picture's mark") + MARK.len();
    const OPEN: &str = "```mermaid\n";
    assert!(readme[start..].starts_with(OPEN), "a ```mermaid block right after the mark");
    let end = start + OPEN.len() + readme[start + OPEN.len()..].find("```\n").expect("the block's end") + 4;
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{}{picture}{}", &readme[..start], &readme[end..])).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        picture,
        "the lineage picture of docs/connectors/integrations.md is not this run's (UPDATE_DOCS=1 writes it)"
    );
}
