//! End to end: sample data read from `kinesis-local` through the plugin: the newest messages
//! across shards, decoded (JSON, KPL aggregates, gzip, binary), with an inferred message schema.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::primitives::Blob;
use e2e::proxy::{self, Action};
use e2e::{contract, kinesis_client, read_jsonl, seed, workflow, Emulator, Sandbox, StreamSpec};
use kinesis_plugin::decode::kpl::{aggregate, UserRecord};
use serde_json::{json, Value};

async fn put(client: &aws_sdk_kinesis::Client, stream: &str, key: &str, data: Vec<u8>) {
    client.put_record().stream_name(stream).partition_key(key).data(Blob::new(data)).send().await.unwrap();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn order(n: u32) -> String {
    // Field `coupon` only in some records, `amount` an int or a float.
    let mut v = json!({"orderId": n, "customer": {"id": format!("c{}", n % 7), "tier": "gold"}, "items": [{"sku": "a", "qty": 1}]});
    if n.is_multiple_of(3) {
        v["coupon"] = json!("SAVE10");
    }
    v["amount"] = if n.is_multiple_of(2) { json!(n * 10) } else { json!(f64::from(n) + 0.5) };
    v.to_string()
}

#[test]
fn samples_are_the_newest_messages_decoded_with_a_schema() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(async {
        seed(
            &client,
            &[
                StreamSpec::new("json-orders", 3),
                StreamSpec::new("kpl-events", 1),
                StreamSpec::new("gzip-logs", 1),
                StreamSpec::new("binary-blobs", 2),
                StreamSpec::new("empty-stream", 2),
                StreamSpec::new("old-records", 1),
                StreamSpec::new("skipped-by-filter", 1),
            ],
        )
        .await
        .unwrap();
        for i in 0..3 {
            put(&client, "old-records", "k", format!("old {i}").into_bytes()).await;
        }
        put(&client, "skipped-by-filter", "k", b"never read".to_vec()).await;
        // 60 orders over 3 shards, each in a later millisecond so that arrival times order them;
        // 50 are sampled.
        for n in 1..=60u32 {
            put(&client, "json-orders", &format!("key-{n}"), order(n).into_bytes()).await;
            past_this_millisecond().await;
        }
        for batch in 0..3u32 {
            let users: Vec<UserRecord> = (0..4u32)
                .map(|i| UserRecord {
                    partition_key: format!("pk-{}", i % 2),
                    explicit_hash_key: (i == 3).then(|| "42".to_string()),
                    data: json!({"event": "click", "batch": batch, "i": i}).to_string().into_bytes(),
                })
                .collect();
            put(&client, "kpl-events", "agg", aggregate(&users)).await;
        }
        let log = json!({"messageType": "DATA_MESSAGE", "logGroup": "/aws/lambda/f", "logEvents": [{"id": "1", "message": "hello"}]});
        put(&client, "gzip-logs", "k", gzip(log.to_string().as_bytes())).await;
        put(&client, "binary-blobs", "k", vec![0x00, 0xFF, 0xFE, 0x01]).await;
    });
    let proxy = forwarding(&emulator, &rt);

    let sandbox = Sandbox::new().unwrap();
    let config = json!({"generateSampleData": true, "sampleLookbackSeconds": 1, "topicFilterPattern": {"excludes": ["skipped"]}});
    let wf = sandbox.write_workflow("workflow.yaml", &workflow(&proxy.endpoint(), "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(e2e::summary_of(&run, "topic")["samples"], 5, "{}", run.stdout);

    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let sample_validator = contract("topicSampleData.json").unwrap();
    let topic_validator = contract("createTopic.json").unwrap();
    let topic = |name: &str| -> Value {
        lines
            .iter()
            .find(|l| l["path"] == "/v1/topics" && l["body"]["name"] == name)
            .unwrap_or_else(|| panic!("no topic {name}"))["body"]
            .clone()
    };
    let sample = |name: &str| -> Option<Vec<String>> {
        let position = lines
            .iter()
            .position(|l| l["path"] == "/v1/topics/{id}/sampleData" && l["entityFqn"] == format!("svc.{name}"))?;
        let topic_position = lines.iter().position(|l| l["path"] == "/v1/topics" && l["body"]["name"] == name).unwrap();
        assert!(topic_position < position, "a sample follows its topic");
        let body = &lines[position]["body"];
        assert!(sample_validator.is_valid(body), "{body}");
        Some(body["messages"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect())
    };
    for l in lines.iter().filter(|l| l["path"] == "/v1/topics") {
        let errors: Vec<String> = topic_validator.iter_errors(&l["body"]).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", l["body"]["name"]);
    }

    // The 50 newest of 60 orders, from all three shards, newest first.
    let orders = sample("json-orders").unwrap();
    let expected: Vec<String> = (11..=60).rev().map(order).collect();
    assert_eq!(orders, expected);

    // Its inferred schema: nested record, array of records, optional field, widened number.
    let schema = &topic("json-orders")["messageSchema"];
    assert_eq!(schema["schemaType"], "JSON");
    let fields: Vec<&Value> = schema["schemaFields"].as_array().unwrap().iter().collect();
    let field = |name: &str| fields.iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no field {name}"));
    assert_eq!(field("orderId")["dataType"], "INT");
    assert_eq!(field("amount")["dataType"], "DOUBLE");
    assert_eq!(field("customer")["dataType"], "RECORD");
    assert_eq!(field("items")["dataTypeDisplay"], "array<record>");
    let text: Value = serde_json::from_str(schema["schemaText"].as_str().unwrap()).unwrap();
    // Drawn from the fields, saying nothing a next sample would change (how many, which were
    // missing from some).
    assert!(text["properties"]["coupon"].is_object() && text.get("required").is_none(), "{text}");
    assert_eq!(
        text["description"],
        "Inferred by the Kinesis plugin from sampled JSON records of stream 'json-orders'."
    );

    // KPL aggregates are split into their 12 user records.
    let events = sample("kpl-events").unwrap();
    assert_eq!(events.len(), 12);
    let parsed: Vec<Value> = events.iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    assert!(parsed.iter().all(|e| e["event"] == "click"));
    assert_eq!(parsed[0], json!({"event": "click", "batch": 2, "i": 3}), "newest first");
    assert!(topic("kpl-events")["messageSchema"]["schemaFields"].as_array().unwrap().len() == 3);

    // gzip is decompressed; binary is base64 with a prefix; old records are found by widening.
    let logs = sample("gzip-logs").unwrap();
    assert_eq!(serde_json::from_str::<Value>(&logs[0]).unwrap()["logEvents"][0]["message"], "hello");
    assert_eq!(sample("binary-blobs").unwrap(), vec!["[binary, base64] AP/+AQ==".to_string()]);
    assert!(topic("binary-blobs").get("messageSchema").is_none());
    assert_eq!(sample("old-records").unwrap(), vec!["old 2", "old 1", "old 0"]);

    // An empty stream keeps its topic, without a sample request.
    assert_eq!(topic("empty-stream")["partitions"], 2);
    assert!(sample("empty-stream").is_none());

    // A quiet shard costs two calls: the probe's iterator and one read.
    let quiet: Vec<String> = proxy
        .log()
        .into_iter()
        .filter(|c| c.shard.as_deref() == Some("old-records/shardId-000000000000"))
        .map(|c| c.operation)
        .collect();
    assert_eq!(quiet, vec!["GetShardIterator", "GetRecords"]);

    // Filtered streams are never read: one ListShards per kept stream, none for the other.
    assert!(!lines.is_empty() && lines.iter().all(|l| l["body"]["name"] != "skipped-by-filter"));
    assert_eq!(proxy.calls("ListShards"), 6);
    assert!(proxy.calls("GetRecords") >= 9, "{}", proxy.calls("GetRecords"));
}

/// A shard with more records than the sample, its newest ones after a quiet spell: the window
/// aimed at the tip from the burst's rate holds too few, widens over the gap, and the newest are
/// kept.
#[test]
fn a_shard_whose_newest_records_follow_a_quiet_spell_is_sampled_from_its_newest() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("old-busy", 1)]).await.unwrap();
        // A burst, a quiet two seconds, three more: aimed at the tip from the burst's rate, the
        // first window (twice the time the burst took for 10 records, at least 100 ms) holds too
        // few and has to widen over the gap. The gap is long beside any put's latency (a quarter
        // second was not, where the emulator took ~20 ms a put); the pause shapes the records'
        // arrival times (the emulator stamps them), nothing waits on it.
        for i in 0..30 {
            put(&client, "old-busy", "k", format!("busy {i}").into_bytes()).await;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        for i in 0..3 {
            put(&client, "old-busy", "k", format!("recent {i}").into_bytes()).await;
        }
    });
    let proxy = forwarding(&emulator, &rt);
    let sandbox = Sandbox::new().unwrap();
    let config = json!({"generateSampleData": true, "sampleSize": 10});
    let wf = sandbox.write_workflow("busy.yaml", &workflow(&proxy.endpoint(), "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let busy: Vec<&str> =
        lines.iter().find(|l| l["entityFqn"] == "svc.old-busy" && l["path"] == "/v1/topics/{id}/sampleData").unwrap()
            ["body"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
    let expected: Vec<String> =
        (0..3).rev().map(|i| format!("recent {i}")).chain((23..30).rev().map(|i| format!("busy {i}"))).collect();
    assert_eq!(busy, expected);
    // The probe from the oldest record, a window that held too few, at least one wider: and
    // never more than the call bound allows.
    let iterators = proxy.calls("GetShardIterator");
    assert!((3..=6).contains(&iterators), "{iterators} GetShardIterator calls");
    let reads = proxy.calls("GetRecords");
    assert!((3..=25).contains(&reads), "{reads} GetRecords calls");
}

/// More records than the sample, written in one PutRecords call (one millisecond, so
/// MillisBehindLatest is 0 all along): still the newest, not the first ones read.
#[test]
fn records_written_in_one_call_are_sampled_from_the_newest() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    e2e::runtime().block_on(async {
        seed(&client, &[StreamSpec::new("one-batch", 1)]).await.unwrap();
        e2e::put_json_records(&client, "one-batch", 30).await.unwrap();
    });
    let sandbox = Sandbox::new().unwrap();
    let config = json!({"generateSampleData": true, "sampleSize": 5});
    let wf = sandbox.write_workflow("batch.yaml", &workflow(&emulator.endpoint(), "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let ids: Vec<i64> = lines.iter().find(|l| l["path"] == "/v1/topics/{id}/sampleData").unwrap()["body"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str::<Value>(m.as_str().unwrap()).unwrap()["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![29, 28, 27, 26, 25]);
}

/// Two streams of three and two shards, a few records in each.
fn five_shards() -> (Emulator, tokio::runtime::Runtime) {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("orders", 3), StreamSpec::new("blobs", 2)]).await.unwrap();
        for n in 1..=12u32 {
            put(&client, "orders", &format!("key-{n}"), order(n).into_bytes()).await;
            put(&client, "blobs", &format!("key-{n}"), vec![0x00, 0xFF, n as u8]).await;
        }
    });
    (emulator, rt)
}

