//! The AWS secrets managers that resolve references: Secrets Manager (GetSecretValue) and SSM
//! Parameter Store (GetParameter, decrypted). Behind host-core's `aws-secrets` feature, which a
//! host opts into.

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;

use super::{Reference, Store};
use crate::failure::{self, fail};

/// Each reference's value from `store`, with the credentials `loader` says.
pub(super) fn fetch(store: Store, references: &[Reference], loader: &str) -> failure::Result<Vec<String>> {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => fail!(RunFailed, "cannot start the secrets manager's client: {e}"),
    };
    runtime.block_on(fetch_all(store, references, loader))
}

async fn fetch_all(store: Store, references: &[Reference], loader: &str) -> failure::Result<Vec<String>> {
    let mut config = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if loader == "env" {
        // The environment's keys, region from AWS_DEFAULT_REGION, as OpenMetadata's `env` loader.
        config = config.credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new());
        if let Ok(region) = std::env::var("AWS_DEFAULT_REGION") {
            config = config.region(aws_config::Region::new(region));
        }
    }
    let config = config.load().await;
    // One client for every reference.
    enum Client {
        Secrets(aws_sdk_secretsmanager::Client),
        Parameters(aws_sdk_ssm::Client),
    }
    let client = match store {
        Store::SecretsManager => Client::Secrets(aws_sdk_secretsmanager::Client::new(&config)),
        Store::ParameterStore => Client::Parameters(aws_sdk_ssm::Client::new(&config)),
    };
    let mut values = Vec::with_capacity(references.len());
    for r in references {
        let value = match &client {
            Client::Secrets(client) => client
                .get_secret_value()
                .secret_id(&r.id)
                .send()
                .await
                .map_err(|e| describe(&e))
                .and_then(|out| out.secret_string.ok_or_else(|| "it holds no text (SecretString)".to_string())),
            Client::Parameters(client) => client
                .get_parameter()
                .name(&r.id)
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| describe(&e))
                .and_then(|out| out.parameter.and_then(|p| p.value).ok_or_else(|| "it holds no value".to_string())),
        };
        match value {
            Ok(v) => values.push(v),
            // The reference is named, never a value: the error texts of these calls hold none.
            Err(why) => fail!(
                BadInput,
                "source{}: the secret '{}' could not be read from {}: {why}",
                r.pointer,
                r.id,
                store.name()
            ),
        }
    }
    Ok(values)
}

/// An SDK error in a line: the service's code and message, or the cause.
fn describe<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    e: &aws_sdk_secretsmanager::error::SdkError<E, R>,
) -> String {
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}
