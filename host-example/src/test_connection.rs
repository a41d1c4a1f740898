//! `test-connection`: runs the plugin's connection steps and prints them as a table.

use abi_stable::std_types::RStr;
use anyhow::{Context, Result};
use plugin_abi::LogLevel;
use serde::Deserialize;

use host_core::plugins::Plugin;

/// OpenMetadata's TestConnectionResult, as much of it as the table shows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub steps: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub name: String,
    pub mandatory: bool,
    pub passed: bool,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_log: Option<String>,
}

impl Report {
    /// True when every mandatory step passed.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.passed || !s.mandatory)
    }

    pub fn table(&self) -> String {
        let width = self.steps.iter().map(|s| s.name.len()).max().unwrap_or(4).max(4);
        let mut out = format!("{:<width$}  {:<9}  {:<7}  {}\n", "Step", "Mandatory", "Result", "Message");
        for s in &self.steps {
            let result = s.status.clone().unwrap_or_else(|| if s.passed { "Passed".into() } else { "Failed".into() });
            let mut message = s.message.clone().unwrap_or_default();
            if let Some(e) = &s.error_log {
                message.push_str(&format!(" ({e})"));
            }
            out.push_str(&format!(
                "{:<width$}  {:<9}  {:<7}  {}\n",
                s.name,
                if s.mandatory { "yes" } else { "no" },
                result,
                message
            ));
        }
        out.push_str(&format!("Result: {}", if self.passed() { "connection OK" } else { "FAILED" }));
        out
    }
}

/// The report, read and as the plugin wrote it (JSON). `source` is the workflow's, its secret
/// references resolved.
pub fn run(source: &serde_json::Value, plugin: &Plugin, level: LogLevel) -> Result<(Report, String)> {
    let config = serde_json::to_string(source)?;
    let json = plugin.module.test_connection()(RStr::from_str(&config), crate::logging::host_context(level))
        .into_result()
        .map_err(|e| anyhow::anyhow!("the connection test could not run: {e}"))?;
    let report = serde_json::from_str(json.as_str()).context("the plugin's test-connection report is not readable")?;
    Ok((report, json.into()))
}
