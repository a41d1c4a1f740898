//! What the plugin reads of an account: each integration that reads or writes a Kinesis
//! stream, in the plugin's own terms (so that turning it into requests is tested without AWS),
//! listed kind by kind from AWS's own configuration (never guessed from names).

mod consumers;
mod iot;
mod lambda;
mod pipes;
mod rules;

use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use plugin_abi::PluginError;
use plugin_aws::budget::Api as _;
use plugin_sdk::pipeline::Task;

use crate::aws::Account;
use crate::budget::Api;
use crate::config::Kind;

/// Pages a listing may take before it is judged to be going round in circles.
const MAX_PAGES: u32 = 100_000;

/// Items asked for in a page: the most these listings take (ListPipes, ListRules,
/// ListEventBuses, ListTargetsByRule, ListEventSourceMappings and ListStreams stop at 100), so
/// that an account costs as few calls as it can (IoT's ListTopicRules has its own).
const PAGE_SIZE: i32 = 100;

/// One integration: a pipeline in OpenMetadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    pub kind: Kind,
    /// The pipeline's name, its kind first so that a function and a pipe of the same name do
    /// not collide: `lambda:orders-handler`, `pipe:orders-to-audit`, `rule:default/orders`,
    /// `iot:telemetry`, `consumer:orders/analytics`.
    pub name: String,
    pub arn: String,
    pub description: String,
    pub active: bool,
    pub created: Option<String>,
    pub console_url: String,
    pub tasks: Vec<Task>,
    /// The streams it reads (topic → pipeline).
    pub reads: Vec<String>,
    /// The streams it writes (pipeline → topic).
    pub writes: Vec<String>,
}

/// The integrations of one kind, and what AWS answered that could not become one (for the
/// run's warnings).
#[derive(Debug, Default)]
pub struct Listed {
    pub integrations: Vec<Integration>,
    pub warnings: Vec<String>,
}

impl From<Vec<Integration>> for Listed {
    fn from(integrations: Vec<Integration>) -> Self {
        Listed { integrations, warnings: Vec::new() }
    }
}

/// The integrations of one kind, every page read; an error when any call fails (the listing of
/// that kind is then incomplete, and nothing is deleted).
pub async fn list(account: &Account, kind: Kind) -> Result<Listed, PluginError> {
    Ok(match kind {
        Kind::Lambda => lambda::list(account).await?,
        Kind::Pipes => pipes::list(account).await?.into(),
        Kind::EventBridgeRules => rules::list(account).await?.into(),
        Kind::IotRules => iot::list(account).await?.into(),
        Kind::FanOutConsumers => consumers::list(account).await?.into(),
    })
}

/// Every page of `api`'s listing: `send(token)` is one call (the SDK's `send()`, metered under
/// the run's budget) and `read` takes its items and next token out of its answer.
async fn pages<T, O, E, R, S, Fut>(
    account: &Account,
    api: Api,
    mut send: S,
    read: impl Fn(&O) -> (Vec<T>, Option<String>),
) -> Result<Vec<T>, PluginError>
where
    S: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<O, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let read = &read;
    follow(api, |token| {
        let request = send(token);
        async move { Ok(read(&account.metered.call(api, request).await?)) }
    })
    .await
}

/// Follows a listing's page tokens: `page(token)` is one call, answering its items and the
/// next token. A page that repeats its token, or more than [`MAX_PAGES`] of them, ends the
/// listing with an error rather than a loop.
async fn follow<T, F, Fut>(operation: Api, mut page: F) -> Result<Vec<T>, PluginError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), PluginError>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let (mut page_items, next) = page(token.clone()).await?;
        items.append(&mut page_items);
        match next.filter(|t| !t.is_empty()) {
            None => return Ok(items),
            Some(next) if Some(&next) == token.as_ref() => {
                return Err(PluginError::new(
                    plugin_abi::ErrorKind::Connection,
                    format!("{} answered the same page token twice; the listing cannot be followed", operation.name()),
                ))
            }
            Some(next) => token = Some(next),
        }
    }
    Err(PluginError::new(
        plugin_abi::ErrorKind::Connection,
        format!("{} went on for more than {MAX_PAGES} pages", operation.name()),
    ))
}

/// `a`, `b` as `` `a`, `b` ``, for descriptions.
fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// A `DateTime` as RFC 3339.
fn rfc3339(t: &aws_smithy_types::DateTime) -> Option<String> {
    t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()
}

/// The last part of an ARN's resource, after `kind` (`arn:…:function:NAME:qualifier`,
/// `kind` `function:` → `NAME`).
fn named<'a>(arn: &'a str, kind: &str) -> &'a str {
    let resource = plugin_aws::arn::resource(arn, kind);
    resource.split([':', '/']).next().unwrap_or(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_is_named_without_its_qualifier() {
        assert_eq!(
            named("arn:aws:lambda:us-east-1:123456789012:function:orders-handler:live", "function:"),
            "orders-handler"
        );
        assert_eq!(
            named("arn:aws:lambda:us-east-1:123456789012:function:orders-handler", "function:"),
            "orders-handler"
        );
    }

    #[tokio::test]
    async fn page_tokens_are_followed_to_the_end_and_a_repeated_token_is_an_error() {
        let listed = follow(Api::ListRules, |token| async move {
            Ok(match token.as_deref() {
                None => (vec![1, 2], Some("a".to_string())),
                Some("a") => (vec![3], Some(String::new())),
                _ => unreachable!(),
            })
        })
        .await
        .unwrap();
        assert_eq!(listed, [1, 2, 3]);
        let stuck = follow(Api::ListRules, |_| async { Ok((vec![1], Some("same".to_string()))) }).await.unwrap_err();
        assert!(stuck.message.contains("ListRules answered the same page token twice"), "{}", stuck.message);
    }
}
