//! How a tag a source found goes onto OpenMetadata, the same from both hosts: the TagLabel on
//! the entity's request (applied by a tool, for people to confirm), and, when the tag or its
//! classification is missing, the requests that make it (`createClassification.json`,
//! `createTag.json`), marked as made by automation.

use plugin_abi::envelope::TagRef;
use plugin_abi::fqn;
use serde_json::{json, Value};

/// The description of a classification or tag a run makes when the source gives none.
pub const MADE_BY_A_RUN: &str = "Made by an ingestion run.";

/// The TagLabel of a tag a source found.
pub fn tag_label(tag: &TagRef) -> Value {
    json!({"tagFQN": tag.fqn(), "source": "Classification", "labelType": "Automated", "state": "Suggested"})
}

/// The body of `PUT /v1/classifications` that makes the tag's missing classification.
pub fn classification_request(tag: &TagRef) -> Value {
    let description = tag.classification_description.as_deref().unwrap_or(MADE_BY_A_RUN);
    json!({"name": tag.classification, "description": description, "provider": "automation"})
}

/// The body of `PUT /v1/tags` that makes the missing tag in its classification.
pub fn tag_request(tag: &TagRef) -> Value {
    let description = tag.description.as_deref().unwrap_or(MADE_BY_A_RUN);
    json!({"classification": fqn::quote(&tag.classification), "name": tag.name,
        "description": description, "provider": "automation"})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(classification: &str, name: &str) -> TagRef {
        TagRef {
            classification: classification.into(),
            name: name.into(),
            classification_description: None,
            description: None,
        }
    }

    #[test]
    fn a_label_names_the_tag_by_its_quoted_fqn_as_suggested_by_automation() {
        let label = tag_label(&tag("aws.tags", "env"));
        assert_eq!(label["tagFQN"], "\"aws.tags\".env");
        assert_eq!((&label["labelType"], &label["state"]), (&json!("Automated"), &json!("Suggested")));
    }

    #[test]
    fn requests_that_make_a_tag_carry_the_sources_descriptions_or_say_a_run_made_them() {
        let mut t = tag("aws.tags", "env");
        assert_eq!(classification_request(&t)["description"], MADE_BY_A_RUN);
        assert_eq!(tag_request(&t)["classification"], "\"aws.tags\"");
        t.description = Some("the environment".into());
        assert_eq!(tag_request(&t)["description"], "the environment");
    }
}
