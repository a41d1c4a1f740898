//! Message schemas from the AWS Glue Schema Registry, end to end on moto (which serves Glue
//! and Kinesis on one endpoint): records framed by the registry's serializer (Avro, zlib
//! compressed or not; JSON), a stream mapped to a schema by `schemaRegistryMapping`, and a
//! framed record naming a version the registry does not have. The topics go to the
//! OpenMetadata stand-in, which checks every body against the contract.

use e2e::openmetadata::StandIn;
use e2e::{rest_workflow, Moto, Sandbox};
use serde_json::{json, Value};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.jwt-registry.signature";

const ORDER_SCHEMA: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "id", "type": "long"}, {"name": "item", "type": "string", "doc": "what was bought"}, {"name": "note", "type": ["null", "string"], "default": null}]}"#;
const CLICK_SCHEMA: &str = r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"page": {"type": "string"}, "ms": {"type": "integer"}}}"#;

/// Sets up the registry and the streams; prints the Avro schema's version id. (After
/// `e2e::REGISTRY_FRAMING_PY`.)
const SETUP: &str = r#"
import boto3, os, json, uuid
kw = dict(endpoint_url=os.environ["MOTO"], region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
glue = boto3.client("glue", **kw)
glue.create_registry(RegistryName="shop")
orders = glue.create_schema(RegistryId={"RegistryName": "shop"}, SchemaName="orders", DataFormat="AVRO",
    Compatibility="NONE", SchemaDefinition=os.environ["ORDER_SCHEMA"])["SchemaVersionId"]
clicks = glue.create_schema(RegistryId={"RegistryName": "shop"}, SchemaName="clicks", DataFormat="JSON",
    Compatibility="NONE", SchemaDefinition=os.environ["CLICK_SCHEMA"])["SchemaVersionId"]

def order(i):
    item = ("item-%d" % i).encode()
    note = b"\x02" + zigzag(len(b"gift")) + b"gift" if i % 2 else b"\x00"
    return zigzag(i) + zigzag(len(item)) + item + note

k = boto3.client("kinesis", **kw)
unknown = str(uuid.uuid4())
for name in ["orders", "clicks", "mapped", "missing"]:
    k.create_stream(StreamName=name, ShardCount=1)
for i in range(1, 5):
    k.put_record(StreamName="orders", PartitionKey="k", Data=frame(orders, order(i), compress=(i % 2 == 0)))
    k.put_record(StreamName="clicks", PartitionKey="k", Data=frame(clicks, json.dumps({"page": "/p%d" % i, "ms": i}).encode(), False))
    k.put_record(StreamName="mapped", PartitionKey="k", Data=order(100 + i))
    k.put_record(StreamName="missing", PartitionKey="k", Data=frame(unknown, json.dumps({"x": i}).encode(), False))
print(orders)
"#;

/// The registry's second version of `orders`: `note` dropped, `id` an int (was a long).
const ORDER_SCHEMA_V2: &str = r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "id", "type": "int"}, {"name": "item", "type": "string", "doc": "what was bought"}]}"#;

