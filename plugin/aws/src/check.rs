//! The opening of every AWS test connection: the credentials (and the role) become an SDK
//! config, and the test's account is built on it. The report and its steps are
//! `plugin_sdk::check`.

use std::sync::Arc;
use std::time::Instant;

use plugin_sdk::check::{Check, Checks, Step};

use crate::budget::{Api, Budget};
use crate::clients::{Account, Clients};

/// What to look at when an AWS service cannot be reached, as a check's `reach`:
/// `plugin_aws::reach!("Kinesis")`.
#[macro_export]
macro_rules! reach {
    ($service:literal) => {
        concat!("the region, the endpoint URL and the network path to ", $service)
    };
}

/// The AssumeRole check every AWS test begins with: reported when a role is configured.
pub const ASSUME_ROLE: Check = Check {
    name: "AssumeRole",
    permission: "sts:AssumeRole",
    does: "Assume the configured role",
    mandatory: true,
    reach: reach!("STS"),
};

/// The opening of every AWS test: the credentials step ([`credentials`]), then the test's
/// account (its clients, each call tried at most three times, metered under `budget`; `apis`
/// are the connector's operations). `None` after a failure, every later check skipped.
pub async fn account<C: Clients, A: Api + 'static, K: Copy + PartialEq + std::fmt::Debug>(
    aws: &crate::credentials::AwsCredentials,
    checks: &Checks<K>,
    assume_role: K,
    steps: &mut Vec<Step>,
    apis: &'static [A],
    budget: Budget,
) -> Option<Account<C, A>> {
    let config = credentials(aws, checks, assume_role, steps).await?;
    Some(Account::for_check(&config, aws, apis, Arc::new(budget)))
}

/// The first step of every AWS test: the credentials (and the role, when one is configured)
/// become an SDK config. `assume_role` is the key of the AssumeRole check, the others follow it
/// in order. With a role, the AssumeRole step is reported either way; without one, a failure is
/// reported against the first check after it. After a failure every later check is skipped and
/// `None` comes back.
async fn credentials<K: Copy + PartialEq + std::fmt::Debug>(
    aws: &crate::credentials::AwsCredentials,
    checks: &Checks<K>,
    assume_role: K,
    steps: &mut Vec<Step>,
) -> Option<aws_config::SdkConfig> {
    let assume = aws.assume_role_arn.as_deref().is_some_and(|a| !a.is_empty());
    let started = Instant::now();
    match crate::credentials::sdk_config(aws).await {
        Ok(config) => {
            if assume {
                let check = checks.get(assume_role);
                steps.push(check.passed(started, format!("assumed {}", crate::credentials::credential_source(aws))));
            }
            Some(config)
        }
        Err(e) => {
            let failed = if assume { Some(assume_role) } else { checks.after(assume_role).first().map(|(k, _)| *k) };
            if let Some(failed) = failed {
                steps.push(checks.get(failed).failed(started, &e));
                checks.skip_after(failed, steps, "no credentials", Some("ConnectionNotEstablished"));
            }
            None
        }
    }
}
