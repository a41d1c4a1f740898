//! A test connection's report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission a connector needs, each saying which permission it checked and, when it failed,
//! which one is missing. (AWS's first step, the credentials, is `plugin_aws::check`.)

use std::future::Future;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use plugin_abi::{ErrorKind, PluginError};
use serde::Serialize;
use serde_json::{json, Value};

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Value>,
    pub duration_ms: i64,
    pub executed_command: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_summary: Option<String>,
}

/// What a step checks.
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// OpenMetadata's step name, e.g. `GetTopics`.
    pub name: &'static str,
    /// The IAM permission it needs, e.g. `kinesis:ListStreams`.
    pub permission: &'static str,
    /// What it does, in a person's words.
    pub does: &'static str,
    pub mandatory: bool,
    /// The service, for remediation text (`Kinesis`).
    pub service: &'static str,
}

impl Check {
    pub fn passed(&self, started: Instant, summary: String) -> Step {
        self.step(
            started,
            true,
            "Passed",
            format!("{} ({}): OK.", self.does, self.permission),
            None,
            None,
            Some(summary),
        )
    }

    pub fn failed(&self, started: Instant, e: &PluginError) -> Step {
        let (message, remediation) = if e.is(ErrorKind::Auth) {
            (
                format!("{} failed: the credentials lack {} or were refused.", self.does, self.permission),
                format!(
                    "Grant {} to the identity the connector uses (see the error), or fix its credentials.",
                    self.permission
                ),
            )
        } else {
            (
                format!("{} ({}) failed: {} error.", self.does, self.permission, e.kind_label()),
                format!("Check the region, the endpoint URL and the network path to {}.", self.service),
            )
        };
        let diagnosis = json!({"title": message.clone(), "remediation": remediation});
        self.step(started, false, "Failed", message, Some(e.message.to_string()), Some(diagnosis), None)
    }

    pub fn skipped(&self, why: &str, reason: Option<&'static str>) -> Step {
        let mut step = self.step(
            Instant::now(),
            false,
            "Skipped",
            format!("{} ({}): skipped, {why}.", self.does, self.permission),
            None,
            None,
            None,
        );
        // A step that could not run is not counted as a failure.
        step.mandatory = false;
        step.skip_reason = reason;
        step
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        started: Instant,
        passed: bool,
        status: &'static str,
        message: String,
        error_log: Option<String>,
        diagnosis: Option<Value>,
        result_summary: Option<String>,
    ) -> Step {
        Step {
            name: self.name,
            mandatory: self.mandatory,
            passed,
            status,
            message,
            error_log,
            skip_reason: None,
            diagnosis,
            duration_ms: started.elapsed().as_millis() as i64,
            executed_command: self.permission,
            result_summary,
        }
    }

    /// Runs `f` as this step; its value goes on to the next steps.
    pub async fn run<T, F>(&self, steps: &mut Vec<Step>, f: F, summary: impl Fn(&T) -> String) -> Option<T>
    where
        F: Future<Output = Result<T, PluginError>>,
    {
        let started = Instant::now();
        match f.await {
            Ok(value) => {
                steps.push(self.passed(started, summary(&value)));
                Some(value)
            }
            Err(e) => {
                steps.push(self.failed(started, &e));
                None
            }
        }
    }
}

/// The report of these steps: successful when every mandatory step passed.
pub fn result(steps: Vec<Step>) -> TestConnectionResult {
    let passed = steps.iter().all(|s| s.passed || !s.mandatory);
    TestConnectionResult {
        last_updated_at: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64),
        status: if passed { "Successful" } else { "Failed" },
        steps,
    }
}
