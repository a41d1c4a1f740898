//! A workflow exactly as OpenMetadata's server deploys it runs unchanged: its ingestion
//! pipeline's FQN and run id, no `serviceConnection` (the stored one is used), a `secret:`
//! reference in that connection (resolved through AWS Secrets Manager, on a moto that checks
//! signatures), and the server behind HTTPS with a private CA (`verifySSL: validate`), with
//! `extraHeaders`. And how `verifySSL` treats a certificate of a private CA.

use e2e::openmetadata::StandIn;
use e2e::{Moto, Sandbox};
use serde_json::{json, Value};

const TOKEN: &str = "deployed-bot-jwt";
const PIPELINE: &str = "kinesis_prod.metadata_7f3a";
const RUN_ID: &str = "0b5f1f64-7d4e-4d55-9a3e-7c9b1d2e3f40";

/// The workflow the server writes for a deployed metadata pipeline.
fn deployed_workflow(om: &StandIn, ca_path: &str) -> Value {
    json!({
        "source": {
            "type": "kinesis",
            "serviceName": "kinesis_prod",
            "sourceConfig": {"config": {"type": "MessagingMetadata", "markDeletedTopics": true}}
        },
        "sink": {"type": "metadata-rest", "config": {}},
        "workflowConfig": {
            "loggerLevel": "INFO",
            "openMetadataServerConfig": {
                "hostPort": om.host_port(),
                "authProvider": "openmetadata",
                "securityConfig": {"jwtToken": TOKEN},
                "verifySSL": "validate",
                "sslConfig": {"caCertificate": ca_path},
                "extraHeaders": {"X-Team": "data-platform"},
                "secretsManagerProvider": "aws",
                "secretsManagerLoader": "env"
            }
        },
        "ingestionPipelineFQN": PIPELINE,
        "pipelineRunId": RUN_ID
    })
}

#[test]
fn a_workflow_as_the_server_deploys_it_runs_unchanged() {
    let moto = Moto::start_with_auth(3).unwrap();
    let (key_id, secret) = moto.account_with_secrets().unwrap();
    let om = StandIn::start_tls(Some(TOKEN)).unwrap();
    om.add_ingestion_pipeline(PIPELINE);
    // The connection people stored in OpenMetadata, its secret a reference.
    om.add_service(
        "messagingServices",
        "kinesis_prod",
        "Kinesis",
        json!({"config": {"type": "Kinesis", "awsConfig": {
            "awsRegion": "eu-west-1", "awsAccessKeyId": key_id, "awsSecretAccessKey": "secret:/om/kinesis/secret",
            "endPointURL": moto.endpoint()
        }}}),
    );
    let sandbox = Sandbox::new().unwrap();
    let ca = sandbox.path("private-ca.pem");
    std::fs::write(&ca, om.ca_pem.as_ref().unwrap()).unwrap();
    let wf = sandbox.write_workflow("deployed.yaml", &deployed_workflow(&om, ca.to_str().unwrap())).unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ENDPOINT_URL", &moto.endpoint()),
    ];
    let run = sandbox.host_with_env(&["ingest", "-c", wf.to_str().unwrap(), "--output", "json"], &env).unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(e2e::summary_of(&run, "topic")["writtenInBulk"], 1, "{}", run.stdout);
    assert!(!run.stdout.contains(&secret) && !run.stderr.contains(&secret), "the secret was shown");

    let state = om.state.lock().unwrap();
    assert!(state.topic("kinesis_prod.orders").is_some());
    assert_eq!(state.calls_to("GET", "/api/v1/services/messagingServices/name/kinesis_prod?fields=connection"), 1);
    let states: Vec<&Value> = state.pipeline_statuses.iter().map(|(_, s)| &s["pipelineState"]).collect();
    assert_eq!(states, [&json!("running"), &json!("success")]);
    assert!(state.pipeline_statuses.iter().all(|(fqn, s)| fqn == PIPELINE && s["runId"] == RUN_ID));
    assert!(state.x_headers.contains(&("X-Team".to_string(), "data-platform".to_string())), "{:?}", state.x_headers);
    // What went back to OpenMetadata keeps the reference.
    let stored = &state.services["messagingServices"]["kinesis_prod"]["connection"]["config"]["awsConfig"];
    assert_eq!(stored["awsSecretAccessKey"], "secret:/om/kinesis/secret");
}

#[test]
fn verify_ssl_decides_how_a_private_ca_certificate_is_checked() {
    let om = StandIn::start_tls(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    let wf_with = |server: Value| {
        let mut wf = e2e::workflow("http://127.0.0.1:1", "kinesis_prod", json!({}));
        wf["sink"] = json!({"type": "metadata-rest", "config": {}});
        let mut config =
            json!({"hostPort": om.host_port(), "authProvider": "openmetadata", "securityConfig": {"jwtToken": TOKEN}});
        config.as_object_mut().unwrap().extend(server.as_object().unwrap().clone());
        wf["workflowConfig"]["openMetadataServerConfig"] = config;
        sandbox.write_workflow("wf.yaml", &wf).unwrap()
    };
    // The default checks against public roots: the private CA is not one of them.
    let run = sandbox.host(&["ingest", "-c", wf_with(json!({})).to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("cannot reach the OpenMetadata server") && run.stderr.contains("certificate"),
        "{}",
        run.stderr
    );
    // validate, with a CA that is not the one: refused too.
    let other = StandIn::start_tls(None).unwrap();
    let wrong = json!({"verifySSL": "validate", "sslConfig": {"caCertificate": other.ca_pem.clone().unwrap()}});
    let run = sandbox.host(&["ingest", "-c", wf_with(wrong).to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    // validate without a CA: the field is named.
    let run = sandbox.host(&["ingest", "-c", wf_with(json!({"verifySSL": "validate"})).to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("sslConfig.caCertificate"), "{}", run.stderr);
    // ignore: the server is used (the run then fails on the unreachable Kinesis, exit 1), with a warning.
    let run = sandbox.host(&["ingest", "-c", wf_with(json!({"verifySSL": "ignore"})).to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("verifySSL is 'ignore'"), "{}", run.stderr);
    assert!(om.state.lock().unwrap().calls_to("PUT", "/api/v1/services/messagingServices") == 1);
    // A server of another API version is refused unless version validation is off.
    om.state.lock().unwrap().version = "1.9.4".into();
    let run = sandbox.host(&["ingest", "-c", wf_with(json!({"verifySSL": "ignore"})).to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("is version 1.9.4; this host speaks its 2.0 API"), "{}", run.stderr);
    let off = json!({"verifySSL": "ignore", "enableVersionValidation": false});
    let run = sandbox.host(&["ingest", "-c", wf_with(off).to_str().unwrap()]).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
}
