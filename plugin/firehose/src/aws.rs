//! The run's AWS client: Firehose (built the kit's way, `plugin_aws::clients`).

use plugin_aws::clients::On;
use plugin_aws::sdk_client;

use crate::budget::Api;

/// The services a run reads from.
#[derive(Debug, Clone)]
pub struct Clients {
    pub firehose: aws_sdk_firehose::Client,
}

impl plugin_aws::clients::Clients for Clients {
    fn build(on: &On<'_>) -> Self {
        Clients { firehose: sdk_client!(aws_sdk_firehose, on) }
    }
}

/// The run's clients and the meter of their calls.
pub type Account = plugin_aws::clients::Account<Clients, Api>;
