//! A stand-in of the Resource Groups Tagging API's GetResources, which no emulator serves for
//! Kinesis streams (moto's lists none): a [`proxy`](crate::proxy) rule that answers
//! `ResourceGroupsTaggingAPI_20170126.GetResources` calls in its JSON protocol, with the tagged
//! resources given, a page at a time (`PaginationToken`), and forwards every other call to the
//! emulator behind the proxy.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::proxy::{Action, Call, Rule};

/// A tagged resource: its ARN and its tags (key, value).
pub type Tagged = (String, Vec<(String, String)>);

/// The ARN of a Kinesis stream of the test account.
pub fn stream_arn(region: &str, stream: &str) -> String {
    format!("arn:aws:kinesis:{region}:000000000000:stream/{stream}")
}

/// Answers GetResources with `resources`, at most `per_page` a page (and at most what the call
/// asks for), each answer `delay` late; other calls go on to the emulator, `delay` late too.
/// A call that does not filter on `kinesis:stream` is answered with a validation error.
pub fn get_resources(resources: Vec<Tagged>, per_page: usize, delay: Duration) -> Rule {
    Arc::new(move |call: &Call| {
        if call.operation != "GetResources" {
            return Action::Forward { delay };
        }
        let request: Value = serde_json::from_str(&call.body).unwrap_or_default();
        if request["ResourceTypeFilters"] != json!(["kinesis:stream"]) {
            return Action::Fail {
                status: 400,
                code: "InvalidParameterException".into(),
                message: format!("this stand-in serves kinesis:stream only, not {}", request["ResourceTypeFilters"]),
            };
        }
        let asked = request["ResourcesPerPage"].as_u64().map_or(per_page, |n| n as usize);
        let size = per_page.min(asked).max(1);
        let start: usize = request["PaginationToken"].as_str().and_then(|t| t.parse().ok()).unwrap_or(0);
        let page: Vec<Value> = resources
            .iter()
            .skip(start)
            .take(size)
            .map(|(arn, tags)| {
                json!({"ResourceARN": arn,
                    "Tags": tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>()})
            })
            .collect();
        let next = if start + size < resources.len() { (start + size).to_string() } else { String::new() };
        Action::AnswerAfter {
            delay,
            body: json!({"ResourceTagMappingList": page, "PaginationToken": next}).to_string(),
        }
    })
}

/// Answers GetResources with AccessDenied, as for a role without `tag:GetResources`.
pub fn get_resources_denied(delay: Duration) -> Rule {
    Arc::new(move |call: &Call| match call.operation.as_str() {
        "GetResources" => Action::Fail {
            status: 400,
            code: "AccessDeniedException".into(),
            message: "User is not authorized to perform: tag:GetResources".into(),
        },
        _ => Action::Forward { delay },
    })
}
