//! The AWS side of a run: one SDK config built with `aws-config` from the connection's
//! `awsConfig`, the credentials OpenMetadata users configure, and the Kinesis client.
//!
//! Credentials, as OpenMetadata's Kinesis connector takes them:
//! - `enabled: true` (IAM auth): the default provider chain (environment, web identity,
//!   container and instance metadata), whatever else is set;
//! - else `awsAccessKeyId` + `awsSecretAccessKey` (+ `awsSessionToken`): static keys;
//! - else `profileName`: that profile of the shared config and credentials files (a profile
//!   that assumes a role included);
//! - else the default provider chain.
//! `assumeRoleArn` then assumes that role on top of them, through STS (never the Kinesis
//! endpoint), with `assumeRoleSessionName` and `assumeRoleSourceIdentity`; the SDK's identity
//! cache refreshes the role's credentials before they expire.

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_kinesis::config::{retry::RetryConfig, timeout::TimeoutConfig, Credentials, Region};
use aws_sdk_kinesis::error::DisplayErrorContext;
use plugin_abi::{ErrorKind, PluginError};

use crate::config::{AwsCredentials, CONNECTION_PATH};

/// How credentials are found, for messages.
pub fn credential_source(aws: &AwsCredentials) -> String {
    let base = if aws.enabled == Some(true) {
        "the default AWS credential chain (IAM auth enabled)".to_string()
    } else if aws.aws_access_key_id.is_some() {
        if aws.aws_session_token.is_some() { "static keys with a session token" } else { "static keys" }.to_string()
    } else if let Some(p) = aws.profile_name.as_deref().filter(|p| !p.is_empty()) {
        format!("profile '{p}'")
    } else {
        "the default AWS credential chain".to_string()
    };
    match assume_role_arn(aws) {
        Some(arn) => format!("role {arn} assumed with {base}"),
        None => base,
    }
}

fn assume_role_arn(aws: &AwsCredentials) -> Option<&str> {
    aws.assume_role_arn.as_deref().filter(|a| !a.is_empty())
}

/// The SDK config of a run. Credentials are resolved once here, so that a wrong profile, an
/// expired token or a refused AssumeRole is reported in user terms before any Kinesis call.
pub async fn sdk_config(aws: &AwsCredentials) -> Result<SdkConfig, PluginError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(aws.aws_region.clone()))
        // Adaptive: throttling answers slow down every call of the client (one per run), not
        // just the one that was throttled.
        .retry_config(RetryConfig::adaptive().with_max_attempts(8))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    let iam_auth = aws.enabled == Some(true);
    if !iam_auth {
        if let (Some(key), Some(secret)) = (&aws.aws_access_key_id, &aws.aws_secret_access_key) {
            let token = aws.aws_session_token.as_ref().map(|t| t.expose().to_string());
            loader = loader.credentials_provider(Credentials::new(
                key.clone(),
                secret.expose().to_string(),
                token,
                None,
                "workflow-config",
            ));
        } else if let Some(profile) = aws.profile_name.as_deref().filter(|p| !p.is_empty()) {
            loader = loader.profile_name(profile);
        }
    }
    let mut config = loader.load().await;
    if let Some(arn) = assume_role_arn(aws) {
        let role = AssumeRole {
            // Built from the base config: its credentials, and STS's own endpoint (or
            // AWS_ENDPOINT_URL_STS), never endPointURL, which is Kinesis's.
            sts: aws_sdk_sts::Client::new(&config),
            role_arn: arn.to_string(),
            session_name: aws.assume_role_session_name.clone().unwrap_or_else(|| "OpenMetadataSession".into()),
            source_identity: aws.assume_role_source_identity.clone().filter(|s| !s.is_empty()),
            last: std::sync::Mutex::new(None),
        };
        config = config.into_builder().credentials_provider(SharedCredentialsProvider::new(role)).build();
    }
    check_credentials(&config, aws).await?;
    Ok(config)
}

