//! A connector's AWS clients, built the same way by every connector: each on the SDK config of
//! the connection's `awsConfig`, with its `endPointURL` and the retries its purpose asks for,
//! and every call metered under the run's budget ([`Account`]). A connector declares its
//! clients ([`Clients`]), one field a service, each from [`sdk_client!`](crate::sdk_client).

use std::sync::Arc;

use aws_config::SdkConfig;
use plugin_abi::PluginError;

use crate::budget::{Api, Budget};
use crate::credentials::{endpoint_name, sdk_config, AwsCredentials};
use crate::metered::Metered;

/// How hard a client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// A run: a throttled call is tried again (8 attempts) and slows the run's budget down.
    Run,
    /// A connection test: answer soon (3 attempts).
    Check,
}

/// What each client of a connector is built on.
pub struct On<'a> {
    pub config: &'a SdkConfig,
    pub aws: &'a AwsCredentials,
    pub retries: Retries,
    /// Throttling answers slow it down (a run's clients).
    pub budget: &'a Arc<Budget>,
}

/// The SDK clients a connector reads with, one field a service. Building them makes no call.
pub trait Clients: Sized {
    fn build(on: &On<'_>) -> Self;
}

/// A connector's clients and the meter every call of theirs goes through.
#[derive(Debug, Clone)]
pub struct Account<C, A: Api + 'static> {
    pub clients: C,
    pub metered: Metered<A>,
    /// The connection's region, for console links and ARNs.
    pub region: String,
}

impl<C: Clients, A: Api + 'static> Account<C, A> {
    /// A connection test's account, on the SDK config its credentials step resolved: each call
    /// is tried at most three times, so that the test answers soon. `apis` are the operations
    /// the connector calls.
    pub fn for_check(config: &SdkConfig, aws: &AwsCredentials, apis: &'static [A], budget: Arc<Budget>) -> Self {
        Account::on(config, aws, apis, budget, Retries::Check)
    }

    /// A run's account: the credentials resolved (a role assumed) into the SDK config, then the
    /// clients, whose throttled calls are tried again and slow the run's `budget` down.
    pub async fn for_run(aws: &AwsCredentials, apis: &'static [A], budget: Arc<Budget>) -> Result<Self, PluginError> {
        let config = sdk_config(aws).await?;
        Ok(Account::on(&config, aws, apis, budget, Retries::Run))
    }

    fn on(config: &SdkConfig, aws: &AwsCredentials, apis: &'static [A], budget: Arc<Budget>, retries: Retries) -> Self {
        let clients = C::build(&On { config, aws, retries, budget: &budget });
        Account { clients, metered: Metered::new(apis, budget, endpoint_name(aws)), region: aws.aws_region.clone() }
    }
}

/// A client of one AWS SDK crate (`$sdk`, e.g. `aws_sdk_kinesis`) built [`On`] the connection:
/// an unreachable endpoint given up on quickly, throttling fed back to the budget ([`Retries`]),
/// and `endPointURL`, when the connection sets one, as its endpoint (an emulator serves every
/// API on one endpoint, as OpenMetadata's AWS clients assume).
#[macro_export]
macro_rules! sdk_client {
    ($sdk:ident, $on:expr) => {{
        let on: &$crate::clients::On<'_> = $on;
        let mut builder = $sdk::config::Builder::from(on.config).retry_classifier($crate::retry::UnreachableQuickly);
        match on.retries {
            $crate::clients::Retries::Run => {
                builder = builder.retry_classifier($crate::retry::ThrottleFeedback::new(on.budget.clone()))
            }
            $crate::clients::Retries::Check => {
                builder = builder.retry_config($sdk::config::retry::RetryConfig::standard().with_max_attempts(3))
            }
        }
        if let Some(url) = &on.aws.end_point_url {
            builder = builder.endpoint_url(url.clone());
        }
        $sdk::Client::from_conf(builder.build())
    }};
}
