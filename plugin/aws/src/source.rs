//! What every AWS plugin's `source` block must be beyond its schema, and its API budget
//! settings (the generic reading is `plugin_sdk::config`).

use plugin_abi::PluginError;
use plugin_sdk::config::{override_metadata_problem, SOURCE_CONFIG_PATH};

/// What every AWS plugin's `source` block must be, beyond its schema.
pub struct SourceChecks<'a> {
    /// The `source.type` this plugin reads (`kinesis`) and what to call it in messages.
    pub expected_type: &'a str,
    pub service: &'a str,
    pub source_type: &'a str,
    pub service_name: &'a str,
    pub aws: &'a crate::credentials::AwsCredentials,
    pub override_metadata: Option<bool>,
}

impl SourceChecks<'_> {
    /// The source type, the service name, the credentials, `overrideMetadata`.
    pub fn problems(&self) -> Vec<PluginError> {
        let mut problems = Vec::new();
        if !self.source_type.eq_ignore_ascii_case(self.expected_type) {
            problems.push(PluginError::config(
                "/type",
                format!("this plugin reads {}; the source type is '{}'", self.service, self.source_type),
            ));
        }
        if self.service_name.trim().is_empty() {
            problems.push(PluginError::config("/serviceName", "the service name is empty"));
        }
        problems.extend(self.aws.problems());
        problems.extend(override_metadata_problem(self.override_metadata));
        problems
    }
}

/// `apiBudgetShare` (0.01–1) and `maxCallsPerSecond` (at least 0.1), the API budget settings of
/// `sourceConfig.config`.
pub fn budget_problems(api_budget_share: f64, max_calls_per_second: Option<f64>) -> Vec<PluginError> {
    let mut problems = Vec::new();
    if !(0.01..=1.0).contains(&api_budget_share) {
        problems.push(PluginError::config(
            format!("{SOURCE_CONFIG_PATH}/apiBudgetShare"),
            format!("{api_budget_share} is out of range: must be between 0.01 and 1"),
        ));
    }
    if max_calls_per_second.is_some_and(|m| m.is_nan() || m < 0.1) {
        problems.push(PluginError::config(format!("{SOURCE_CONFIG_PATH}/maxCallsPerSecond"), "must be at least 0.1"));
    }
    problems
}
