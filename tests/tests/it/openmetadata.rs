//! End to end with the `metadata-rest` sink: host + plugin + `kinesis-local` + the OpenMetadata
//! API stand-in. Creates, updates, soft-deletes safely, survives faults, keeps curated metadata.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use e2e::openmetadata::{ResetFront, StandIn};
use e2e::proxy::{self, Action, Call};
use e2e::{kinesis_client, rest_workflow, seed, Emulator, Sandbox, StreamSpec};
use serde_json::json;

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.jwt-canary-5c1e7.signature";

/// The run's summary, as `ingest --output json` prints it.
fn summary(run: &e2e::HostRun) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

fn no_token_shown(run: &e2e::HostRun) {
    assert!(
        !run.stdout.contains("jwt-canary") && !run.stderr.contains("jwt-canary"),
        "the token was shown:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// Six streams (two with a record) on kinesis-local, the OpenMetadata stand-in, and a workflow
/// with sample data that the first run wrote through: what the create, update and delete
/// tests start from.
struct Catalogued {
    emulator: Emulator,
    client: aws_sdk_kinesis::Client,
    rt: tokio::runtime::Runtime,
    om: StandIn,
    sandbox: Sandbox,
    /// The first run, its token from the environment.
    first: e2e::HostRun,
}

const CATALOGUED: [&str; 6] = ["orders.v1", "payments", "clicks", "audit", "inventory", "returns"];

impl Catalogued {
    fn start() -> Catalogued {
        let emulator = Emulator::start().unwrap();
        let client = kinesis_client(&emulator.endpoint());
        let rt = e2e::runtime();
        rt.block_on(async {
            seed(&client, &CATALOGUED.iter().map(|n| StreamSpec::new(*n, 2)).collect::<Vec<_>>()).await.unwrap();
            for n in ["orders.v1", "payments"] {
                let data = Blob::new(json!({"stream": n}).to_string());
                client.put_record().stream_name(n).partition_key("k").data(data).send().await.unwrap();
            }
        });
        let om = StandIn::start(Some(TOKEN)).unwrap();
        let sandbox = Sandbox::new().unwrap();
        let wf = json!({"generateSampleData": true});
        let wf = rest_workflow(&emulator.endpoint(), "kinesis_prod", wf, &om.host_port(), None);
        let wf = sandbox.write_workflow("first.yaml", &wf).unwrap();
        let args = ["ingest", "-c", wf.to_str().unwrap(), "--output", "json"];
        let first = sandbox.host_with_env(&args, &[("OPENMETADATA_JWT_TOKEN", TOKEN)]).unwrap();
        assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
        Catalogued { emulator, client, rt, om, sandbox, first }
    }

    /// Another run, the token in the workflow; `extra` are host arguments.
    fn run(&self, extra: &[&str]) -> e2e::HostRun {
        let wf = json!({"generateSampleData": true});
        let wf = rest_workflow(&self.emulator.endpoint(), "kinesis_prod", wf, &self.om.host_port(), Some(TOKEN));
        let wf = self.sandbox.write_workflow("again.yaml", &wf).unwrap();
        let mut args = vec!["ingest", "-c", wf.to_str().unwrap(), "--output", "json"];
        args.extend(extra);
        self.sandbox.host(&args).unwrap()
    }

    fn delete_streams(&self, names: &[&str]) {
        self.rt.block_on(async {
            for n in names {
                self.client.delete_stream().stream_name(*n).send().await.unwrap();
            }
        });
    }
}

#[test]
fn a_first_run_creates_the_service_and_writes_its_topics_in_bulk_and_those_with_samples_one_by_one() {
    let c = Catalogued::start();
    no_token_shown(&c.first);
    // The two with samples are written one by one (their sample needs the id the answer
    // carries), the other four in one bulk write, as OpenMetadata's own sink writes topics.
    let topics = &summary(&c.first)["entityTypes"][0];
    assert_eq!(
        (&topics["writtenInBulk"], &topics["created"], &topics["updated"], &topics["samples"]),
        (&json!(4), &json!(2), &json!(0), &json!(2)),
        "{topics}"
    );
    let state = c.om.state.lock().unwrap();
    let service = &state.services["messagingServices"]["kinesis_prod"];
    assert_eq!(service["serviceType"], "Kinesis");
    assert_eq!(
        service["connection"]["config"]["awsConfig"]["awsSecretAccessKey"], "test-secret-key",
        "the server stores the connection"
    );
    assert_eq!(state.live_topics().len(), 6);
    let orders = state.topic("kinesis_prod.\"orders.v1\"").expect("the FQN quotes a name with a dot");
    assert_eq!(orders.fields["partitions"], 2);
    assert_eq!(orders.sample.as_ref().unwrap()["messages"][0], json!({"stream": "orders.v1"}).to_string());
    assert!(orders.fields.contains_key("messageSchema"));
    assert!(state.topic("kinesis_prod.clicks").unwrap().sample.is_none(), "no sample call for an empty stream");
    assert_eq!(state.calls_to("GET", "/api/v1/system/version"), 1);
    assert_eq!(state.calls_to("PUT", "/api/v1/topics/bulk?async=false&overrideMetadata=false"), 1);
    let single = state.calls.iter().filter(|(m, p)| m == "PUT" && p == "/api/v1/topics").count();
    assert_eq!(single, 2, "the two topics with samples");
    // Order: version, service, then topics.
    let first_topic = state.calls.iter().position(|(_, p)| p.starts_with("/api/v1/topics")).unwrap();
    let service_call = state.calls.iter().position(|(_, p)| p == "/api/v1/services/messagingServices").unwrap();
    assert!(service_call < first_topic);
    // Nothing unseen: no deletion call at all.
    assert_eq!(state.calls.iter().filter(|(m, _)| m == "DELETE").count(), 0);
}

#[test]
fn a_second_run_soft_deletes_exactly_what_disappeared_and_sends_only_what_changed() {
    let c = Catalogued::start();
    c.om.curate("kinesis_prod.payments", "Payments, curated by a person");
    // One stream gone, one new: exactly one soft-deleted, one created; the curated description
    // survives (overrideMetadata is false); the five topics the server holds as they are are
    // not sent again (the two samples are).
    c.delete_streams(&["clicks"]);
    c.rt.block_on(seed(&c.client, &[StreamSpec::new("refunds", 1)])).unwrap();
    let run = c.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    no_token_shown(&run);
    let topics = &summary(&run)["entityTypes"][0];
    assert_eq!(
        (&topics["writtenInBulk"], &topics["created"], &topics["updated"], &topics["unchanged"], &topics["samples"]),
        (&json!(1), &json!(0), &json!(0), &json!(5), &json!(2)),
        "{topics}"
    );
    assert_eq!(topics["deletion"], "soft-deleted 1: kinesis_prod.clicks", "{topics}");
    let state = c.om.state.lock().unwrap();
    assert!(state.topic("kinesis_prod.clicks").unwrap().deleted);
    assert!(!state.topic("kinesis_prod.refunds").unwrap().deleted);
    assert_eq!(state.live_topics().len(), 6);
    assert_eq!(
        state.topic("kinesis_prod.payments").unwrap().description.as_deref(),
        Some("Payments, curated by a person")
    );
    // The run sends only what the source knows: nothing a person curates in OpenMetadata.
    let topic_puts: Vec<&serde_json::Value> = state
        .puts
        .iter()
        .flat_map(|(p, b)| match p.as_str() {
            "/v1/topics" => vec![b],
            p if p.starts_with("/v1/topics/bulk") => b.as_array().unwrap().iter().collect(),
            _ => vec![],
        })
        .collect();
    assert_eq!(topic_puts.len(), 7, "six topics, then the new one");
    for body in topic_puts {
        for curated in ["description", "tags", "owners", "displayName", "domains", "dataProducts"] {
            assert!(body.get(curated).is_none(), "a PUT carried {curated}: {body}");
        }
    }
    // The deletion comes after every write of the run.
    let delete = state.calls.iter().position(|(m, p)| m == "DELETE" && p == "/api/v1/topics/deleteStale").unwrap();
    let last_put = state.calls.iter().rposition(|(m, _)| m == "PUT").unwrap();
    assert!(last_put < delete);
}

#[test]
fn against_an_older_server_without_delete_stale_an_unseen_topic_is_soft_deleted_by_id() {
    let c = Catalogued::start();
    c.om.state.lock().unwrap().legacy = true;
    c.delete_streams(&["audit"]);
    let run = c.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(summary(&run)["entityTypes"][0]["deletion"], "soft-deleted 1: kinesis_prod.audit");
    let state = c.om.state.lock().unwrap();
    assert!(state.topic("kinesis_prod.audit").unwrap().deleted);
    let id = &state.topic("kinesis_prod.audit").unwrap().id;
    assert_eq!(state.calls_to("DELETE", &format!("/api/v1/topics/{id}?recursive=true&hardDelete=false")), 1);
}

#[test]
fn a_run_that_would_delete_most_topics_deletes_none_until_the_share_allows_it() {
    let c = Catalogued::start();
    // Five of six gone at once: more than 75% would go, so nothing is deleted, and the summary
    // says how to allow it; with the share raised, they go.
    c.delete_streams(&["orders.v1", "payments", "inventory", "returns", "audit"]);
    let run = c.run(&[]);
    let deletion = summary(&run)["entityTypes"][0]["deletion"].as_str().unwrap().to_string();
    assert!(deletion.contains("would soft-delete 5 of the service's 6 topics (83%)"), "{deletion}");
    assert!(deletion.contains("--max-delete-share 0.84"), "{deletion}");
    assert_eq!(c.om.state.lock().unwrap().live_topics().len(), 6);
    let run = c.run(&["--max-delete-share", "0.84"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(c.om.state.lock().unwrap().live_topics().len(), 1);
}

#[test]
fn inferred_schemas_converge_and_keep_what_people_wrote() {
    use e2e::converge::{assert_curation_kept, curate, field_names, put_shaped, topic_writes};
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(seed(&client, &[StreamSpec::new("orders", 1)])).unwrap();
    rt.block_on(put_shaped(&client, "orders", true, 3));
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let config = json!({"generateSampleData": true, "sampleSize": 50});
    let wf = sandbox
        .write_workflow(
            "wf.yaml",
            &rest_workflow(&emulator.endpoint(), "kinesis_prod", config, &om.host_port(), Some(TOKEN)),
        )
        .unwrap();
    let ingest = || {
        let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        summary(&run)["entityTypes"][0].clone()
    };
    const TOPIC: &str = "kinesis_prod.orders";
    let field = |path: &[&str]| om.state.lock().unwrap().field(TOPIC, path);
    let versions = || om.state.lock().unwrap().versions.clone();

    // Run 1: the first shape; then people describe and tag three fields.
    ingest();
    assert_eq!(field(&["price"]).unwrap()["dataType"], "INT");
    curate(&om, TOPIC);

    // Run 2: the newest 50 records lack `email` and `meta.a`, and their price is fractional.
    rt.block_on(put_shaped(&client, "orders", false, 60));
    let topics = ingest();
    assert_eq!(topics["unchanged"], 0, "{topics}");
    assert_curation_kept(&om, TOPIC);
    assert_eq!(field(&["price"]).unwrap()["dataType"], "DOUBLE", "a number that turns fractional widens");
    assert!(field(&["coupon"]).is_some() && field(&["meta", "b"]).is_some(), "new fields are added");
    // The retype is the server's delete-and-add of `price`: a major version, and no other.
    assert_eq!(versions(), [(TOPIC.to_string(), 1.0)]);
    assert_eq!(
        field_names(&om, TOPIC),
        ["email", "id", "meta", "price", "coupon"],
        "stored fields first, in their order"
    );

    // Run 3: nothing new in the stream: no topic write, no version; the sample is written.
    let writes = topic_writes(&om);
    let topics = ingest();
    assert_eq!((&topics["unchanged"], &topics["samples"]), (&json!(1), &json!(1)), "{topics}");
    assert_eq!(topic_writes(&om), writes);
    assert_eq!(versions().len(), 1);

    // Run 4: the old shape comes back: it fits what is stored, so nothing changes either.
    rt.block_on(put_shaped(&client, "orders", true, 60));
    let topics = ingest();
    assert_eq!(topics["unchanged"], 1, "{topics}");
    assert_eq!(topic_writes(&om), writes);
    assert_eq!(versions().len(), 1);
    assert_curation_kept(&om, TOPIC);
}

#[test]
fn faults_are_survived_and_an_incomplete_listing_deletes_nothing() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    let streams: Vec<StreamSpec> = (0..105).map(|i| StreamSpec::new(format!("s-{i:03}"), 1)).collect();
    rt.block_on(seed(&client, &streams)).unwrap();
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();

    // 503 twice, then success; and one topic the server refuses: recorded, the run goes on.
    {
        let mut state = om.state.lock().unwrap();
        state.fail_topic_puts = 2;
        state.reject_topics = vec!["s-007".into()];
    }
    let wf = sandbox
        .write_workflow("wf.yaml", &rest_workflow(&emulator.endpoint(), "svc", json!({}), &om.host_port(), Some(TOKEN)))
        .unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    // Two bulk writes (100 and 5); the first met the 503s and was retried; the server refused
    // one topic within it, which the summary names.
    let topics = e2e::summary_of(&run, "topic");
    assert_eq!(topics["writtenInBulk"], 104, "{}", run.stdout);
    assert_eq!(
        topics["failures"],
        json!([{"name": "svc.s-007", "error": "PUT /v1/topics/bulk: the server answered 400: topic \"s-007\" rejected by the test"}]),
        "{}",
        run.stdout
    );
    assert_eq!(om.state.lock().unwrap().calls_to("PUT", "/api/v1/topics/bulk"), 2 + 2);
    assert_eq!(om.state.lock().unwrap().live_topics().len(), 104);
    om.state.lock().unwrap().reject_topics.clear();

    // A listing that fails on its second page: nothing is deleted, the run fails.
    let rule: proxy::Rule = Arc::new(|call: &Call| {
        if call.operation == "ListStreams" && call.nth_of_operation >= 2 {
            Action::Fail { status: 500, code: "InternalFailure".into(), message: "injected".into() }
        } else {
            Action::Forward { delay: Duration::ZERO }
        }
    });
    let failing = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    let wf = sandbox
        .write_workflow(
            "failing.yaml",
            &rest_workflow(&failing.endpoint(), "svc", json!({}), &om.host_port(), Some(TOKEN)),
        )
        .unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--max-delete-share", "1"]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("nothing is marked deleted after an incomplete listing"), "{}", run.stdout);
    {
        let state = om.state.lock().unwrap();
        assert_eq!(state.calls.iter().filter(|(m, _)| m == "DELETE").count(), 0);
        // The first page's topics were written (s-007 among them, no longer refused); none went.
        assert_eq!(state.live_topics().len(), 105);
    }

    // A bad token fails at once, before any write, with a clear message and no token shown.
    let wf = sandbox
        .write_workflow(
            "bad.yaml",
            &rest_workflow(&emulator.endpoint(), "svc", json!({}), &om.host_port(), Some("eyJ.jwt-canary-wrong.x")),
        )
        .unwrap();
    let puts_before = om.state.lock().unwrap().calls_to("PUT", "/");
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("refused our credentials"), "{}", run.stderr);
    no_token_shown(&run);
    assert_eq!(om.state.lock().unwrap().calls_to("PUT", "/"), puts_before);

    // A server too old for what we send is refused before any write.
    om.state.lock().unwrap().version = "0.13.2".into();
    let wf = sandbox
        .write_workflow(
            "old.yaml",
            &rest_workflow(&emulator.endpoint(), "svc", json!({}), &om.host_port(), Some(TOKEN)),
        )
        .unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("reports version '0.13.2'; this host needs 1.0 or later"), "{}", run.stderr);
    assert_eq!(om.state.lock().unwrap().calls_to("PUT", "/"), puts_before);

    // An unreachable server is named as such.
    let port = e2e::free_port().unwrap();
    let wf = sandbox
        .write_workflow(
            "gone.yaml",
            &rest_workflow(
                &emulator.endpoint(),
                "svc",
                json!({}),
                &format!("http://127.0.0.1:{port}/api"),
                Some(TOKEN),
            ),
        )
        .unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot reach the OpenMetadata server"), "{}", run.stderr);
}

fn seeded(names: &[&str]) -> (Emulator, tokio::runtime::Runtime, aws_sdk_kinesis::Client) {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(seed(&client, &names.iter().map(|n| StreamSpec::new(*n, 1)).collect::<Vec<_>>())).unwrap();
    (emulator, rt, client)
}

#[test]
fn openmetadata_faults_are_retried_and_a_dotted_service_keeps_its_topics() {
    use e2e::openmetadata::Fault;
    let names = ["t-1", "t-2", "t-3", "t-4", "t-5", "t-6"];
    let (emulator, rt, client) = seeded(&names);
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let service = "kinesis.prod";
    let wf = sandbox
        .write_workflow(
            "wf.yaml",
            &rest_workflow(&emulator.endpoint(), service, json!({}), &om.host_port(), Some(TOKEN)),
        )
        .unwrap();

    // One writer, so that the call after a fault is its retry (the six topics go in one bulk
    // write): 429 with Retry-After, 500, 503, an answer slower than the client waits.
    om.state.lock().unwrap().topic_put_faults = [
        Fault::Status(429, Some(1)),
        Fault::Status(500, None),
        Fault::Status(503, None),
        Fault::Slow(Duration::from_secs(3)),
    ]
    .into();
    let run = sandbox
        .host(&["ingest", "-c", wf.to_str().unwrap(), "--sink-concurrency", "1", "--sink-timeout", "1"])
        .unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    no_token_shown(&run);
    {
        let state = om.state.lock().unwrap();
        assert!(state.topic_put_faults.is_empty(), "every fault was met");
        let live: Vec<&str> = state.live_topics().iter().map(|t| t.fqn.as_str()).collect();
        assert_eq!(live.len(), 6, "{live:?}");
        assert!(live.contains(&"\"kinesis.prod\".t-1"), "{live:?}");
        // Retry-After: 1 was waited for before the retry.
        let times = &state.topic_put_times;
        let throttled = times.iter().position(|(_, fault)| *fault).unwrap();
        let gap = times[throttled + 1].0 - times[throttled].0;
        assert!(gap >= Duration::from_secs(1), "retried {gap:?} after a 429 with Retry-After: 1");
    }

    // Connections reset without an answer are retried too (the topics drifted in OpenMetadata,
    // so that the run writes them again).
    om.drift("topics");
    let front = ResetFront::start(om.port, 2).unwrap();
    let wf_front = sandbox
        .write_workflow(
            "front.yaml",
            &rest_workflow(&emulator.endpoint(), service, json!({}), &front.host_port(), Some(TOKEN)),
        )
        .unwrap();
    let run = sandbox.host(&["ingest", "-c", wf_front.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(front.resets_done.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(e2e::summary_of(&run, "topic")["writtenInBulk"], 6, "{}", run.stdout);

    // A topic that exists and whose update is refused: the run fails, and nothing is deleted,
    // least of all that topic.
    om.drift("topics");
    rt.block_on(client.delete_stream().stream_name("t-6").send()).unwrap();
    om.state.lock().unwrap().reject_topics = vec!["t-3".into()];
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("kept: nothing is marked deleted after a run with errors"), "{}", run.stdout);
    {
        let state = om.state.lock().unwrap();
        assert_eq!(state.live_topics().len(), 6);
        assert!(!state.topic("\"kinesis.prod\".t-3").unwrap().deleted);
        assert_eq!(state.calls.iter().filter(|(m, _)| m == "DELETE").count(), 0);
    }
    om.state.lock().unwrap().reject_topics.clear();

    // An older server, without bulk writes (topics go one by one) and with a one-by-one
    // deletion failing part way: the run says which topics were deleted and which were not,
    // and fails.
    {
        let mut state = om.state.lock().unwrap();
        state.legacy = true;
        state.no_bulk = true;
        state.fail_deletes_after = Some(1);
        state.calls.clear();
    }
    om.drift("topics");
    rt.block_on(async {
        for n in ["t-4", "t-5"] {
            client.delete_stream().stream_name(n).send().await.unwrap();
        }
    });
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        e2e::says(
            &e2e::summaries(&run)[0],
            "deleted 1 (\"kinesis.prod\".t-4), not deleted 2 (\"kinesis.prod\".t-5, \"kinesis.prod\".t-6)"
        ),
        "{}",
        run.stdout
    );
    let topics = e2e::summary_of(&run, "topic");
    assert_eq!((&topics["created"], &topics["updated"]), (&json!(0), &json!(3)), "{}", run.stdout);
    let state = om.state.lock().unwrap();
    // This run's calls: from its version check on (the first run's slow answer, 3 s late,
    // may land after the calls were cleared).
    let start = state.calls.iter().position(|(_, p)| p == "/api/v1/system/version").unwrap();
    let bulk = state.calls[start..].iter().filter(|(m, p)| m == "PUT" && p.starts_with("/api/v1/topics/bulk")).count();
    assert_eq!(bulk, 1, "asked once, then one by one: {:?}", state.calls);
    let deleted: Vec<&str> = state.of("topics").into_iter().filter(|t| t.deleted).map(|t| t.fqn.as_str()).collect();
    assert_eq!(deleted, vec!["\"kinesis.prod\".t-4"]);
}

/// Merging, skipping and deletion decide from what OpenMetadata answers, so an answer that is
/// not what the API promises stops the run before it writes: a topic list that is an HTML page
/// with 200 (a proxy's error page) or JSON without `data`; and a `deleteStale` that reports more
/// deletions than the run asked for is an error.
#[test]
fn deletion_fails_closed_on_answers_the_api_does_not_promise() {
    let (emulator, rt, client) = seeded(&["keep-1", "keep-2", "gone"]);
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox
        .write_workflow("wf.yaml", &rest_workflow(&emulator.endpoint(), "svc", json!({}), &om.host_port(), Some(TOKEN)))
        .unwrap();
    let ingest = || {
        let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
        (run.code, summary)
    };
    assert_eq!(ingest().0, 0);
    rt.block_on(client.delete_stream().stream_name("gone").send()).unwrap();

    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    for (content_type, answer, why) in [
        ("text/html", html.to_string(), "the answer is not a page of topics: no `data` list (it begins: <html>"),
        ("application/json", json!({"paging": {"total": 0}}).to_string(), "no `data` list"),
        ("application/json", json!({"data": []}).to_string(), "no `paging`"),
        ("application/json", json!({"data": [{"name": "gone"}], "paging": {}}).to_string(), "an entity without `id`"),
    ] {
        om.state.lock().unwrap().list_answers.push_back((200, content_type, answer));
        let (code, summary) = ingest();
        assert_eq!(code, 1, "{summary}");
        assert_eq!(summary["state"], "failed", "{summary}");
        let errors = summary["errors"].to_string();
        assert!(
            errors.contains("cannot read the service's topics in OpenMetadata: GET /v1/topics?service=svc")
                && errors.contains(why)
                && errors.contains("nothing was written"),
            "{why}: {errors}"
        );
        let deletion = summary["entityTypes"][0]["deletion"].as_str().unwrap();
        assert!(deletion.starts_with("kept"), "{deletion}");
        let state = om.state.lock().unwrap();
        assert!(!state.topic("svc.gone").unwrap().deleted, "{why}");
        assert_eq!(state.calls_to("DELETE", "/api/v1/topics"), 0, "{why}");
    }

    // The server reports two deletions more than the one the run found unseen: an error, named.
    om.state.lock().unwrap().delete_stale_extra = 2;
    let (code, summary) = ingest();
    assert_eq!(code, 1, "{summary}");
    let errors = summary["errors"].to_string();
    assert!(
        errors.contains("the server soft-deleted 3 topics, this run found 1 unseen (svc.gone); the others were not this run's to delete"),
        "{errors}"
    );
    assert_eq!(om.state.lock().unwrap().calls_to("DELETE", "/api/v1/topics/deleteStale"), 1);
}

#[test]
fn personal_data_is_classified_masked_and_a_persons_tag_wins() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("people", 1)]).await.unwrap();
        e2e::classification::put_personal(&client, "people", 30).await;
    });
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let ingest = |extra: serde_json::Value| {
        let mut config = json!({"generateSampleData": true, "sampleSize": 50});
        config.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let wf = rest_workflow(&emulator.endpoint(), "kinesis_prod", config, &om.host_port(), Some(TOKEN));
        let wf = sandbox.write_workflow("wf.yaml", &wf).unwrap();
        let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        assert!(!format!("{}{}", run.stdout, run.stderr).contains("AKIAIOSFODNN7EXAMPLE"), "a credential was shown");
        run
    };
    const TOPIC: &str = "kinesis_prod.people";
    let field = |path: &[&str]| om.state.lock().unwrap().field(TOPIC, path).unwrap_or_else(|| panic!("{path:?}"));
    let pii_tags = |path: &[&str]| -> Vec<serde_json::Value> {
        let f = field(path);
        let tags = f["tags"].as_array().cloned().unwrap_or_default();
        tags.into_iter().filter(|t| t["tagFQN"].as_str().unwrap_or_default().starts_with("PII.")).collect()
    };
    let sample = || -> Vec<serde_json::Value> {
        let state = om.state.lock().unwrap();
        let messages = state.topic(TOPIC).unwrap().sample.clone().unwrap()["messages"].clone();
        messages.as_array().unwrap().iter().map(|m| serde_json::from_str(m.as_str().unwrap()).unwrap()).collect()
    };

    // Run 1, classification off: no tag; the credential is masked all the same, and named.
    let run = ingest(json!({}));
    let fields = ["id", "card", "order", "sku", "trace", "ref", "version", "at", "price", "note", "auth"];
    for name in fields {
        assert!(pii_tags(&[name]).is_empty(), "{name}");
    }
    assert!(pii_tags(&["contact", "email"]).is_empty());
    assert!(
        run.stdout.contains("a credential (AWS_ACCESS_KEY_ID) in field 'auth' of the sample was masked"),
        "{}",
        run.stdout
    );
    let messages = sample();
    assert_eq!(messages.len(), 30);
    let with_auth: Vec<_> = messages.iter().filter(|m| m.get("auth").is_some()).collect();
    assert_eq!(with_auth.len(), 1);
    assert_eq!(with_auth[0]["auth"], "********", "masked, its key kept");
    assert!(messages.iter().any(|m| m["card"] == "4111111111111111"), "masking none keeps the rest");

    // A person decides the card number is not sensitive here.
    om.curate_field(TOPIC, &["card"], "Test cards only", "PII.NonSensitive");

    // Run 2, classification on, sensitive values masked.
    ingest(json!({"enableAutoClassification": true, "sampleDataMasking": "sensitive"}));
    let email = pii_tags(&["contact", "email"]);
    assert_eq!(
        email,
        [json!({"tagFQN": "PII.Sensitive", "source": "Classification", "labelType": "Generated", "state": "Suggested",
            "reason": "EMAIL_ADDRESS in 30 of 30 sampled values"})],
        "a nested field"
    );
    let phone = pii_tags(&["contact", "phone"]);
    assert_eq!(phone.len(), 1);
    assert_eq!(phone[0]["tagFQN"], "PII.NonSensitive", "phone numbers are non-sensitive");
    let card = pii_tags(&["card"]);
    assert_eq!(card.len(), 1, "{card:?}");
    assert_eq!(
        (&card[0]["tagFQN"], &card[0]["labelType"]),
        (&json!("PII.NonSensitive"), &json!("Manual")),
        "the person's"
    );
    for name in ["id", "order", "sku", "trace", "ref", "version", "at", "price", "note"] {
        assert!(pii_tags(&[name]).is_empty(), "a look-alike was tagged: {name}: {:?}", pii_tags(&[name]));
    }
    // The one record's `auth` holds a credential: its only value.
    let auth = pii_tags(&["auth"]);
    assert_eq!(auth[0]["reason"], "AWS_ACCESS_KEY_ID in 1 of 1 sampled values", "{auth:?}");
    assert_eq!(auth[0]["tagFQN"], "PII.Sensitive");
    let messages = sample();
    for m in &messages {
        assert_eq!(m["contact"]["email"], "********", "{m}");
        assert_eq!(m["card"], "********", "classified sensitive in the sample: masked");
        assert!(m["contact"]["phone"].as_str().unwrap().starts_with("+44"), "non-sensitive: kept");
        assert!(m["order"].as_str().unwrap().starts_with("ORD-"), "{m}");
    }
    let text = serde_json::to_string(&messages).unwrap();
    assert!(!text.contains("@example.com") && !text.contains("4111111111111111") && !text.contains("AKIA"), "{text}");
}