/// Registers [`ORDER_SCHEMA_V2`] and writes two records framed with it (the newest).
const SETUP_V2: &str = r#"
import boto3, os
kw = dict(endpoint_url=os.environ["MOTO"], region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test")
glue = boto3.client("glue", **kw)
v2 = glue.register_schema_version(SchemaId={"RegistryName": "shop", "SchemaName": "orders"},
    SchemaDefinition=os.environ["ORDER_SCHEMA_V2"])["SchemaVersionId"]
k = boto3.client("kinesis", **kw)
for i in range(5, 7):
    item = ("item-%d" % i).encode()
    k.put_record(StreamName="orders", PartitionKey="k", Data=frame(v2, zigzag(i) + zigzag(len(item)) + item))
"#;

/// Runs a set-up script against moto.
fn setup(moto: &Moto, script: &str) {
    let python = e2e::workspace().join("tests/.venv-moto/bin/python");
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(format!("{}{script}", e2e::REGISTRY_FRAMING_PY))
        .env("MOTO", moto.endpoint())
        .env("ORDER_SCHEMA", ORDER_SCHEMA)
        .env("ORDER_SCHEMA_V2", ORDER_SCHEMA_V2)
        .env("CLICK_SCHEMA", CLICK_SCHEMA)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn registry_schemas_become_message_schemas_and_decode_the_samples() {
    let moto = Moto::start().unwrap();
    setup(&moto, SETUP);

    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let config = json!({
        "generateSampleData": true, "enforceApiBudget": false,
        "schemaRegistryMapping": [{"streamName": "mapped", "registryName": "shop", "schemaName": "orders"}]
    });
    let wf = sandbox
        .write_workflow(
            "wf.yaml",
            &rest_workflow(&moto.endpoint(), "kinesis_prod", config, &om.host_port(), Some(TOKEN)),
        )
        .unwrap();
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    // One call per schema version, however many messages name it.
    assert_eq!(summary["apiCalls"]["GetSchemaVersion"], 4, "{summary}");
    let warnings = summary["warnings"].to_string();
    assert!(warnings.contains("named for stream 'missing', is not in the Glue Schema Registry"), "{warnings}");

    // The connection test reads the mapped schema, and says when it is missing.
    let test = sandbox.host(&["test-connection", "-c", wf.to_str().unwrap(), "--json"]).unwrap();
    assert_eq!(test.code, 0, "{}\n{}", test.stdout, test.stderr);
    let step = schema_step(&test.stdout);
    assert_eq!(step["passed"], true, "{step}");
    assert_eq!(step["resultSummary"], "shop/orders v1 (Avro), for stream 'mapped'", "{step}");
    let mut wrong = rest_workflow(
        &moto.endpoint(),
        "kinesis_prod",
        json!({"schemaRegistryMapping": [{"streamName": "mapped", "registryName": "shop", "schemaName": "nope"}]}),
        &om.host_port(),
        Some(TOKEN),
    );
    wrong["workflowConfig"]["loggerLevel"] = json!("ERROR");
    let wrong = sandbox.write_workflow("wrong.yaml", &wrong).unwrap();
    let test = sandbox.host(&["test-connection", "-c", wrong.to_str().unwrap(), "--json"]).unwrap();
    let step = schema_step(&test.stdout);
    assert_eq!(step["passed"], false, "{step}");
    assert!(step["errorLog"].to_string().contains("shop/nope is not in the Glue Schema Registry"), "{step}");

    {
        let state = om.state.lock().unwrap();
        check_first_run(&state);
    }

    // People describe and tag two fields of `orders`; then the registry's second version drops
    // `note` and retypes `id`. The registry decides: `note` leaves, and both curated fields
    // keep what people wrote (the retyped `id` too, through the server's delete-and-add).
    om.curate_field("kinesis_prod.orders", &["id"], "The order's number", "Tier.Tier1");
    om.curate_field("kinesis_prod.orders", &["item"], "What was bought, as people put it", "PII.NonSensitive");
    setup(&moto, SETUP_V2);
    let run = sandbox.host(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"]).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let state = om.state.lock().unwrap();
    let field = |name: &str| state.field("kinesis_prod.orders", &[name]);
    assert!(field("note").is_none(), "a field the registry dropped leaves");
    assert_eq!(state.topic("kinesis_prod.orders").unwrap().fields["messageSchema"]["schemaText"], ORDER_SCHEMA_V2);
    for (name, data_type, description, tag) in [
        ("id", "INT", "The order's number", "Tier.Tier1"),
        ("item", "STRING", "What was bought, as people put it", "PII.NonSensitive"),
    ] {
        let f = field(name).unwrap_or_else(|| panic!("{name} was dropped"));
        assert_eq!((&f["dataType"], &f["description"]), (&json!(data_type), &json!(description)), "{f}");
        assert!(f["tags"].as_array().unwrap().iter().any(|t| t["tagFQN"] == tag), "{f}");
    }
}

/// What the first run wrote: each kind of registry schema, and an inferred one.
fn check_first_run(state: &e2e::openmetadata::State) {
    let topic = |name: &str| state.topic(&format!("kinesis_prod.{name}")).unwrap_or_else(|| panic!("no topic {name}"));
    let messages = |name: &str| -> Vec<Value> {
        topic(name).sample.as_ref().unwrap()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| serde_json::from_str(m.as_str().unwrap()).unwrap_or_else(|e| panic!("{name}: {e}: {m}")))
            .collect()
    };

    // Avro, framed (zlib for every other record): decoded to JSON, the registry's schema.
    let orders = messages("orders");
    assert_eq!(orders.len(), 4);
    assert_eq!(orders[0], json!({"id": 4, "item": "item-4", "note": null}), "newest first");
    assert_eq!(orders[1], json!({"id": 3, "item": "item-3", "note": "gift"}));
    let schema = &topic("orders").fields["messageSchema"];
    assert_eq!(schema["schemaType"], "Avro");
    assert_eq!(schema["schemaText"], ORDER_SCHEMA);
    assert_eq!(
        schema["schemaFields"][1],
        json!({"name": "item", "dataType": "STRING", "dataTypeDisplay": "string", "description": "what was bought"})
    );

    // JSON, framed: the registry's JSON Schema, not one inferred.
    assert_eq!(messages("clicks")[0], json!({"page": "/p4", "ms": 4}));
    let schema = &topic("clicks").fields["messageSchema"];
    assert_eq!((schema["schemaType"].as_str(), schema["schemaText"].as_str()), (Some("JSON"), Some(CLICK_SCHEMA)));

    // Not framed, mapped to the schema by name.
    assert_eq!(messages("mapped")[0], json!({"id": 104, "item": "item-104", "note": null}));
    assert_eq!(topic("mapped").fields["messageSchema"]["schemaType"], "Avro");

    // A version the registry lacks: a warning, the payload as read, the inferred schema kept.
    assert_eq!(messages("missing")[0], json!({"x": 4}));
    let schema = &topic("missing").fields["messageSchema"];
    assert_eq!(schema["schemaType"], "JSON");
    assert!(schema["schemaText"].as_str().unwrap().contains("Inferred by the Kinesis plugin"), "{schema}");
}

/// The GetSchemaVersion step of a connection test's JSON report.
fn schema_step(report: &str) -> Value {
    let report: Value = serde_json::from_str(report).unwrap_or_else(|e| panic!("{e}: {report}"));
    report["steps"].as_array().unwrap().iter().find(|s| s["name"] == "GetSchemaVersion").cloned().unwrap()
}
