//! How `awsConfig` becomes the SDK config of a run: where the base credentials come from, the
//! role assumed on top of them, credentials reused until shortly before they expire.

use std::time::Duration;

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use plugin_abi::{ErrorKind, PluginError};

use super::{AwsCredentials, AWS_CONFIG_PATH};

/// Where the base credentials come from, in OpenMetadata's order of precedence.
enum Source<'a> {
    /// `enabled: true`: the default chain, whatever else is set.
    IamAuth,
    /// `awsAccessKeyId` + `awsSecretAccessKey`.
    StaticKeys { key: &'a str, secret: &'a str, token: Option<&'a str> },
    /// `profileName`.
    Profile(&'a str),
    /// Nothing set: the default chain.
    DefaultChain,
}

impl<'a> Source<'a> {
    fn of(aws: &'a AwsCredentials) -> Self {
        if aws.enabled == Some(true) {
            return Source::IamAuth;
        }
        if let (Some(key), Some(secret)) = (&aws.aws_access_key_id, &aws.aws_secret_access_key) {
            return Source::StaticKeys {
                key,
                secret: secret.expose(),
                token: aws.aws_session_token.as_ref().map(|t| t.expose()),
            };
        }
        match aws.profile_name.as_deref().filter(|p| !p.is_empty()) {
            Some(profile) => Source::Profile(profile),
            None => Source::DefaultChain,
        }
    }

    /// For messages: never a secret.
    fn describe(&self) -> String {
        match self {
            Source::IamAuth => "the default AWS credential chain (IAM auth enabled)".into(),
            Source::StaticKeys { token: Some(_), .. } => "static keys with a session token".into(),
            Source::StaticKeys { token: None, .. } => "static keys".into(),
            Source::Profile(p) => format!("profile '{p}'"),
            Source::DefaultChain => "the default AWS credential chain".into(),
        }
    }
}

/// How credentials are found, for messages.
pub fn credential_source(aws: &AwsCredentials) -> String {
    let base = Source::of(aws).describe();
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
        // Standard: a throttled call backs off and is tried again. The run as a whole slows down
        // through its budget (see `ThrottleFeedback`): the SDK's adaptive mode would hold every
        // call at 0.5 per second for minutes after a handful of throttling answers.
        .retry_config(RetryConfig::standard().with_max_attempts(8))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        );
    match Source::of(aws) {
        Source::StaticKeys { key, secret, token } => {
            loader = loader.credentials_provider(Credentials::new(
                key,
                secret,
                token.map(str::to_string),
                None,
                "workflow-config",
            ));
        }
        Source::Profile(profile) => loader = loader.profile_name(profile),
        Source::IamAuth | Source::DefaultChain => {}
    }
    let config = loader.load().await;
    let mut provider = config
        .credentials_provider()
        .ok_or_else(|| PluginError::new(ErrorKind::Auth, "no AWS credentials are configured"))?;
    if let Some(arn) = assume_role_arn(aws) {
        provider = SharedCredentialsProvider::new(AssumeRole {
            // Built from the base config: its credentials, and STS's own endpoint (or
            // AWS_ENDPOINT_URL_STS), never endPointURL, which is Kinesis's.
            sts: aws_sdk_sts::Client::new(&config),
            role_arn: arn.to_string(),
            session_name: aws.assume_role_session_name.clone().unwrap_or_else(|| "OpenMetadataSession".into()),
            source_identity: aws.assume_role_source_identity.clone().filter(|s| !s.is_empty()),
        });
    }
    // The check below and the clients then share one resolution (one AssumeRole call).
    let provider = SharedCredentialsProvider::new(ReuseUntilExpiry { inner: provider, last: Default::default() });
    check_credentials(&provider, aws).await?;
    Ok(config.into_builder().credentials_provider(provider).build())
}

