//! AWS credentials as OpenMetadata's connectors take them (the `awsConfig` of a connection),
//! checked without connecting, and turned into one SDK config per run.
//!
//! Credentials, as OpenMetadata's AWS connectors take them:
//! - `enabled: true` (IAM auth): the default provider chain (environment, web identity,
//!   container and instance metadata), whatever else is set;
//! - else `awsAccessKeyId` + `awsSecretAccessKey` (+ `awsSessionToken`): static keys;
//! - else `profileName`: that profile of the shared config and credentials files (a profile
//!   that assumes a role included);
//! - else the default provider chain.
//!
//! `assumeRoleArn` then assumes that role on top of them, through STS (never the service's
//! endpoint), with `assumeRoleSessionName` and `assumeRoleSourceIdentity`. Credentials are
//! resolved once at start and reused until shortly before they expire, then renewed
//! ([`provider`]: how they become the SDK's config).

mod provider;

pub use provider::{credential_source, endpoint_name, sdk_config};

use std::borrow::Cow;
use std::fmt;

use plugin_abi::PluginError;
use plugin_sdk::config::some_false;

use crate::form::{REGION, ROLE_ARN};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

/// The names of `awsConfig`'s fields that hold secrets: an error about one never quotes it.
pub const SECRET_FIELDS: &[&str] = &["awsSecretAccessKey", "awsSessionToken"];

/// Where `awsConfig` sits in a workflow's `source`, for the paths errors name.
pub const AWS_CONFIG_PATH: &str = "/serviceConnection/config/awsConfig";

/// OpenMetadata's `AWSCredentials`, its fields in OpenMetadata's order. The rules the plugins
/// enforce ([`AwsCredentials::problems`]) are in the schema too, so that a form refuses what a
/// run would: a region, not an availability zone; both halves of a key pair; an http(s)
/// endpoint; an IAM role ARN; a session name of 2 to 64 characters.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "AWSCredentials",
    description = "AWS credentials configs.",
    extend("dependencies" = {"awsAccessKeyId": ["awsSecretAccessKey"], "awsSecretAccessKey": ["awsAccessKeyId"]})
)]
pub struct AwsCredentials {
    /// AWS Access key ID. Set together with the secret access key.
    #[serde(default)]
    #[schemars(title = "AWS Access Key ID")]
    pub aws_access_key_id: Option<String>,
    /// AWS Secret Access Key. Set together with the access key ID.
    #[serde(default)]
    #[schemars(title = "AWS Secret Access Key")]
    pub aws_secret_access_key: Option<Secret>,
    /// AWS Region, e.g. `eu-west-1` (a region, not an availability zone such as `eu-west-1a`).
    #[schemars(title = "AWS Region", regex(pattern = REGION_PATTERN))]
    pub aws_region: String,
    /// AWS Session Token, for temporary credentials.
    #[serde(default)]
    #[schemars(title = "AWS Session Token")]
    pub aws_session_token: Option<Secret>,
    /// EndPoint URL for the AWS service: an http(s) URL, e.g. `https://kinesis.eu-west-1.amazonaws.com`
    /// or an emulator's.
    #[serde(default, rename = "endPointURL")]
    #[schemars(title = "Endpoint URL", extend("format" = "uri"), regex(pattern = ENDPOINT_PATTERN))]
    pub end_point_url: Option<String>,
    /// The name of a profile to use with the boto session.
    #[serde(default)]
    #[schemars(title = "Profile Name")]
    pub profile_name: Option<String>,
    /// The Amazon Resource Name (ARN) of the role to assume, e.g.
    /// `arn:aws:iam::123456789012:role/OpenMetadataReader`. Required Field in case of Assume Role
    #[serde(default)]
    #[schemars(title = "Role Arn for Assume Role", regex(pattern = ROLE_ARN_PATTERN))]
    pub assume_role_arn: Option<String>,
    /// An identifier for the assumed role session (2 to 64 characters). Use the role session
    /// name to uniquely identify a session when the same role is assumed by different
    /// principals or for different reasons. Required Field in case of Assume Role
    #[serde(default = "default_session_name")]
    #[schemars(title = "Role Session Name for Assume Role", length(min = 2, max = 64))]
    pub assume_role_session_name: Option<String>,
    /// The source identity to set on the assumed role's session: who is behind the session
    /// (a user name, say), recorded by AWS CloudTrail. Optional Field in case of Assume Role
    #[serde(default)]
    #[schemars(title = "Source Identity for Assume Role")]
    pub assume_role_source_identity: Option<String>,
    /// Enable AWS IAM authentication. When enabled, uses the default credential provider chain
    /// (environment variables, instance profile, etc.). Defaults to false for backward
    /// compatibility.
    #[serde(default = "some_false")]
    #[schemars(title = "Enable IAM Auth")]
    pub enabled: Option<bool>,
}

/// A region (`eu-west-1`, `us-gov-west-1`): what [`is_region`] accepts.
const REGION_PATTERN: &str = "^[a-z]{2}(-[a-z]+)+-[0-9]+$";
/// An http(s) URL with a host: what [`AwsCredentials::problems`] accepts as `endPointURL`.
const ENDPOINT_PATTERN: &str = r"^https?://[^/\s]";
/// An IAM role ARN, or nothing: what [`AwsCredentials::problems`] accepts as `assumeRoleArn`.
const ROLE_ARN_PATTERN: &str = "^(arn:[^:]*:iam:[^:]*:[^:]*:role/.*)?$";

