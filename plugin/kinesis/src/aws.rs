//! The clients of a run (Kinesis; the Resource Groups Tagging API for tags; Glue for the
//! Schema Registry), on the SDK config that `plugin_aws` builds from the connection's
//! `awsConfig` (credentials, region, retries).

use aws_config::SdkConfig;

pub use plugin_aws::credentials::{credential_source, endpoint_name, sdk_config};
pub use plugin_aws::retry::Retries;

use crate::config::AwsCredentials;

/// The Kinesis client.
pub fn kinesis_client(config: &SdkConfig, aws: &AwsCredentials, retries: Retries) -> aws_sdk_kinesis::Client {
    plugin_aws::sdk_client!(aws_sdk_kinesis, config, aws, retries)
}

/// The Resource Groups Tagging API's client, for stream tags.
pub fn tagging_client(
    config: &SdkConfig,
    aws: &AwsCredentials,
    retries: Retries,
) -> aws_sdk_resourcegroupstagging::Client {
    plugin_aws::sdk_client!(aws_sdk_resourcegroupstagging, config, aws, retries)
}

/// The Glue client, for message schemas from the Glue Schema Registry.
pub fn glue_client(config: &SdkConfig, aws: &AwsCredentials, retries: Retries) -> aws_sdk_glue::Client {
    plugin_aws::sdk_client!(aws_sdk_glue, config, aws, retries)
}
