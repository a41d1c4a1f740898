//! An entity's labels as a source names them, onto OpenMetadata, the same from both hosts: a
//! tag's TagLabel on the entity's request (applied by a tool, for people to confirm) and, when
//! the tag or its classification is missing, the requests that make it
//! (`createClassification.json`, `createTag.json`, marked as made by automation); and the owner
//! policy ([`choose_owner`]). The hosts do the look-ups, each with its own client.

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

/// The kinds of entity an owner may be, in the order a name is looked up. Owners are never
/// created.
pub const OWNER_TYPES: [&str; 2] = ["user", "team"];

/// What a run does about an entity's owner.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnerChoice {
    /// The entity has owners: people may have chosen them, so they stay.
    Kept,
    /// The reference of the first name that is a user or a team, to set.
    Set(Value),
    /// None of the names is a user or a team: nothing is set, and this says so.
    NotFound(String),
    /// A look-up failed: the owner is left as it is, and this says why.
    Failed(String),
}

/// The owner of the entity `fqn`, whose source names `names`: none is set where the entity has
/// owners (`has_owners`); else the first name `find` knows (a user, else a team, as an owner
/// reference `{"id", "type"}`, looked up the host's way).
pub fn choose_owner<E: std::fmt::Display>(
    fqn: &str,
    names: &[String],
    has_owners: bool,
    mut find: impl FnMut(&str) -> Result<Option<Value>, E>,
) -> OwnerChoice {
    if has_owners {
        return OwnerChoice::Kept;
    }
    for name in names {
        match find(name) {
            Ok(Some(reference)) => return OwnerChoice::Set(reference),
            Ok(None) => {}
            Err(e) => return OwnerChoice::Failed(format!("the owner '{name}' of {fqn} could not be looked up: {e}")),
        }
    }
    let names: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    OwnerChoice::NotFound(format!(
        "the owner {} of {fqn} is neither a user nor a team in OpenMetadata; not set (owners are never created)",
        names.join(" or ")
    ))
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

    #[test]
    fn an_owner_is_set_only_where_there_is_none_and_is_the_first_name_found() {
        let names = vec!["nobody".to_string(), "payments".to_string()];
        let find = |n: &str| -> Result<Option<Value>, String> {
            Ok((n == "payments").then(|| json!({"id": "t1", "type": "team"})))
        };
        assert_eq!(choose_owner("svc.t", &names, true, find), OwnerChoice::Kept);
        assert_eq!(choose_owner("svc.t", &names, false, find), OwnerChoice::Set(json!({"id": "t1", "type": "team"})));
        let none = |_: &str| -> Result<Option<Value>, String> { Ok(None) };
        let OwnerChoice::NotFound(why) = choose_owner("svc.t", &names, false, none) else { panic!() };
        assert!(why.contains("'nobody' or 'payments' of svc.t is neither a user nor a team"), "{why}");
        let failing = |_: &str| -> Result<Option<Value>, String> { Err("503".into()) };
        let OwnerChoice::Failed(why) = choose_owner("svc.t", &names, false, failing) else { panic!() };
        assert!(why.contains("'nobody' of svc.t could not be looked up: 503"), "{why}");
    }
}
