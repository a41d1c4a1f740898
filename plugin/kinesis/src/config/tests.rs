use super::*;
use plugin_aws::source::AwsSettings as _;
use serde_json::json;

fn minimal() -> serde_json::Value {
    json!({
        "type": "kinesis",
        "serviceName": "local_kinesis",
        "serviceConnection": {"config": {"type": "Kinesis", "awsConfig": {"awsRegion": "eu-west-1"}}},
        "sourceConfig": {"config": {"type": "MessagingMetadata", "generateSampleData": false}}
    })
}

fn parse_value(v: serde_json::Value) -> Result<Settings, PluginError> {
    Settings::parse(&v.to_string())
}

#[test]
fn the_example_workflow_source_parses_with_openmetadata_defaults() {
    let s = parse_value(minimal()).unwrap();
    let aws = s.aws();
    assert_eq!(aws.assume_role_session_name.as_deref(), Some("OpenMetadataSession"));
    assert_eq!(aws.enabled, Some(false));
    assert_eq!(s.pipeline().mark_deleted_topics, Some(true));
    assert_eq!(s.pipeline().override_metadata, Some(false));
    assert_eq!(s.pipeline().generate_sample_data, Some(false));
    assert_eq!(s.pipeline().describe_concurrency, 8);
    assert_eq!(s.source.service_connection.config.supports_metadata_extraction, Some(true));
}

#[test]
fn nulls_are_accepted_where_openmetadata_accepts_them() {
    let mut v = minimal();
    v["sourceConfig"]["config"]["generateSampleData"] = json!(null);
    v["serviceConnection"]["config"]["topicFilterPattern"] = json!(null);
    assert!(parse_value(v).is_ok());
}

#[test]
fn unknown_fields_are_rejected_with_their_path() {
    let mut v = minimal();
    v["serviceConnection"]["config"]["awsConfig"]["awsRegoin"] = json!("x");
    let e = parse_value(v).unwrap_err();
    assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/awsRegoin");
    assert!(e.message.contains("unknown field"), "{}", e.message);
}

#[test]
fn classification_settings_need_the_sample_and_a_share_in_percent() {
    let mut v = minimal();
    let c = &mut v["sourceConfig"]["config"];
    c["enableAutoClassification"] = json!(true);
    c["confidence"] = json!(120);
    c["sampleDataMasking"] = json!("all");
    let problems: Vec<(String, String)> = Settings::check_all(&v.to_string())
        .into_iter()
        .map(|p| (p.field.map(|f| f.to_string()).unwrap_or_default(), p.message.to_string()))
        .collect();
    let at = |path: &str| problems.iter().find(|(f, _)| f == path).map(|(_, m)| m.as_str());
    assert!(at("/sourceConfig/config/confidence").is_some_and(|m| m.contains("0 to 100")), "{problems:?}");
    let needs_sample = |m: &str| m.contains("needs generateSampleData: true");
    assert!(at("/sourceConfig/config/enableAutoClassification").is_some_and(needs_sample), "{problems:?}");
    assert!(at("/sourceConfig/config/sampleDataMasking").is_some_and(needs_sample), "{problems:?}");

    let mut v = minimal();
    let c = &mut v["sourceConfig"]["config"];
    c["generateSampleData"] = json!(true);
    c["sampleDataMasking"] = json!("sensitive");
    let problems = Settings::check_all(&v.to_string());
    assert!(problems.iter().any(|p| p.message.contains("'sensitive' needs enableAutoClassification")), "{problems:?}");
    let c = &mut v["sourceConfig"]["config"];
    c["enableAutoClassification"] = json!(true);
    c["confidence"] = json!(90.5);
    let s = parse_value(v).unwrap();
    let classification = s.pipeline().classification();
    assert_eq!((classification.enabled, classification.confidence), (true, 91), "at least 90.5%: 91");
    assert_eq!(classification.masking, pii::Masking::Sensitive);
}

#[test]
fn tag_and_registry_settings_are_checked_with_their_paths() {
    let mut v = minimal();
    let c = &mut v["sourceConfig"]["config"];
    c["ownerTagKey"] = json!("  ");
    c["schemaRegistryMapping"] = json!([
        {"streamName": "orders", "registryName": "shop", "schemaName": "orders"},
        {"streamName": "orders", "registryName": "shop", "schemaName": " "},
        {"streamName": "no spaces allowed", "registryName": "shop", "schemaName": "x"}
    ]);
    let problems: Vec<(String, String)> = Settings::check_all(&v.to_string())
        .into_iter()
        .map(|p| (p.field.map(|f| f.to_string()).unwrap_or_default(), p.message.to_string()))
        .collect();
    let at = |path: &str| problems.iter().find(|(f, _)| f == path).map(|(_, m)| m.as_str());
    assert!(at("/sourceConfig/config/ownerTagKey").is_some_and(|m| m.contains("not blank")), "{problems:?}");
    assert!(at("/sourceConfig/config/schemaRegistryMapping/1/streamName").is_some_and(|m| m.contains("mapped twice")));
    assert!(at("/sourceConfig/config/schemaRegistryMapping/1/schemaName").is_some(), "{problems:?}");
    assert!(at("/sourceConfig/config/schemaRegistryMapping/2/streamName").is_some(), "{problems:?}");
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(!parse_value(minimal()).unwrap().pipeline().include_tags(), "tags are off unless asked for");
}

#[test]
fn a_missing_region_names_the_field() {
    let mut v = minimal();
    v["serviceConnection"]["config"]["awsConfig"] = json!({});
    let e = parse_value(v).unwrap_err();
    assert!(e.message.contains("awsRegion"), "{}", e.message);
    assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig");
}