// Written by hand so that no secret ever reaches a log line through `{:?}`.
impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("enabled", &self.enabled)
            .field("aws_access_key_id", &self.aws_access_key_id)
            .field("aws_secret_access_key", &self.aws_secret_access_key)
            .field("aws_region", &self.aws_region)
            .field("aws_session_token", &self.aws_session_token)
            .field("end_point_url", &self.end_point_url)
            .field("profile_name", &self.profile_name)
            .field("assume_role_arn", &self.assume_role_arn)
            .field("assume_role_session_name", &self.assume_role_session_name)
            .field("assume_role_source_identity", &self.assume_role_source_identity)
            .finish()
    }
}

impl AwsCredentials {
    /// The checks a schema cannot express, without connecting: a region and not an
    /// availability zone, both halves of a key pair, an http(s) endpoint, a role ARN. The first
    /// problem found.
    pub fn check(&self) -> Result<(), PluginError> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }

    /// Every problem [`AwsCredentials::check`] finds, not only the first.
    pub fn problems(&self) -> Vec<PluginError> {
        let aws = self;
        let mut problems = Vec::new();
        let at = |field: &str| format!("{AWS_CONFIG_PATH}/{field}");
        if !is_region(&aws.aws_region) {
            let hint = if aws.aws_region.trim_end_matches(|c: char| c.is_ascii_lowercase()) != aws.aws_region
                && is_region(aws.aws_region.trim_end_matches(|c: char| c.is_ascii_lowercase()))
            {
                " (that is an availability zone; the region is the name without the last letter)"
            } else {
                ""
            };
            problems.push(PluginError::config(at("awsRegion"), format!("'{}' is not {REGION}{hint}", aws.aws_region)));
        }
        match (&aws.aws_access_key_id, &aws.aws_secret_access_key) {
            (Some(_), None) => problems.push(PluginError::config(
                at("awsSecretAccessKey"),
                "awsAccessKeyId is set but awsSecretAccessKey is not",
            )),
            (None, Some(_)) => problems
                .push(PluginError::config(at("awsAccessKeyId"), "awsSecretAccessKey is set but awsAccessKeyId is not")),
            _ => {}
        }
        if let Some(url) = &aws.end_point_url {
            let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
            if !host.and_then(|h| h.chars().next()).is_some_and(|c| c != '/' && !c.is_whitespace()) {
                problems.push(PluginError::config(at("endPointURL"), format!("'{url}' is not an http(s) URL")));
            }
        }
        if let Some(arn) = aws.assume_role_arn.as_deref().filter(|a| !a.is_empty()) {
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" || !parts[5].starts_with("role/") {
                problems.push(PluginError::config(at("assumeRoleArn"), format!("'{arn}' is not {ROLE_ARN}")));
            }
        }
        if aws.assume_role_session_name.as_deref().is_some_and(|n| n.chars().count() < 2 || n.chars().count() > 64) {
            problems.push(PluginError::config(at("assumeRoleSessionName"), "must be 2 to 64 characters long"));
        }
        problems
    }

    /// Every secret value, for scrubbing what the plugin emits.
    pub fn secrets(&self) -> Vec<String> {
        [&self.aws_secret_access_key, &self.aws_session_token]
            .into_iter()
            .flatten()
            .map(|s| s.expose().to_string())
            .collect()
    }
}

fn default_session_name() -> Option<String> {
    Some("OpenMetadataSession".to_string())
}

/// A secret string: shown as `***` in Debug output, marked `format: password` / `writeOnly` in
/// the schema so forms mask it and hosts redact it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

impl JsonSchema for Secret {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "string", "format": "password", "writeOnly": true})
    }
}

/// `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `eu-isoe-west-1`: a partition prefix, words,
/// and a number. An availability zone (`us-east-1a`) or a name without the number is not.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && !parts[parts.len() - 1].is_empty()
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(extra: serde_json::Value) -> AwsCredentials {
        let mut v = serde_json::json!({"awsRegion": "eu-west-1"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    fn refused(extra: serde_json::Value) -> (String, String) {
        let e = aws(extra).check().unwrap_err();
        (e.field.unwrap().to_string(), e.message.to_string())
    }

    #[test]
    fn the_checks_name_the_field_and_never_quote_a_secret() {
        assert!(aws(serde_json::json!({})).check().is_ok());
        let (field, message) = refused(serde_json::json!({"awsRegion": "us-east-1a"}));
        assert_eq!(field, "/serviceConnection/config/awsConfig/awsRegion");
        assert!(message.contains("availability zone"), "{message}");
        let (field, message) = refused(serde_json::json!({"awsSecretAccessKey": "canary-secret"}));
        assert_eq!(field, "/serviceConnection/config/awsConfig/awsAccessKeyId");
        assert!(!message.contains("canary"), "{message}");
        let (field, _) = refused(serde_json::json!({"endPointURL": "ftp://x"}));
        assert_eq!(field, "/serviceConnection/config/awsConfig/endPointURL");
        let (field, _) = refused(serde_json::json!({"assumeRoleArn": "arn:aws:iam::1:user/u"}));
        assert_eq!(field, "/serviceConnection/config/awsConfig/assumeRoleArn");
        let all = aws(serde_json::json!({"awsRegion": "eu-west", "endPointURL": "ftp://x", "awsAccessKeyId": "A"}))
            .problems();
        let fields: Vec<String> = all.iter().map(|e| e.field.as_ref().unwrap().to_string()).collect();
        assert_eq!(fields.len(), 3, "{fields:?}");
        let a = aws(serde_json::json!({"awsAccessKeyId": "AKIA", "awsSecretAccessKey": "s3", "awsSessionToken": "t"}));
        assert_eq!(a.secrets(), vec!["s3", "t"]);
        assert!(!format!("{a:?}").contains("s3"));
    }
}
