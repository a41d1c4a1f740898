//! The run's AWS clients, on the SDK config that `plugin_aws` builds from the connection's
//! `awsConfig` (credentials, region, retries), and their calls metered under the run's budget.

use std::sync::Arc;

use aws_config::SdkConfig;
use plugin_abi::PluginError;
use plugin_aws::credentials::AwsCredentials;
use plugin_aws::metered::Metered;
pub use plugin_aws::retry::Retries;

use crate::budget::{Api, Budget};

/// The services an account's integrations are read from, every call metered.
#[derive(Clone)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub pipes: aws_sdk_pipes::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub iot: aws_sdk_iot::Client,
    pub kinesis: aws_sdk_kinesis::Client,
    pub metered: Metered<Api>,
    /// For console links.
    pub region: String,
}

impl Clients {
    pub fn new(config: &SdkConfig, aws: &AwsCredentials, budget: Arc<Budget>, retries: Retries) -> Self {
        Clients {
            lambda: plugin_aws::sdk_client!(aws_sdk_lambda, config, aws, retries.clone()),
            pipes: plugin_aws::sdk_client!(aws_sdk_pipes, config, aws, retries.clone()),
            events: plugin_aws::sdk_client!(aws_sdk_eventbridge, config, aws, retries.clone()),
            iot: plugin_aws::sdk_client!(aws_sdk_iot, config, aws, retries.clone()),
            kinesis: plugin_aws::sdk_client!(aws_sdk_kinesis, config, aws, retries),
            metered: Metered::new(&Api::ALL, budget, plugin_aws::credentials::endpoint_name(aws)),
            region: aws.aws_region.clone(),
        }
    }

    /// The run's clients, their calls under `budget`.
    pub async fn connect(aws: &AwsCredentials, budget: Arc<Budget>, retries: Retries) -> Result<Self, PluginError> {
        let config = plugin_aws::credentials::sdk_config(aws).await?;
        Ok(Clients::new(&config, aws, budget, retries))
    }
}