/// `sampleConcurrency` bounds the shards read at once across the run: at 1, each shard's reads
/// end before the next shard's begin.
#[test]
fn sample_concurrency_bounds_the_shards_read_at_once() {
    let (emulator, rt) = five_shards();
    let proxy = forwarding(&emulator, &rt);
    let sandbox = Sandbox::new().unwrap();
    let config = json!({"generateSampleData": true, "sampleConcurrency": 1});
    let wf = sandbox.write_workflow("one-shard.yaml", &workflow(&proxy.endpoint(), "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let shards: Vec<String> = proxy.log().iter().filter_map(|c| c.shard.clone()).collect();
    let mut finished: Vec<&String> = Vec::new();
    for pair in shards.windows(2) {
        if pair[0] != pair[1] {
            assert!(!finished.contains(&&pair[1]), "shard {} was read again after another began: {shards:?}", pair[1]);
            finished.push(&pair[0]);
        }
    }
    assert_eq!(finished.len() + 1, 5, "five shards read, one at a time: {shards:?}");
}

/// With sample data off, nothing but the listing and one describe per stream.
#[test]
fn without_sample_data_a_run_lists_and_describes_and_reads_no_shard() {
    let (emulator, rt) = five_shards();
    let proxy = forwarding(&emulator, &rt);
    let sandbox = Sandbox::new().unwrap();
    let wf = sandbox.write_workflow("plain.yaml", &workflow(&proxy.endpoint(), "svc", json!({}))).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!((proxy.calls("ListShards"), proxy.calls("GetRecords"), proxy.calls("GetShardIterator")), (0, 0, 0));
    assert_eq!(proxy.calls("DescribeStreamSummary"), 2);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    assert_eq!(lines.iter().filter(|l| l["path"] == "/v1/topics").count(), 2);
    assert!(lines.iter().all(|l| l["path"] != "/v1/topics/{id}/sampleData"));
    assert!(lines.iter().all(|l| l["body"].get("messageSchema").is_none()));
}

/// A proxy in front of the emulator that forwards every call, and logs it.
fn forwarding(emulator: &Emulator, rt: &tokio::runtime::Runtime) -> proxy::Proxy {
    let rule: proxy::Rule = Arc::new(|_: &proxy::Call| Action::Forward { delay: Duration::ZERO });
    rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap()
}

fn field(line: &str, key: &str) -> u64 {
    let rest = line.split(&format!(" {key}=")).nth(1).unwrap_or_else(|| panic!("no {key} in {line}"));
    let digits: String = rest.trim_start_matches("Some(").chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().unwrap_or_else(|_| panic!("{key} in {line}"))
}

#[test]
fn a_busy_shard_is_sampled_from_its_newest_records_within_its_byte_bound() {
    // 20,000 records of 1 KB in one shard, written just now (moto keeps each record's arrival
    // time; kinesis-local slows down on a shard this size).
    let (moto, _, client, rt) = on_moto();
    let pad = "x".repeat(1000);
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("busy", 1)]).await.unwrap();
        for batch in 0..40 {
            let entries = (0..500)
                .map(|i| {
                    let seq = batch * 500 + i;
                    aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                        .partition_key("k")
                        .data(Blob::new(format!(r#"{{"seq":{seq:05},"pad":"{pad}"}}"#)))
                        .build()
                        .unwrap()
                })
                .collect::<Vec<_>>();
            client.put_records().stream_name("busy").set_records(Some(entries)).send().await.unwrap();
        }
    });
    let rule: proxy::Rule = Arc::new(|_: &proxy::Call| Action::Forward { delay: Duration::ZERO });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", moto.port).parse().unwrap(), rule)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let config = json!({"generateSampleData": true, "sampleSize": 50});
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&proxy.endpoint(), "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--log-level", "debug"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let sample = lines.iter().find(|l| l["path"] == "/v1/topics/{id}/sampleData").expect("a sample");
    let seqs: Vec<u64> = sample["body"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str::<Value>(m.as_str().unwrap()).unwrap()["seq"].as_u64().unwrap())
        .collect();
    // Exactly the newest 50, newest first: the shard's tip and the 49 records before it.
    assert_eq!(seqs, (19_950..20_000).rev().collect::<Vec<u64>>());
    let log = run.stderr.lines().find(|l| l.contains("shard sampled")).expect("the shard's figures");
    let (bytes, calls) = (field(log, "bytes"), field(log, "calls"));
    assert!(bytes <= 1_048_576, "{bytes} bytes read from the shard");
    assert!(!log.contains("stopped_by=sampleMax"), "{log}");
    let (iterators, reads) = (proxy.calls("GetShardIterator"), proxy.calls("GetRecords"));
    assert_eq!(u64::from(reads as u32), calls);
    println!(
        "busy shard of 20,000 × 1 KB: {bytes} bytes read in {reads} GetRecords and {iterators} GetShardIterator calls; \
         sample seq {}..={} (the tip is 19999); newest sampled record {} ms old when read",
        seqs[seqs.len() - 1],
        seqs[0],
        field(log, "newest_age_ms")
    );

    // A bound that stops the read: the sample says which, the topic is still written.
    let config = json!({"generateSampleData": true, "sampleSize": 50, "sampleMaxBytesPerShard": 4096});
    let wf = sandbox.write_workflow("bound.yaml", &workflow(&proxy.endpoint(), "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("stream 'busy', shard shardId-000000000000: sampleMaxBytesPerShard (4096 bytes) reached before the newest record"),
        "{}",
        run.stdout
    );
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    assert!(lines.iter().any(|l| l["path"] == "/v1/topics" && l["body"]["name"] == "busy"));
}

/// moto, its endpoint, a client of it and a runtime for the client.
fn on_moto() -> (e2e::Moto, String, aws_sdk_kinesis::Client, tokio::runtime::Runtime) {
    let moto = e2e::Moto::start().unwrap();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let client = kinesis_client(&endpoint);
    let rt = e2e::runtime();
    (moto, endpoint, client, rt)
}

/// The record bytes a debug-logged run read for its samples: its shards' probes and reads.
fn bytes_read(run: &e2e::HostRun) -> u64 {
    let lines = run.stderr.lines();
    lines.filter(|l| l.contains("shard sampled") || l.contains("shard probed")).map(|l| field(l, "bytes")).sum()
}

#[test]
fn a_wide_streams_sample_costs_at_most_its_bytes_per_stream() {
    // 16 shards holding about 12 records of 8 KB each (1.5 MB in all), on moto.
    const SHARDS: i32 = 16;
    const RECORDS: u32 = 192;
    const RECORD_BYTES: usize = 8 * 1024;
    let (_moto, endpoint, client, rt) = on_moto();
    let pad = "w".repeat(RECORD_BYTES - 40);
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("wide", SHARDS)]).await.unwrap();
        for batch in 0..(RECORDS / 96) {
            let entries = (0..96)
                .map(|i| {
                    let n = batch * 96 + i;
                    aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                        .partition_key(format!("key-{n}"))
                        .data(Blob::new(format!(r#"{{"n":{n:05},"pad":"{pad}"}}"#)))
                        .build()
                        .unwrap()
                })
                .collect::<Vec<_>>();
            client.put_records().stream_name("wide").set_records(Some(entries)).send().await.unwrap();
        }
    });
    let sandbox = Sandbox::new().unwrap();
    let (size, budget, concurrency) = (10u64, 65_536u64, 2u64);
    let config = json!({"generateSampleData": true, "sampleSize": size, "sampleMaxBytesPerStream": budget,
        "sampleConcurrency": concurrency});
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&endpoint, "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--log-level", "debug"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(&format!("sampleMaxBytesPerStream ({budget} bytes) reached across the stream's shards")),
        "{}",
        run.stdout
    );
    // The shards stopped by the bound are listed up to five, the rest counted.
    let listed = run.stdout.lines().filter(|l| l.contains("stream 'wide', shard shardId-")).count();
    assert_eq!(listed, 5, "{}", run.stdout);
    assert!(run.stdout.contains("more shard(s) with a warning, not listed"), "{}", run.stdout);
    let read = bytes_read(&run);
    // A call's size is decided before it is issued: none goes past the bound, and the reads
    // stop less than a record short of it.
    assert!(read <= budget && read + RECORD_BYTES as u64 > budget, "{read} bytes read; the bound is {budget}");
    assert!(read < u64::from(RECORDS) * RECORD_BYTES as u64 / 4, "{read} bytes: not the whole stream");
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let sample = lines.iter().find(|l| l["path"] == "/v1/topics/{id}/sampleData").expect("a sample");
    assert!(!sample["body"]["messages"].as_array().unwrap().is_empty());
    println!(
        "wide stream of {SHARDS} shards, {} bytes: {read} bytes read for the sample",
        RECORDS as usize * RECORD_BYTES
    );
}

