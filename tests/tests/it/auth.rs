//! End to end: AWS credentials as OpenMetadata users configure them (static keys, session
//! token, profile, default chain, assume role through `moto_server`'s STS), and a test
//! connection that names the missing permission. A canary secret in every credential field
//! never shows up in any output.

use std::sync::Arc;
use std::time::Duration;

use e2e::proxy::{self, Action, Call, Proxy};
use e2e::{contract, kinesis_client, seed, workflow, Emulator, HostRun, Moto, Sandbox, StreamSpec};
use serde_json::{json, Value};

const SECRET: &str = "canary-secret-9f4e2d";
const TOKEN: &str = "canary-token-7a1c3b";
const ROLE: &str = "arn:aws:iam::123456789012:role/OpenMetadataReader";

struct Setup {
    _emulator: Emulator,
    _moto: Moto,
    rt: tokio::runtime::Runtime,
    kinesis: Proxy,
    sts: Proxy,
    sandbox: Sandbox,
}

fn forward() -> proxy::Rule {
    Arc::new(|_: &Call| Action::Forward { delay: Duration::ZERO })
}

fn setup() -> Setup {
    let emulator = Emulator::start().unwrap();
    let moto = Moto::start().unwrap();
    let rt = e2e::runtime();
    let client = kinesis_client(&emulator.endpoint());
    rt.block_on(seed(&client, &[StreamSpec::new("orders", 1)])).unwrap();
    rt.block_on(e2e::put_json_records(&client, "orders", 3)).unwrap();
    let kinesis =
        rt.block_on(proxy::start(format!("127.0.0.1:{}", emulator.port).parse().unwrap(), forward())).unwrap();
    let sts = rt.block_on(proxy::start(format!("127.0.0.1:{}", moto.port).parse().unwrap(), forward())).unwrap();
    Setup { _emulator: emulator, _moto: moto, rt, kinesis, sts, sandbox: Sandbox::new().unwrap() }
}

impl Setup {
    /// Runs `test-connection --json` with this `awsConfig` (region and endpoint added) and env.
    fn test_connection(&self, name: &str, aws: Value, env: &[(&str, &str)], kinesis: &Proxy) -> (HostRun, Value) {
        let mut wf = workflow(&kinesis.endpoint(), "svc", json!({"generateSampleData": true}));
        let mut aws_config = json!({"awsRegion": e2e::REGION, "endPointURL": kinesis.endpoint()});
        aws_config.as_object_mut().unwrap().extend(aws.as_object().unwrap().clone());
        wf["source"]["serviceConnection"]["config"]["awsConfig"] = aws_config;
        let path = self.sandbox.write_workflow(name, &wf).unwrap();
        let sts_endpoint = self.sts.endpoint();
        let mut all_env: Vec<(&str, &str)> =
            vec![("AWS_ENDPOINT_URL_STS", &sts_endpoint), ("AWS_EC2_METADATA_DISABLED", "true")];
        all_env.extend_from_slice(env);
        let run =
            self.sandbox.host_with_env(&["test-connection", "--json", "-c", path.to_str().unwrap()], &all_env).unwrap();
        for canary in [SECRET, TOKEN] {
            assert!(
                !run.stdout.contains(canary) && !run.stderr.contains(canary),
                "a secret was shown:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
        let report: Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr));
        let errors: Vec<String> =
            contract("testConnectionResult.json").unwrap().iter_errors(&report).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        (run, report)
    }

    /// The access keys that signed Kinesis calls since `from`, and whether they had tokens.
    /// Who signed the Kinesis calls since `from`; there were some (an `all` over none proves
    /// nothing).
    fn kinesis_signers(&self, from: usize) -> Vec<(String, bool)> {
        let signers: Vec<(String, bool)> =
            self.kinesis.log()[from..].iter().map(|c| (c.access_key.clone(), c.has_session_token)).collect();
        assert!(!signers.is_empty(), "no Kinesis call was made");
        signers
    }
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {report}"))
}

fn all_passed(report: &Value) -> bool {
    let steps = report["steps"].as_array().unwrap();
    report["status"] == "Successful" && !steps.is_empty() && steps.iter().all(|s| s["passed"] == true)
}

