//! `secret:` references resolved through the secrets manager the workflow's server config names
//! (AWS Secrets Manager, SSM Parameter Store), on a moto that checks every signature: a run
//! whose Kinesis calls pass was signed with the secret's value. OpenMetadata gets the reference,
//! never the value; no output holds the value.

use e2e::openmetadata::StandIn;
use e2e::{rest_workflow, Moto, Sandbox};
use serde_json::json;

const TOKEN: &str = "secrets-jwt";

#[test]
fn secret_references_are_resolved_from_secrets_manager_and_parameter_store_and_never_shown() {
    let moto = Moto::start_with_auth(3).unwrap();
    let (key_id, secret) = moto.account_with_secrets().unwrap();
    let (key_id, secret) = (key_id.as_str(), secret.as_str());
    let om = StandIn::start(Some(TOKEN)).unwrap();
    let sandbox = Sandbox::new().unwrap();
    // The secrets manager's own credentials come from the environment (`env` loader).
    let env = [
        ("AWS_ACCESS_KEY_ID", key_id),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ENDPOINT_URL", &moto.endpoint()),
    ];
    for (provider, reference) in [("aws", "secret:/om/kinesis/secret"), ("aws-ssm", "secret:/om/kinesis/ssm-secret")] {
        let mut wf = rest_workflow(&moto.endpoint(), "kinesis_prod", json!({}), &om.host_port(), Some(TOKEN));
        let aws = &mut wf["source"]["serviceConnection"]["config"]["awsConfig"];
        aws["awsAccessKeyId"] = key_id.into();
        aws["awsSecretAccessKey"] = reference.into();
        let server = &mut wf["workflowConfig"]["openMetadataServerConfig"];
        server["secretsManagerProvider"] = provider.into();
        server["secretsManagerLoader"] = "env".into();
        let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
        let run = sandbox.host_with_env(&["ingest", "-c", path.to_str().unwrap(), "--output", "json"], &env).unwrap();
        assert_eq!(run.code, 0, "{provider}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(e2e::in_sink(&e2e::summary_of(&run, "topic")), 1, "{}", run.stdout);
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret), "the value was shown");
        // OpenMetadata keeps the reference.
        let state = om.state.lock().unwrap();
        let stored = &state.services["messagingServices"]["kinesis_prod"]["connection"]["config"]["awsConfig"];
        assert_eq!(stored["awsSecretAccessKey"], reference);
    }

    // moto refuses a wrong secret key: the runs above passed because the plugin signed with the
    // secret's value.
    let mut wf = rest_workflow(&moto.endpoint(), "kinesis_prod", json!({}), &om.host_port(), Some(TOKEN));
    wf["source"]["serviceConnection"]["config"]["awsConfig"]["awsAccessKeyId"] = key_id.into();
    wf["source"]["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = "not-the-secret".into();
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host_with_env(&["ingest", "-c", path.to_str().unwrap(), "--output", "json"], &env).unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    // (moto answers a bad signature with an XML body the JSON protocol cannot read.)
    assert!(run.stdout.contains("ListStreams failed"), "{}", run.stdout);
    assert_eq!(e2e::written(&e2e::summary_of(&run, "topic")), 0, "{}", run.stdout);

    // A reference that does not exist is named, not guessed.
    let mut wf = rest_workflow(&moto.endpoint(), "kinesis_prod", json!({}), &om.host_port(), Some(TOKEN));
    wf["source"]["serviceConnection"]["config"]["awsConfig"]["awsAccessKeyId"] = key_id.into();
    wf["source"]["serviceConnection"]["config"]["awsConfig"]["awsSecretAccessKey"] = "secret:/om/missing".into();
    wf["workflowConfig"]["openMetadataServerConfig"]["secretsManagerProvider"] = "aws".into();
    wf["workflowConfig"]["openMetadataServerConfig"]["secretsManagerLoader"] = "env".into();
    let path = sandbox.write_workflow("wf.yaml", &wf).unwrap();
    let run = sandbox.host_with_env(&["ingest", "-c", path.to_str().unwrap()], &env).unwrap();
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("source/serviceConnection/config/awsConfig/awsSecretAccessKey: the secret '/om/missing' could not be read from AWS Secrets Manager"),
        "{}",
        run.stderr
    );
}
