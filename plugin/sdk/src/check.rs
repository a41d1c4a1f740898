//! A test connection's report, shaped like OpenMetadata's TestConnectionResult: one step per
//! permission a connector needs, each saying which permission it checked and, when it failed,
//! which one is missing. Each connector keys its checks with its own enum (`Checks`).

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
    /// The permission it needs, e.g. `kinesis:ListStreams`.
    pub permission: &'static str,
    /// What it does, in a person's words.
    pub does: &'static str,
    pub mandatory: bool,
    /// What to look at when the service cannot be reached, for remediation text ("the network
    /// path to the service"; an AWS connector's comes from `plugin_aws::reach!`).
    pub reach: &'static str,
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
                format!("Check {}.", self.reach),
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

/// The checks of one test connection, in order, each found by its key (the connector's own
/// enum of its steps), never by its name's text or its place.
#[derive(Debug, Clone)]
pub struct Checks<K> {
    checks: Vec<(K, Check)>,
}

impl<K: Copy + PartialEq + std::fmt::Debug> Default for Checks<K> {
    fn default() -> Self {
        Checks { checks: Vec::new() }
    }
}

impl<K: Copy + PartialEq + std::fmt::Debug> Checks<K> {
    /// Adds `check` as the last step.
    pub fn push(&mut self, key: K, check: Check) {
        self.checks.push((key, check));
    }

    /// The check of `key`. A key the connector never added is a bug in the connector.
    pub fn get(&self, key: K) -> &Check {
        self.checks
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("the test connection has no {key:?} check"))
    }

    /// The checks after `key`, in order (all of them when the test has no `key`).
    pub fn after(&self, key: K) -> &[(K, Check)] {
        let from = self.checks.iter().position(|(k, _)| *k == key).map_or(0, |i| i + 1);
        &self.checks[from..]
    }

    /// Every check after `key`, skipped.
    pub fn skip_after(&self, key: K, steps: &mut Vec<Step>, why: &str, reason: Option<&'static str>) {
        steps.extend(self.after(key).iter().map(|(_, c)| c.skipped(why, reason)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Key {
        List,
        Describe,
        Read,
    }

    fn check(name: &'static str) -> Check {
        Check { name, permission: "x:Call", does: "Call", mandatory: true, reach: "the network path to X" }
    }

    fn checks() -> Checks<Key> {
        let mut checks = Checks::default();
        checks.push(Key::List, check("GetTopics"));
        checks.push(Key::Describe, check("DescribeTopic"));
        checks.push(Key::Read, check("GetRecords"));
        checks
    }

    #[test]
    fn a_check_is_found_by_its_key_and_those_after_it_are_skipped() {
        let checks = checks();
        assert_eq!(checks.get(Key::Describe).name, "DescribeTopic");
        let mut steps = Vec::new();
        checks.skip_after(Key::List, &mut steps, "nothing to describe", None);
        let names: Vec<&str> = steps.iter().map(|s| s.name).collect();
        assert_eq!(names, ["DescribeTopic", "GetRecords"]);
        assert!(steps.iter().all(|s| s.status == "Skipped" && !s.mandatory));
    }

    #[test]
    fn a_failed_step_says_what_to_grant_or_where_to_look() {
        let check = check("GetTopics");
        let denied = check.failed(Instant::now(), &PluginError::new(ErrorKind::Auth, "AccessDenied"));
        assert_eq!(
            denied.diagnosis.as_ref().unwrap()["remediation"],
            "Grant x:Call to the identity the connector uses (see the error), or fix its credentials."
        );
        let unreachable = check.failed(Instant::now(), &PluginError::new(ErrorKind::Connection, "refused"));
        assert_eq!(unreachable.diagnosis.as_ref().unwrap()["remediation"], "Check the network path to X.");
        assert!(!unreachable.passed && unreachable.error_log.as_deref() == Some("refused"));
    }
}
