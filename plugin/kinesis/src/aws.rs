//! The run's AWS clients: Kinesis; the Resource Groups Tagging API for tags; Glue for the
//! Schema Registry (built the kit's way, `plugin_aws::clients`).

use plugin_aws::clients::On;
use plugin_aws::sdk_client;

use crate::budget::Api;

/// The services a run reads from.
#[derive(Debug, Clone)]
pub struct Clients {
    pub kinesis: aws_sdk_kinesis::Client,
    /// For stream tags.
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    /// For message schemas from the Glue Schema Registry.
    pub glue: aws_sdk_glue::Client,
}

impl plugin_aws::clients::Clients for Clients {
    fn build(on: &On<'_>) -> Self {
        Clients {
            kinesis: sdk_client!(aws_sdk_kinesis, on),
            tagging: sdk_client!(aws_sdk_resourcegroupstagging, on),
            glue: sdk_client!(aws_sdk_glue, on),
        }
    }
}

/// The run's clients and the meter of their calls.
pub type Account = plugin_aws::clients::Account<Clients, Api>;
