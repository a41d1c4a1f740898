//! The Firehose client of a run, on the SDK config that `plugin_aws` builds from the
//! connection's `awsConfig` (credentials, region, retries).

use std::sync::Arc;

use aws_config::SdkConfig;

pub use plugin_aws::credentials::{credential_source, endpoint_name, sdk_config};
pub use plugin_aws::retry::Retries;

use crate::budget::Budget;
use crate::config::AwsCredentials;

/// The Firehose client.
pub fn firehose_client(config: &SdkConfig, aws: &AwsCredentials, retries: Retries) -> aws_sdk_firehose::Client {
    plugin_aws::sdk_client!(aws_sdk_firehose, config, aws, retries)
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