#[test]
fn every_way_of_authenticating_reaches_kinesis_with_its_own_credentials() {
    let s = setup();

    // Static keys, then with a session token.
    let from = s.kinesis.log().len();
    let (run, report) = s.test_connection(
        "static.yaml",
        json!({"awsAccessKeyId": "AKIASTATIC", "awsSecretAccessKey": SECRET}),
        &[],
        &s.kinesis,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(all_passed(&report), "{report}");
    assert_eq!(report["steps"].as_array().unwrap().len(), 5, "five permissions, no AssumeRole step");
    assert!(s.kinesis_signers(from).iter().all(|(k, t)| k == "AKIASTATIC" && !t));

    let from = s.kinesis.log().len();
    let aws = json!({"awsAccessKeyId": "ASIATEMP", "awsSecretAccessKey": SECRET, "awsSessionToken": TOKEN});
    let (run, _) = s.test_connection("token.yaml", aws, &[], &s.kinesis);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(s.kinesis_signers(from).iter().all(|(k, t)| k == "ASIATEMP" && *t));

    // The default chain, from environment variables: with no keys, and with IAM auth enabled.
    let env = [("AWS_ACCESS_KEY_ID", "AKIAFROMENV"), ("AWS_SECRET_ACCESS_KEY", SECRET)];
    let from = s.kinesis.log().len();
    let (run, _) = s.test_connection("chain.yaml", json!({}), &env, &s.kinesis);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (run, _) = s.test_connection(
        "iam.yaml",
        json!({"enabled": true, "awsAccessKeyId": "AKIAIGNORED", "awsSecretAccessKey": SECRET}),
        &env,
        &s.kinesis,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(s.kinesis_signers(from).iter().all(|(k, _)| k == "AKIAFROMENV"));

    // A named profile from a config directory of its own, and a profile that assumes a role.
    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("config");
    std::fs::write(
        &config_file,
        format!(
            "[profile reader]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = {SECRET}\n\n\
             [profile role-reader]\nrole_arn = {ROLE}\nsource_profile = reader\nrole_session_name = from-profile\n"
        ),
    )
    .unwrap();
    let missing = dir.path().join("no-credentials-file");
    let profile_env = [
        ("AWS_CONFIG_FILE", config_file.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", missing.to_str().unwrap()),
    ];
    let from = s.kinesis.log().len();
    let (run, _) = s.test_connection("profile.yaml", json!({"profileName": "reader"}), &profile_env, &s.kinesis);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(s.kinesis_signers(from).iter().all(|(k, _)| k == "AKIAPROFILE"));
    let from = s.kinesis.log().len();
    let sts_from = s.sts.log().len();
    let (run, _) =
        s.test_connection("profile-role.yaml", json!({"profileName": "role-reader"}), &profile_env, &s.kinesis);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(s.sts.log()[sts_from..].iter().any(|c| c.operation == "AssumeRole" && c.access_key == "AKIAPROFILE"));
    assert_eq!(
        s.sts.log()[sts_from..].iter().filter(|c| c.operation == "AssumeRole").count(),
        1,
        "one AssumeRole per run"
    );
    assert!(s.kinesis_signers(from).iter().all(|(k, t)| k != "AKIAPROFILE" && *t), "{:?}", s.kinesis_signers(from));

    // An unknown profile is named.
    let (run, report) = s.test_connection("no-profile.yaml", json!({"profileName": "nope"}), &profile_env, &s.kinesis);
    assert_eq!(run.code, 1);
    assert!(step(&report, "GetTopics")["errorLog"].as_str().unwrap().contains("nope"), "{report}");
}

#[test]
fn assume_role_uses_sts_with_the_session_name_and_source_identity() {
    let s = setup();
    let keys = json!({"awsAccessKeyId": "AKIABASE", "awsSecretAccessKey": SECRET, "assumeRoleArn": ROLE});

    // Default session name, no source identity.
    let (from, sts_from) = (s.kinesis.log().len(), s.sts.log().len());
    let (run, report) = s.test_connection("role.yaml", keys.clone(), &[], &s.kinesis);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(all_passed(&report), "{report}");
    assert_eq!(report["steps"][0]["name"], "AssumeRole");
    let assume: Vec<Call> = s.sts.log()[sts_from..].iter().filter(|c| c.operation == "AssumeRole").cloned().collect();
    assert_eq!(assume.len(), 1, "one AssumeRole, its credentials cached for the run");
    assert_eq!(assume[0].access_key, "AKIABASE", "STS is called with the base credentials");
    assert!(
        assume[0].body.contains("RoleSessionName=OpenMetadataSession") && !assume[0].body.contains("SourceIdentity"),
        "{}",
        assume[0].body
    );
    // Kinesis is called with the role's temporary credentials, and STS never at the Kinesis endpoint.
    let signers = s.kinesis_signers(from);
    assert!(!signers.is_empty() && signers.iter().all(|(k, t)| k != "AKIABASE" && *t), "{signers:?}");
    assert!(s.kinesis.log()[from..].iter().all(|c| c.operation != "AssumeRole"));

    // With a session name and a source identity.
    let mut with_identity = keys.clone();
    with_identity["assumeRoleSessionName"] = json!("om-ingestion");
    with_identity["assumeRoleSourceIdentity"] = json!("alice");
    let sts_from = s.sts.log().len();
    let (run, _) = s.test_connection("role-identity.yaml", with_identity, &[], &s.kinesis);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let call = s.sts.log()[sts_from..].iter().find(|c| c.operation == "AssumeRole").cloned().unwrap();
    assert!(
        call.body.contains("RoleSessionName=om-ingestion") && call.body.contains("SourceIdentity=alice"),
        "{}",
        call.body
    );

    // A full ingest with the role, through to the file sink.
    let mut wf = workflow(&s.kinesis.endpoint(), "svc", json!({"generateSampleData": true}));
    wf["source"]["serviceConnection"]["config"]["awsConfig"]
        .as_object_mut()
        .unwrap()
        .extend(json!({"awsAccessKeyId": "AKIABASE", "awsSecretAccessKey": SECRET, "awsSessionToken": TOKEN, "assumeRoleArn": ROLE}).as_object().unwrap().clone());
    let path = s.sandbox.write_workflow("ingest-role.yaml", &wf).unwrap();
    let sts = s.sts.endpoint();
    let run = s
        .sandbox
        .host_with_env(
            &["ingest", "-c", path.to_str().unwrap(), "--log-level", "debug"],
            &[("AWS_ENDPOINT_URL_STS", &sts)],
        )
        .unwrap();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let output = std::fs::read_to_string(s.sandbox.path("out.jsonl")).unwrap();
    for text in [&run.stdout, &run.stderr, &output] {
        assert!(!text.contains(SECRET) && !text.contains(TOKEN), "a secret was shown");
    }
    assert!(output.contains("\"messages\""));
}

#[test]
fn a_denied_permission_fails_exactly_its_step_and_is_named() {
    let s = setup();
    let aws = json!({"awsAccessKeyId": "AKIASTATIC", "awsSecretAccessKey": SECRET});
    let order = ["GetTopics", "DescribeTopic", "ListShards", "GetShardIterator", "GetRecords"];
    let actions = ["ListStreams", "DescribeStreamSummary", "ListShards", "GetShardIterator", "GetRecords"];
    for (i, action) in actions.iter().enumerate() {
        let denied = action.to_string();
        let rule: proxy::Rule = Arc::new(move |c: &Call| {
            if c.operation == denied {
                Action::Fail {
                    status: 400,
                    code: "AccessDeniedException".into(),
                    message: format!(
                        "User: arn:aws:iam::123456789012:user/om is not authorized to perform: kinesis:{denied}"
                    ),
                }
            } else {
                Action::Forward { delay: Duration::ZERO }
            }
        });
        let upstream = s.kinesis.addr;
        let denying = s.rt.block_on(proxy::start(upstream, rule)).unwrap();
        let (run, report) = s.test_connection(&format!("deny-{action}.yaml"), aws.clone(), &[], &denying);
        assert_eq!(run.code, 1, "{action}: {}", run.stdout);
        for (j, name) in order.iter().enumerate() {
            let st = step(&report, name);
            match j.cmp(&i) {
                std::cmp::Ordering::Less => assert_eq!(st["status"], "Passed", "{action}: {st}"),
                std::cmp::Ordering::Equal => {
                    assert_eq!(st["status"], "Failed", "{action}: {st}");
                    assert_eq!(st["passed"], false);
                    assert!(st["message"].as_str().unwrap().contains(&format!("kinesis:{action}")), "{st}");
                    assert!(st["errorLog"].as_str().unwrap().contains("AccessDeniedException"), "{st}");
                }
                std::cmp::Ordering::Greater => assert_ne!(st["status"], "Failed", "{action}: {st}"),
            }
        }
    }

    // sts:AssumeRole denied: the AssumeRole step fails and names the role.
    let sts_rule: proxy::Rule = Arc::new(|c: &Call| {
        if c.operation == "AssumeRole" {
            Action::Fail {
                status: 403,
                code: "AccessDenied".into(),
                message: "not authorized to perform: sts:AssumeRole".into(),
            }
        } else {
            Action::Forward { delay: Duration::ZERO }
        }
    });
    let denying_sts = s.rt.block_on(proxy::start(s.sts.addr, sts_rule)).unwrap();
    let mut wf = workflow(&s.kinesis.endpoint(), "svc", json!({}));
    wf["source"]["serviceConnection"]["config"]["awsConfig"].as_object_mut().unwrap().extend(
        json!({"awsAccessKeyId": "AKIABASE", "awsSecretAccessKey": SECRET, "assumeRoleArn": ROLE})
            .as_object()
            .unwrap()
            .clone(),
    );
    let path = s.sandbox.write_workflow("deny-sts.yaml", &wf).unwrap();
    let sts = format!("http://{}", denying_sts.addr);
    let run = s
        .sandbox
        .host_with_env(&["test-connection", "--json", "-c", path.to_str().unwrap()], &[("AWS_ENDPOINT_URL_STS", &sts)])
        .unwrap();
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let st = step(&report, "AssumeRole");
    assert_eq!(st["status"], "Failed");
    assert!(st["errorLog"].as_str().unwrap().contains(&format!("access denied on {ROLE}")), "{st}");
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET));
}
