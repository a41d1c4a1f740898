//! The run's AWS clients: the services an account's integrations are read from (built the
//! kit's way, `plugin_aws::clients`).

use plugin_aws::clients::On;
use plugin_aws::sdk_client;

use crate::budget::Api;

/// The services a run reads from.
#[derive(Debug, Clone)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub pipes: aws_sdk_pipes::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub iot: aws_sdk_iot::Client,
    pub kinesis: aws_sdk_kinesis::Client,
}

impl plugin_aws::clients::Clients for Clients {
    fn build(on: &On<'_>) -> Self {
        Clients {
            lambda: sdk_client!(aws_sdk_lambda, on),
            pipes: sdk_client!(aws_sdk_pipes, on),
            events: sdk_client!(aws_sdk_eventbridge, on),
            iot: sdk_client!(aws_sdk_iot, on),
            kinesis: sdk_client!(aws_sdk_kinesis, on),
        }
    }
}

/// The run's clients and the meter of their calls.
pub type Account = plugin_aws::clients::Account<Clients, Api>;