/// Resolves the credentials once; an error names the source and the cause, never a secret.
async fn check_credentials(config: &SdkConfig, aws: &AwsCredentials) -> Result<(), PluginError> {
    let Some(provider) = config.credentials_provider() else {
        return Err(PluginError::new(ErrorKind::Auth, "no AWS credentials are configured"));
    };
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let source = credential_source(aws);
            let detail = match &e {
                // Our AssumeRole errors are already in user terms.
                CredentialsError::ProviderError(_) if assume_role_arn(aws).is_some() => {
                    std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.to_string())
                }
                _ => crate::kinesis::error_chain(&e),
            };
            let field = if assume_role_arn(aws).is_some() {
                "assumeRoleArn"
            } else if aws.profile_name.as_deref().is_some_and(|p| !p.is_empty()) && aws.aws_access_key_id.is_none() {
                "profileName"
            } else {
                ""
            };
            let message = format!("cannot get AWS credentials from {source}: {detail}");
            Err(if field.is_empty() {
                PluginError::new(ErrorKind::Auth, message)
            } else {
                PluginError {
                    kind: ErrorKind::Auth,
                    ..PluginError::config(format!("{CONNECTION_PATH}/awsConfig/{field}"), message)
                }
            })
        }
    }
}

/// How hard a client retries.
#[derive(Debug, Clone, Copy)]
pub enum Retries {
    /// A run: throttling slows it down, it does not end it (adaptive mode, 8 attempts).
    Run,
    /// A connection test: answer soon (3 attempts).
    Check,
}

/// The Kinesis client: `endPointURL`, when set, applies to Kinesis alone.
pub fn kinesis_client(config: &SdkConfig, aws: &AwsCredentials, retries: Retries) -> aws_sdk_kinesis::Client {
    let mut kinesis = aws_sdk_kinesis::config::Builder::from(config);
    if let Retries::Check = retries {
        kinesis = kinesis.retry_config(RetryConfig::standard().with_max_attempts(3));
    }
    if let Some(url) = &aws.end_point_url {
        kinesis = kinesis.endpoint_url(url.clone());
    }
    aws_sdk_kinesis::Client::from_conf(kinesis.build())
}

/// sts:AssumeRole with a source identity (aws-config's AssumeRoleProvider has none), as a
/// credentials provider; the credentials carry their expiry, so the SDK's identity cache
/// refreshes them in time.
#[derive(Debug)]
struct AssumeRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    source_identity: Option<String>,
    /// The last credentials, handed out again while they have more than [`REUSE_MARGIN`] left
    /// (the check at start and the clients' identity cache then share one AssumeRole call).
    last: std::sync::Mutex<Option<Credentials>>,
}

/// Credentials closer than this to their expiry are renewed.
const REUSE_MARGIN: Duration = Duration::from_secs(300);

impl AssumeRole {
    async fn credentials(&self) -> provider::Result {
        let reusable = self
            .last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .filter(|c| c.expiry().is_some_and(|e| e > std::time::SystemTime::now() + REUSE_MARGIN));
        if let Some(c) = reusable {
            return Ok(c);
        }
        let fresh = self.assume().await?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }

    async fn assume(&self) -> provider::Result {
        let answer = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_source_identity(self.source_identity.clone())
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_sts::error::ProvideErrorMetadata;
                let cause = match (e.code(), e.message()) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    (Some(code), None) => code.to_string(),
                    _ => DisplayErrorContext(&e).to_string(),
                };
                let what = if e.code() == Some("AccessDenied") { "access denied on" } else { "failed:" };
                CredentialsError::provider_error(format!("sts:AssumeRole {what} {} ({cause})", self.role_arn))
            })?;
        let c = answer.credentials.ok_or_else(|| {
            CredentialsError::provider_error(format!("sts:AssumeRole for {} returned no credentials", self.role_arn))
        })?;
        let expiry = std::time::SystemTime::try_from(c.expiration).ok();
        Ok(Credentials::new(c.access_key_id, c.secret_access_key, Some(c.session_token), expiry, "AssumeRole"))
    }
}

impl ProvideCredentials for AssumeRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.credentials())
    }
}