#[test]
fn an_availability_zone_is_not_a_region() {
    let mut v = minimal();
    v["serviceConnection"]["config"]["awsConfig"]["awsRegion"] = json!("us-east-1a");
    let e = parse_value(v).unwrap_err();
    assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/awsRegion");
    assert!(e.message.contains("availability zone"), "{}", e.message);
    for ok in ["us-east-1", "us-gov-west-1", "cn-north-1", "ap-southeast-3", "eu-isoe-west-1"] {
        assert!(plugin_aws::credentials::is_region(ok), "{ok}");
    }
    for bad in ["eu-west", "euwest1", "EU-WEST-1", "us-east-1a", "", "us--1"] {
        assert!(!plugin_aws::credentials::is_region(bad), "{bad}");
    }
}

#[test]
fn a_role_arn_must_be_one() {
    let mut v = minimal();
    v["serviceConnection"]["config"]["awsConfig"]["assumeRoleArn"] = json!("arn:aws:iam::123456789012:role/x");
    assert!(parse_value(v.clone()).is_ok());
    v["serviceConnection"]["config"]["awsConfig"]["assumeRoleArn"] = json!("my-role");
    let e = parse_value(v).unwrap_err();
    assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/assumeRoleArn");
    assert!(e.message.contains("not an IAM role ARN"), "{}", e.message);
}

#[test]
fn a_secret_of_the_wrong_type_is_not_quoted() {
    let mut v = minimal();
    v["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = json!(918273645);
    let e = parse_value(v).unwrap_err();
    assert!(!e.message.contains("918273645"), "{}", e.message);
    assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/awsConfig/awsSecretAccessKey");
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let mut v = minimal();
    v["serviceConnection"]["config"]["awsConfig"]["awsAccessKeyId"] = json!("AKIAEXAMPLE");
    v["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = json!("canary-secret-value");
    v["serviceConnection"]["config"]["awsConfig"]["awsSessionToken"] = json!("canary-token-value");
    let s = parse_value(v).unwrap();
    let debug = format!("{s:?}");
    assert!(!debug.contains("canary"), "{debug}");
    assert_eq!(s.secrets(), vec!["canary-secret-value", "canary-token-value"]);
}

#[test]
fn a_bad_pattern_names_the_pattern() {
    let mut v = minimal();
    v["sourceConfig"]["config"]["topicFilterPattern"] = json!({"includes": ["ok", "(unclosed"]});
    let e = parse_value(v).unwrap_err();
    assert_eq!(e.field.unwrap().as_str(), "/sourceConfig/config/topicFilterPattern/includes/1");
}

#[test]
fn the_connection_filter_is_the_default() {
    let mut v = minimal();
    v["serviceConnection"]["config"]["topicFilterPattern"] = json!({"includes": ["orders"]});
    let s = parse_value(v.clone()).unwrap();
    assert!(s.filter.keeps("orders-eu").unwrap() && !s.filter.keeps("payments").unwrap());
    v["sourceConfig"]["config"]["topicFilterPattern"] = json!({"includes": ["pay"]});
    let s = parse_value(v).unwrap();
    assert!(!s.filter.keeps("orders-eu").unwrap() && s.filter.keeps("payments").unwrap());
}

/// `schema/kinesis-plugin-config.schema.json` and its `.ui-schema.json` are what the code generates.
#[test]
fn the_checked_in_config_schema_matches_the_code() {
    plugin_sdk::schema_file::assert_config_files::<KinesisSource>(
        env!("CARGO_MANIFEST_DIR"),
        "kinesis-plugin-config",
        "kinesis-plugin",
    );
}

#[test]
fn the_schema_marks_secrets_and_titles_every_property_in_a_forms_order() {
    let schema = Settings::schema();
    let text = schema.to_string();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let keys = |v: &serde_json::Value| v["properties"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&schema), ["type", "serviceName", "serviceConnection", "sourceConfig"]);
    assert_eq!(schema["properties"]["type"]["enum"], serde_json::json!(["kinesis"]));
    let connection = &schema["properties"]["serviceConnection"]["properties"]["config"];
    assert_eq!(keys(connection)[..2], ["type", "awsConfig"]);
    assert_eq!(connection["properties"]["type"]["enum"], serde_json::json!(["Kinesis"]));
    let aws_config = &connection["properties"]["awsConfig"];
    let aws_keys = keys(aws_config);
    let at = |k: &str| aws_keys.iter().position(|n| n == k).unwrap();
    assert!(at("awsRegion") < at("assumeRoleArn"), "{aws_keys:?}");
    let aws = &aws_config["properties"];
    assert_eq!(aws["awsSecretAccessKey"]["format"], "password");
    assert_eq!(aws["awsSecretAccessKey"]["writeOnly"], true);
    assert_eq!(aws["assumeRoleSessionName"]["default"], "OpenMetadataSession");
    assert_eq!(aws_config["dependencies"]["awsAccessKeyId"], serde_json::json!(["awsSecretAccessKey"]));
    fn walk(v: &serde_json::Value, at: &str) {
        if let Some(props) = v.get("properties").and_then(|p| p.as_object()) {
            for (name, p) in props {
                assert!(p.get("title").is_some(), "{at}/{name} has no title");
                assert!(p.get("description").is_some(), "{at}/{name} has no description");
                walk(p, &format!("{at}/{name}"));
            }
        }
    }
    walk(&schema, "");
    for absent in ["$ref", "anyOf", "\"null\"", "uint32", "uint64", "double"] {
        assert!(!text.contains(absent), "{absent} is in the schema");
    }
    assert!(text.contains("additionalProperties"));
}
