//! What every AWS plugin's `source` block holds beyond OpenMetadata's envelope (read by
//! `plugin_sdk::source`): its credentials, which its connection holds as `awsConfig`, and its API
//! budget settings.

use plugin_abi::PluginError;
use plugin_sdk::config::override_metadata_problem;
use plugin_sdk::source::{Settings, SourceKind};

use crate::budget::HasBudgetSettings;
use crate::credentials::AwsCredentials;

/// The connection of an AWS connector: it holds `awsConfig`.
pub trait AwsConnection {
    fn aws(&self) -> &AwsCredentials;
}

/// `settings.aws()`: the credentials of an AWS connector's settings.
pub trait AwsSettings {
    fn aws(&self) -> &AwsCredentials;
}

impl<K: SourceKind> AwsSettings for Settings<K>
where
    K::Connection: AwsConnection,
{
    fn aws(&self) -> &AwsCredentials {
        self.connection().aws()
    }
}

/// What every AWS connector checks beyond the schema, in this order: the credentials, the
/// options of OpenMetadata's it cannot honour (`unsupported`), the API budget settings. A
/// connector's own checks follow them.
pub fn problems(
    aws: &AwsCredentials,
    unsupported: Vec<PluginError>,
    budget: &impl HasBudgetSettings,
) -> Vec<PluginError> {
    let mut problems = aws.problems();
    problems.extend(unsupported);
    problems.extend(budget.budget_settings().problems());
    problems
}

/// The options of a messaging connector's settings it cannot honour: `overrideMetadata`.
pub fn unsupported_messaging_options(override_metadata: Option<bool>) -> Vec<PluginError> {
    override_metadata_problem(override_metadata).into_iter().collect()
}

/// Declares an AWS connector's pipeline settings (`sourceConfig.config`): the struct as written,
/// its last field followed by a comma, then the API budget settings every AWS connector has
/// (`apiBudgetShare`, `maxCallsPerSecond`, `enforceApiBudget`) and their
/// [`crate::budget::HasBudgetSettings`]. A macro because OpenMetadata's settings are flat and
/// serde cannot flatten a struct into one that denies unknown fields.
#[macro_export]
macro_rules! pipeline_settings {
    ($(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$attr])*
        pub struct $name {
            $($fields)*
            /// Plugin setting (not part of OpenMetadata's schema): the share (0.01–1) of AWS's
            /// published limits this run may use for each call it makes (per account, and per
            /// shard where AWS sets them); the rest is left to the account's other users.
            #[serde(default = "plugin_aws::budget::default_share")]
            #[schemars(title = "API Budget Share", range(min = 0.01, max = 1.0))]
            pub api_budget_share: f64,
            /// Plugin setting (not part of OpenMetadata's schema): a cap on all the run's calls
            /// to the service, per second, on top of the per-API budget. Unset: no cap beyond
            /// the budget.
            #[serde(default)]
            #[schemars(title = "Max Calls per Second", range(min = 0.1))]
            pub max_calls_per_second: Option<f64>,
            /// Plugin setting (not part of OpenMetadata's schema): pace calls under AWS's
            /// published limits (on by default). Turn it off only for an emulator, never for an
            /// AWS account: its limits are shared with the account's other users.
            #[serde(default = "plugin_sdk::config::default_true")]
            #[schemars(title = "Enforce API Budget")]
            pub enforce_api_budget: bool,
        }

        impl $crate::budget::HasBudgetSettings for $name {
            fn budget_settings(&self) -> $crate::budget::BudgetSettings {
                $crate::budget::BudgetSettings {
                    share: self.api_budget_share,
                    max_calls_per_second: self.max_calls_per_second,
                    enforce: self.enforce_api_budget,
                }
            }
        }
    };
}

/// Declares that an AWS connector's connection holds its credentials as `aws_config`
/// (`awsConfig`): [`AwsConnection`], and the connection's secrets for `plugin_sdk`.
#[macro_export]
macro_rules! aws_connection {
    ($connection:ty) => {
        impl $crate::source::AwsConnection for $connection {
            fn aws(&self) -> &$crate::credentials::AwsCredentials {
                &self.aws_config
            }
        }

        impl plugin_sdk::source::ConnectionSecrets for $connection {
            const SECRET_FIELDS: &'static [&'static str] = $crate::credentials::SECRET_FIELDS;
            fn secrets(&self) -> Vec<String> {
                self.aws_config.secrets()
            }
        }
    };
}