#[test]
fn a_wide_streams_sample_reads_about_a_record_a_shard_and_the_newest() {
    // 20 shards, 5 records of 8 KB each, written one at a time round the shards (each in a later
    // millisecond, so that arrival times order them), on moto: 100 records, the newest 10 sampled.
    const SHARDS: u32 = 20;
    const ROUNDS: u32 = 5;
    const RECORD_BYTES: usize = 8 * 1024;
    let (_moto, endpoint, client, rt) = on_moto();
    let pad = "w".repeat(RECORD_BYTES - 40);
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("wide", SHARDS as i32)]).await.unwrap();
        for n in 0..SHARDS * ROUNDS {
            // The middle of the shard's hash key range: shards split the range evenly.
            let key = (u128::MAX / u128::from(SHARDS)) * u128::from(n % SHARDS) + (1 << 64);
            client
                .put_record()
                .stream_name("wide")
                .partition_key("k")
                .explicit_hash_key(key.to_string())
                .data(Blob::new(format!(r#"{{"n":{n},"pad":"{pad}"}}"#)))
                .send()
                .await
                .unwrap();
            past_this_millisecond().await;
        }
    });
    let sandbox = Sandbox::new().unwrap();
    let size = 10u64;
    let config = json!({"generateSampleData": true, "sampleSize": size});
    let wf = sandbox.write_workflow("wf.yaml", &workflow(&endpoint, "svc", config)).unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--log-level", "debug"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
    let sample = lines.iter().find(|l| l["path"] == "/v1/topics/{id}/sampleData").expect("a sample");
    let ns: Vec<u64> = sample["body"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::from_str::<Value>(m.as_str().unwrap()).unwrap()["n"].as_u64().unwrap())
        .collect();
    let total = u64::from(SHARDS * ROUNDS);
    assert_eq!(ns, (total - size..total).rev().collect::<Vec<u64>>(), "exactly the newest {size}, newest first");
    // Every shard probed at one record; then only the 10 shards whose tip is among the 10 newest,
    // from the 10th newest tip on: one record each. Read shard by shard, as a narrow stream's
    // are, the sample would cost the whole stream (each shard holds fewer records than N).
    let probed = run.stderr.lines().filter(|l| l.contains("shard probed")).count();
    let sampled = run.stderr.lines().filter(|l| l.contains("shard sampled")).count();
    assert_eq!((probed, sampled), (SHARDS as usize, size as usize), "{}", run.stderr);
    let read = bytes_read(&run);
    let records_read = read.div_ceil(RECORD_BYTES as u64);
    assert!(records_read <= u64::from(SHARDS) + size, "{records_read} records read of {total}");
    println!("wide stream of {SHARDS} shards × {ROUNDS} records: {read} bytes ({records_read} records) read for a sample of {size}");
}

