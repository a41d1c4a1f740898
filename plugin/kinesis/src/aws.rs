//! The Kinesis client of a run, on the SDK config that `plugin_aws` builds from the
//! connection's `awsConfig` (credentials, region, retries).

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_kinesis::config::retry::RetryConfig;
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

/// The Kinesis client: `endPointURL`, when set, applies to Kinesis alone.
pub fn kinesis_client(config: &SdkConfig, aws: &AwsCredentials, retries: Retries) -> aws_sdk_kinesis::Client {
    let mut kinesis = aws_sdk_kinesis::config::Builder::from(config).retry_classifier(UnreachableQuickly);
    match retries {
        Retries::Run(budget) => kinesis = kinesis.retry_classifier(ThrottleFeedback::new(budget)),
        Retries::Check => kinesis = kinesis.retry_config(RetryConfig::standard().with_max_attempts(3)),
    }
    if let Some(url) = &aws.end_point_url {
        kinesis = kinesis.endpoint_url(url.clone());
    }
    aws_sdk_kinesis::Client::from_conf(kinesis.build())
}
