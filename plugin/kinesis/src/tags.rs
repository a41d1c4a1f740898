//! Stream tags, as labels of their topics: an AWS tag key becomes a classification, its value
//! a tag in it, and the owner tag names the topic's owner.
//!
//! Where they are read from is decided once per run: the Resource Groups Tagging API answers
//! for 100 streams a call (`tag:GetResources`); where it is not permitted (or the endpoint
//! does not serve it), each stream is asked with ListTagsForStream, which AWS limits to 5
//! calls/s per account.

use std::collections::HashMap;

use plugin_abi::envelope::{Labels, TagRef};

/// A stream's tags, as AWS holds them: key and value.
pub type Tags = Vec<(String, String)>;

/// Where a run's stream tags come from.
#[derive(Debug, Clone)]
pub enum TagSource {
    /// Every tagged stream of the account and region, by stream name, read with GetResources
    /// before the first topic needed them. A stream absent here has no tags.
    Account(HashMap<String, Tags>),
    /// One ListTagsForStream call per stream, since GetResources could not be used (why).
    PerStream(String),
}

/// Whether a GetResources failure means the API is not open to this run (a missing
/// permission, an endpoint that does not serve it), so that ListTagsForStream is used instead.
/// Anything else (throttling beyond retries, an unreachable endpoint) is a failure.
pub fn falls_back(code: &str) -> bool {
    matches!(
        code,
        "AccessDeniedException"
            | "AccessDenied"
            | "UnauthorizedOperation"
            | "UnknownOperationException"
            | "UnknownOperation"
            | "InvalidAction"
            | "NotFound"
            | "NotFoundException"
    )
}

/// The labels of a topic from its stream's tags: each tag (but the owner's) as a tag of the
/// classification named by its key; the owner tag's value as a candidate owner. A tag with an
/// empty value has no tag to be, and is left out.
pub fn labels(tags: &Tags, owner_key: &str) -> Labels {
    let mut labels = Labels::default();
    for (key, value) in tags {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if key.eq_ignore_ascii_case(owner_key) {
            labels.owners.push(value.to_string());
            continue;
        }
        labels.tags.push(TagRef {
            classification: key.clone(),
            name: value.to_string(),
            classification_description: Some(format!("The AWS tag key `{key}` of Kinesis streams.")),
            description: Some(format!("Kinesis streams tagged `{key}` = `{value}` in AWS.")),
        });
    }
    labels.tags.sort();
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn tags_become_labels_and_the_owner_tag_an_owner() {
        let l = labels(&tags(&[("team", "payments"), ("Owner", " alice "), ("env", "prod"), ("empty", "")]), "owner");
        assert_eq!(l.owners, vec!["alice"]);
        let names: Vec<String> = l.tags.iter().map(TagRef::fqn).collect();
        assert_eq!(names, vec!["env.prod", "team.payments"]);
        assert!(l.tags[0].classification_description.as_deref().unwrap().contains("`env`"));
    }

    #[test]
    fn dotted_keys_and_values_are_quoted_in_the_tag_fqn() {
        let l = labels(&tags(&[("cost.center", "4.2")]), "owner");
        assert_eq!(l.tags[0].fqn(), "\"cost.center\".\"4.2\"");
    }

    #[test]
    fn only_a_refusal_or_an_unserved_api_falls_back() {
        assert!(falls_back("AccessDeniedException"));
        assert!(falls_back("UnknownOperationException"));
        assert!(!falls_back("ThrottlingException"));
        assert!(!falls_back("InternalServiceException"));
    }
}