#[test]
fn a_burst_on_a_wide_stream_reads_no_more_than_the_streams_byte_budget() {
    // 100 shards, each holding 20 JSON records of 50 KB, written back to back by PutRecords calls
    // spread over every shard (so that the shards' newest records arrived together), on
    // kinesis-local, read through a proxy that counts the record bytes of the GetRecords answers.
    const SHARDS: usize = 100;
    const ROUNDS: usize = 20;
    const RECORD_BYTES: usize = 50_000;
    const SIZE: usize = 50;
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    let rt = e2e::runtime();
    rt.block_on(async {
        seed(&client, &[StreamSpec::new("burst", SHARDS as i32)]).await?;
        e2e::put_records_of_shards(&client, "burst", SHARDS, ROUNDS, RECORD_BYTES, e2e::Arrival::Burst).await
    })
    .unwrap();
    let rule: proxy::Rule = Arc::new(|_: &proxy::Call| Action::Forward { delay: Duration::ZERO });
    let proxy = rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), rule)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let sample_of = |budget: u64| {
        let config = json!({"generateSampleData": true, "sampleSize": SIZE, "sampleMaxBytesPerStream": budget});
        let wf = sandbox.write_workflow("wf.yaml", &workflow(&proxy.endpoint(), "svc", config)).unwrap();
        let before = proxy.record_bytes.load(std::sync::atomic::Ordering::Relaxed);
        let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap()]).unwrap();
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        let read = proxy.record_bytes.load(std::sync::atomic::Ordering::Relaxed) - before;
        let lines = read_jsonl(&sandbox.path("out.jsonl")).unwrap();
        let sample = lines.iter().find(|l| l["path"] == "/v1/topics/{id}/sampleData").expect("a sample");
        let shards: Vec<u64> = sample["body"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| serde_json::from_str::<Value>(m.as_str().unwrap()).unwrap()["shard"].as_u64().unwrap())
            .collect();
        (run, read, shards)
    };

    // The default budget, 8 MiB: every shard's tip probed (a record each, 5 MB), then no more
    // than the sample needs: 50 records of the last call (shards 95 to 99, 20 records each, all
    // stamped alike), read from the first of those shards, not from every shard with a recent tip.
    let budget = 8_388_608;
    let (run, read, shards) = sample_of(budget);
    assert!(read <= budget, "{read} bytes read; the budget is {budget}");
    assert_eq!(shards.len(), SIZE, "{}", run.stdout);
    assert!(shards.iter().all(|&s| s >= 95), "the newest call's shards only: {shards:?}");
    assert!(!run.stdout.contains("sampleMaxBytesPerStream"), "no bound stopped a read: {}", run.stdout);
    assert!(read <= (SHARDS + 2 * SIZE) as u64 * RECORD_BYTES as u64, "{read} bytes: a record a shard and a sample");
    println!("burst on {SHARDS} shards, sample of {SIZE}: {read} bytes read with a budget of {budget}");

    // 2 MB: less than a record a shard. No call is issued past it; the sample holds what it
    // could read, and a warning says the budget stopped it.
    let budget = 2_000_000;
    let (run, read, shards) = sample_of(budget);
    assert!(read <= budget, "{read} bytes read; the budget is {budget}");
    assert!(
        run.stdout.contains(&format!("sampleMaxBytesPerStream ({budget} bytes) reached across the stream's shards")),
        "{}",
        run.stdout
    );
    assert!(!shards.is_empty() && shards.len() as u64 <= budget / RECORD_BYTES as u64, "{shards:?}");
    println!(
        "burst on {SHARDS} shards, sample of {SIZE}: {read} bytes read with a budget of {budget}, {} messages",
        shards.len()
    );
}

/// Returns once the clock has moved at least a millisecond past the call: the next put arrives in
/// a later millisecond than the last one (the emulator stamps arrivals with this machine's clock),
/// so that arrival times order records. Yields rather than sleeps: it waits for the clock, not for
/// anything to happen.
async fn past_this_millisecond() {
    let start = std::time::SystemTime::now();
    while std::time::SystemTime::now().duration_since(start).unwrap_or_default() < Duration::from_millis(1) {
        tokio::task::yield_now().await;
    }
}
