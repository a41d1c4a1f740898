//! The plugin loaded into this test process as a host loads it, for what only shows in-process:
//! two runs at once, each logging to its own host context with its own secrets scrubbed (even a
//! two-letter one), neither seeing the other's scrubbing.

use std::sync::Mutex;

use abi_stable::std_types::{RResult, RSome, RStr, RString};
use e2e::{kinesis_client, seed, workflow, Emulator, StreamSpec};
use plugin_abi::{HostContext, LogLevel, PluginError, SourcePluginRef};
use serde_json::json;

static LOG_A: Mutex<Vec<String>> = Mutex::new(Vec::new());
static LOG_B: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn log_a(_: LogLevel, target: RStr<'_>, message: RStr<'_>) {
    LOG_A.lock().unwrap().push(format!("[{target}] {message}"));
}

extern "C" fn log_b(_: LogLevel, target: RStr<'_>, message: RStr<'_>) {
    LOG_B.lock().unwrap().push(format!("[{target}] {message}"));
}

extern "C" fn no_services(service: RStr<'_>, _: RStr<'_>) -> RResult<RString, PluginError> {
    RResult::RErr(plugin_abi::unsupported(service.as_str()))
}

fn source(endpoint: &str, key: &str, secret: &str, token: Option<&str>) -> String {
    let mut wf = workflow(endpoint, "svc", json!({}));
    let aws = &mut wf["source"]["serviceConnection"]["config"]["awsConfig"];
    aws["awsAccessKeyId"] = key.into();
    aws["awsSecretAccessKey"] = secret.into();
    if let Some(token) = token {
        aws["awsSessionToken"] = token.into();
    }
    wf["source"].to_string()
}

/// Pulls a run to its end; the names of its topics.
fn drain(mut stream: plugin_abi::RecordStreamBox) -> Vec<String> {
    let mut topics = Vec::new();
    loop {
        match stream.next() {
            RResult::ROk(RSome(record)) => {
                if record.known_kind() == Some(plugin_abi::RecordKind::Entity) {
                    topics.push(record.fqn.last().map(|n| n.to_string()).unwrap_or_default());
                }
            }
            RResult::ROk(_) => return topics,
            RResult::RErr(e) => panic!("the run failed: {e}"),
        }
    }
}

#[test]
fn two_runs_in_one_process_each_scrub_their_own_secrets_from_their_own_log() {
    let emulator = Emulator::start().unwrap();
    let client = kinesis_client(&emulator.endpoint());
    // Stream names that are the runs' secrets: the plugin logs every stream's name.
    let (alpha, beta, short) = ("alpha-secret-value-1", "beta-secret-value-2", "k9");
    let rt = e2e::runtime();
    rt.block_on(seed(
        &client,
        &[StreamSpec::new(alpha, 1), StreamSpec::new(beta, 1), StreamSpec::new(format!("{short}-stream"), 1)],
    ))
    .unwrap();

    let built = e2e::built().unwrap();
    let header = abi_stable::library::lib_header_from_path(&built.plugin).unwrap();
    let plugin = header.init_root_module::<SourcePluginRef>().unwrap();
    let a = source(&emulator.endpoint(), "AKIAALPHA", alpha, Some(short));
    let b = source(&emulator.endpoint(), "AKIABETA", beta, None);
    let run_a = plugin.open()(
        RStr::from_str(&a),
        HostContext { log: log_a, max_level: LogLevel::Debug, call: no_services }.into_ref(),
    )
    .into_result()
    .unwrap();
    // Opened second: with one process-wide list of secrets, run A would now scrub B's.
    let run_b = plugin.open()(
        RStr::from_str(&b),
        HostContext { log: log_b, max_level: LogLevel::Debug, call: no_services }.into_ref(),
    )
    .into_result()
    .unwrap();
    let (topics_a, topics_b) = std::thread::scope(|s| {
        let a = s.spawn(|| drain(run_a));
        let b = s.spawn(|| drain(run_b));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(topics_a.len(), 3);
    assert_eq!(topics_b.len(), 3);

    let log_a = LOG_A.lock().unwrap().join("\n");
    let log_b = LOG_B.lock().unwrap().join("\n");
    // Each run logged the streams, its own secrets replaced, the other run's left alone.
    assert!(log_a.contains("listing finished"), "{log_a}");
    assert!(log_b.contains("listing finished"), "{log_b}");
    assert!(!log_a.contains(alpha) && !log_a.contains(short), "run A showed its secret:\n{log_a}");
    assert!(log_a.contains("stream=***-stream") && log_a.contains(&format!("stream={beta}")), "{log_a}");
    assert!(!log_b.contains(beta), "run B showed its secret:\n{log_b}");
    assert!(log_b.contains(&format!("stream={alpha}")) && log_b.contains("stream=k9-stream"), "{log_b}");
}
