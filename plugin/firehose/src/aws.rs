//! The Firehose client of a run, on the SDK config that `plugin_aws` builds from the
//! connection's `awsConfig` (credentials, region, retries).

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_firehose::config::retry::RetryConfig;
use plugin_aws::retry::{ThrottleFeedback, UnreachableQuickly};

pub use plugin_aws::credentials::{credential_source, endpoint_name, sdk_config};

use crate::budget::Budget;
use crate::config::AwsCredentials;

/// How hard a client retries.
#[derive(Debug, Clone)]
pub enum Retries {
    /// A run: a throttled call is tried again (8 attempts) and slows the run's budget down.
    Run(Arc<Budget>),
    /// A connection test: answer soon (3 attempts).
    Check,
}

/// The Firehose client: `endPointURL`, when set, applies to Firehose alone.
pub fn firehose_client(config: &SdkConfig, aws: &AwsCredentials, retries: Retries) -> aws_sdk_firehose::Client {
    let mut firehose = aws_sdk_firehose::config::Builder::from(config).retry_classifier(UnreachableQuickly);
    match retries {
        Retries::Run(budget) => firehose = firehose.retry_classifier(ThrottleFeedback::new(budget)),
        Retries::Check => firehose = firehose.retry_config(RetryConfig::standard().with_max_attempts(3)),
    }
    if let Some(url) = &aws.end_point_url {
        firehose = firehose.endpoint_url(url.clone());
    }
    aws_sdk_firehose::Client::from_conf(firehose.build())
}

/// The run's Firehose, its calls under `budget`.
pub async fn firehose(
    aws: &AwsCredentials,
    budget: Arc<Budget>,
    retries: Retries,
) -> Result<crate::firehose::Firehose, plugin_abi::PluginError> {
    let config = sdk_config(aws).await?;
    Ok(crate::firehose::Firehose::new(firehose_client(&config, aws, retries), budget, endpoint_name(aws)))
}
