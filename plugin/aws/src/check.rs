//! The first step of every AWS test connection: the credentials (and the role) become an SDK
//! config. The report and its steps are `plugin_sdk::check`.

use std::time::Instant;

use plugin_sdk::check::{Check, Step};

/// The first step of every AWS test: the credentials (and the role, when one is configured)
/// become an SDK config. `checks[0]` is the AssumeRole check, the others the service's, in
/// order. With a role, the AssumeRole step is reported either way; without one, a failure is
/// reported against the first service check. After a failure every later check is skipped and
/// `None` comes back.
pub async fn credentials(
    aws: &crate::credentials::AwsCredentials,
    checks: &[Check],
    steps: &mut Vec<Step>,
) -> Option<aws_config::SdkConfig> {
    let assume = aws.assume_role_arn.as_deref().is_some_and(|a| !a.is_empty());
    let started = Instant::now();
    match crate::credentials::sdk_config(aws).await {
        Ok(config) => {
            if assume {
                steps
                    .push(checks[0].passed(started, format!("assumed {}", crate::credentials::credential_source(aws))));
            }
            Some(config)
        }
        Err(e) => {
            let failed = if assume { 0 } else { 1 };
            steps.push(checks[failed].failed(started, &e));
            for c in &checks[failed + 1..] {
                steps.push(c.skipped("no credentials", Some("ConnectionNotEstablished")));
            }
            None
        }
    }
}