/// Resolves the credentials once; an error names the source and the cause, never a secret.
async fn check_credentials(provider: &SharedCredentialsProvider, aws: &AwsCredentials) -> Result<(), PluginError> {
    let Err(e) = provider.provide_credentials().await else { return Ok(()) };
    let detail = match &e {
        // Our AssumeRole errors are already in user terms.
        CredentialsError::ProviderError(_) if assume_role_arn(aws).is_some() => {
            std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_else(|| e.to_string())
        }
        _ => crate::errors::error_chain(&e),
    };
    let message = format!("cannot get AWS credentials from {}: {detail}", credential_source(aws));
    let field = match (assume_role_arn(aws), Source::of(aws)) {
        (Some(_), _) => "assumeRoleArn",
        (None, Source::Profile(_)) => "profileName",
        _ => return Err(PluginError::new(ErrorKind::Auth, message)),
    };
    Err(PluginError::config(format!("{AWS_CONFIG_PATH}/{field}"), message).with_kind(ErrorKind::Auth))
}

/// Credentials closer than this to their expiry are renewed.
const REUSE_MARGIN: Duration = Duration::from_secs(300);

/// Hands out the last credentials again while they have more than [`REUSE_MARGIN`] left (those
/// without an expiry, for the whole run), so that the check at start and every client share one
/// resolution; the SDK's identity cache then asks again near expiry, and gets fresh ones.
#[derive(Debug)]
struct ReuseUntilExpiry {
    inner: SharedCredentialsProvider,
    last: std::sync::Mutex<Option<Credentials>>,
}

impl ReuseUntilExpiry {
    async fn credentials(&self) -> provider::Result {
        let reusable = self
            .last
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .filter(|c| c.expiry().is_none_or(|e| e > std::time::SystemTime::now() + REUSE_MARGIN));
        if let Some(c) = reusable {
            return Ok(c);
        }
        let fresh = self.inner.provide_credentials().await?;
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(fresh.clone());
        Ok(fresh)
    }
}

impl ProvideCredentials for ReuseUntilExpiry {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.credentials())
    }
}

/// Where the service is, for messages: `endPointURL`, else AWS's endpoint of the region.
pub fn endpoint_name(aws: &AwsCredentials) -> String {
    match &aws.end_point_url {
        Some(url) => url.clone(),
        None => format!("AWS in {}", aws.aws_region),
    }
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
}

impl AssumeRole {
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
        provider::future::ProvideCredentials::new(self.assume())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::SystemTime;

    /// Hands out credentials that expire `lifetime` after they are made, counting calls.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicU32>,
        lifetime: Option<Duration>,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            let expiry = self.lifetime.map(|l| SystemTime::now() + l);
            provider::future::ProvideCredentials::ready(Ok(Credentials::new(
                format!("AKIA{n}"),
                "s",
                None,
                expiry,
                "test",
            )))
        }
    }

    fn reusing(lifetime: Option<Duration>) -> (ReuseUntilExpiry, Arc<AtomicU32>) {
        let calls = Arc::new(AtomicU32::new(0));
        let inner = SharedCredentialsProvider::new(Counting { calls: calls.clone(), lifetime });
        (ReuseUntilExpiry { inner, last: Default::default() }, calls)
    }

    #[tokio::test]
    async fn credentials_are_reused_while_they_last_and_renewed_near_expiry() {
        let (long, calls) = reusing(Some(Duration::from_secs(3600)));
        for _ in 0..3 {
            assert_eq!(long.credentials().await.unwrap().access_key_id(), "AKIA0");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // Within the margin of their expiry (an hour-long run's role credentials): renewed.
        let (short, calls) = reusing(Some(REUSE_MARGIN - Duration::from_secs(1)));
        assert_eq!(short.credentials().await.unwrap().access_key_id(), "AKIA0");
        assert_eq!(short.credentials().await.unwrap().access_key_id(), "AKIA1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        let (forever, calls) = reusing(None);
        forever.credentials().await.unwrap();
        forever.credentials().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
