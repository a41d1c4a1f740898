//! The one AWS client of a run, built from the connection config with `aws-config`.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_kinesis::config::{retry::RetryConfig, timeout::TimeoutConfig, Credentials, Region};

use crate::config::AwsCredentials;

/// Builds the Kinesis client: region, static keys (with session token) or a named profile or
/// the default provider chain, and `endPointURL` for Kinesis only (never for other services
/// such as STS, which keep their own endpoints).
pub async fn kinesis_client(aws: &AwsCredentials) -> aws_sdk_kinesis::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(aws.aws_region.clone()))
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(profile) = aws.profile_name.as_deref().filter(|p| !p.is_empty()) {
        loader = loader.profile_name(profile);
    }
    if let (Some(key), Some(secret)) = (&aws.aws_access_key_id, &aws.aws_secret_access_key) {
        let token = aws.aws_session_token.as_ref().map(|t| t.expose().to_string());
        loader = loader.credentials_provider(Credentials::new(
            key.clone(),
            secret.expose().to_string(),
            token,
            None,
            "workflow-config",
        ));
    }
    let shared = loader.load().await;
    let mut kinesis = aws_sdk_kinesis::config::Builder::from(&shared);
    if let Some(url) = &aws.end_point_url {
        kinesis = kinesis.endpoint_url(url.clone());
    }
    aws_sdk_kinesis::Client::from_conf(kinesis.build())
}
