//! The personal-data settings (named as OpenMetadata's messaging auto-classification names
//! them): what they make of a run, and the problems the schema cannot express.

use plugin_abi::PluginError;
use plugin_sdk::config::SOURCE_CONFIG_PATH;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::MessagingMetadata;

/// Which sampled values are masked before a sample leaves the plugin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SampleDataMasking {
    /// Nothing but credentials is masked.
    #[default]
    None,
    /// The values of the fields classified `PII.Sensitive`.
    Sensitive,
    /// Every value.
    All,
}

impl SampleDataMasking {
    pub fn masking(self) -> pii::Masking {
        match self {
            SampleDataMasking::None => pii::Masking::None,
            SampleDataMasking::Sensitive => pii::Masking::Sensitive,
            SampleDataMasking::All => pii::Masking::All,
        }
    }
}

impl MessagingMetadata {
    /// What classification and masking do for the run.
    pub fn classification(&self) -> crate::classify::Classification {
        crate::classify::Classification {
            enabled: self.enable_auto_classification,
            // "At least confidence%": a fraction rounds up.
            confidence: self.confidence.clamp(0.0, 100.0).ceil() as u8,
            masking: self.sample_data_masking.masking(),
        }
    }
}

/// Classification and masking read the sample: without it they would be settings accepted and
/// ignored. `sensitive` masks what classification finds.
pub(super) fn problems(p: &MessagingMetadata) -> Vec<PluginError> {
    let mut problems = Vec::new();
    if !(0.0..=100.0).contains(&p.confidence) {
        problems.push(PluginError::config(format!("{SOURCE_CONFIG_PATH}/confidence"), "must be 0 to 100 (percent)"));
    }
    if !p.generate_sample_data.unwrap_or(false) {
        if p.enable_auto_classification {
            problems.push(PluginError::config(
                format!("{SOURCE_CONFIG_PATH}/enableAutoClassification"),
                "needs generateSampleData: true (the fields are classified from the sampled messages)",
            ));
        }
        if p.sample_data_masking != SampleDataMasking::None {
            problems.push(PluginError::config(
                format!("{SOURCE_CONFIG_PATH}/sampleDataMasking"),
                "needs generateSampleData: true (it masks the sampled messages)",
            ));
        }
    }
    if p.sample_data_masking == SampleDataMasking::Sensitive && !p.enable_auto_classification {
        problems.push(PluginError::config(
            format!("{SOURCE_CONFIG_PATH}/sampleDataMasking"),
            "'sensitive' needs enableAutoClassification: true (it masks the fields classified PII.Sensitive)",
        ));
    }
    problems
}
