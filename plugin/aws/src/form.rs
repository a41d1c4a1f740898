//! The `awsConfig` part of every AWS connector's config form ([`plugin_sdk::form`]), and what
//! its fields expect in words, shared with the config check's messages.

use plugin_sdk::form::{Field, Form};

use crate::credentials::AWS_CONFIG_PATH;

/// What `awsRegion` expects, in words (the config check's message and the form's).
pub const REGION: &str = "an AWS region such as eu-west-1";
/// What `assumeRoleArn` expects.
pub const ROLE_ARN: &str = "an IAM role ARN such as arn:aws:iam::123456789012:role/OpenMetadataReader";
/// What `endPointURL` expects.
pub const ENDPOINT: &str = "an http(s) URL such as http://localhost:4566";

/// The `awsConfig` part of a connector's config form: the region and the credentials first,
/// then the rest (profile, endpoint, source identity) in declaration order.
pub const FORM: Form = Form {
    first: &[(
        AWS_CONFIG_PATH,
        &[
            "awsRegion",
            "awsAccessKeyId",
            "awsSecretAccessKey",
            "awsSessionToken",
            "assumeRoleArn",
            "assumeRoleSessionName",
        ],
    )],
    fields: &[
        Field { path: "/serviceConnection/config/awsConfig/awsRegion", expects: REGION, example: Some("eu-west-1") },
        Field {
            path: "/serviceConnection/config/awsConfig/assumeRoleArn",
            expects: ROLE_ARN,
            example: Some("arn:aws:iam::123456789012:role/OpenMetadataReader"),
        },
        Field { path: "/serviceConnection/config/awsConfig/endPointURL", expects: ENDPOINT, example: None },
    ],
};
