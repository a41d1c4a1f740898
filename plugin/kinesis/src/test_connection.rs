//! The test-connection report, shaped like OpenMetadata's TestConnectionResult.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::config::Settings;
use crate::kinesis;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestConnectionResult {
    pub last_updated_at: i64,
    pub status: &'static str,
    pub steps: Vec<Step>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub name: &'static str,
    pub mandatory: bool,
    pub passed: bool,
    pub status: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_log: Option<String>,
    pub duration_ms: i64,
    pub executed_command: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_summary: Option<String>,
}

/// Runs the steps: for now one, `GetTopics` (kinesis:ListStreams).
pub async fn run(settings: &Settings) -> TestConnectionResult {
    let client = crate::aws::kinesis_client(settings.aws()).await;
    let started = Instant::now();
    let outcome = kinesis::list_one_stream(&client).await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let step = match outcome {
        Ok(names) => Step {
            name: "GetTopics",
            mandatory: true,
            passed: true,
            status: "Passed",
            message: "Listed streams with kinesis:ListStreams.".into(),
            error_log: None,
            duration_ms,
            executed_command: "kinesis:ListStreams",
            result_summary: Some(match names.first() {
                Some(first) => format!("the account has streams (first: {first})"),
                None => "the account has no streams".into(),
            }),
        },
        Err(e) => Step {
            name: "GetTopics",
            mandatory: true,
            passed: false,
            status: "Failed",
            message: "Could not list streams: check the region, the endpoint, the credentials and the kinesis:ListStreams permission.".into(),
            error_log: Some(format!("{} error: {}", e.kind.as_str(), e.message)),
            duration_ms,
            executed_command: "kinesis:ListStreams",
            result_summary: None,
        },
    };
    let passed = step.passed || !step.mandatory;
    TestConnectionResult {
        last_updated_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64),
        status: if passed { "Successful" } else { "Failed" },
        steps: vec![step],
    }
}
