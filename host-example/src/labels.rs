//! Tags and owners of entities, from a plugin's `labels` records: each tag made sure to exist
//! (its classification and itself created when missing, never changed when present), each
//! owner looked up by name among users, then teams (never created). What exists in
//! OpenMetadata is read once per run.

use std::collections::{HashMap, HashSet};
use std::fmt;

use host_core::labels::OwnerChoice;
use plugin_abi::envelope::{Labels, TagRef};
use serde_json::{json, Value};

use crate::endpoints::{self, Entity};
use crate::openmetadata::{encode, CallError, Client};
use crate::requests::{self, Request};

/// What became of one entity's labels: the TagLabels and owners to put on its request.
#[derive(Debug, Default)]
pub struct Labelled {
    pub tags: Vec<Value>,
    /// EntityReferences (`id`, `type`); empty to leave the entity's owners as they are.
    pub owners: Vec<Value>,
    pub warnings: Vec<String>,
}

impl Labelled {
    /// Puts the labels on an entity's create request. A PUT merges its tags with those the
    /// entity has (people's are kept) and leaves its owners be when it names none.
    pub fn apply(&self, body: &mut Value) {
        if !self.tags.is_empty() {
            let tags = body.as_object_mut().map(|b| b.entry("tags").or_insert_with(|| json!([])));
            if let Some(Value::Array(tags)) = tags {
                for label in &self.tags {
                    if !tags.iter().any(|t| t.get("tagFQN") == label.get("tagFQN")) {
                        tags.push(label.clone());
                    }
                }
            }
        }
        if !self.owners.is_empty() {
            body["owners"] = Value::Array(self.owners.clone());
        }
    }
}

/// What a run did with labels, for the summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LabelCounts {
    /// Entities that came with labels.
    pub entities: u64,
    pub tags_attached: u64,
    pub classifications_created: u64,
    pub tags_created: u64,
    pub owners_set: u64,
    /// Entities that have an owner already: theirs is kept.
    pub owners_kept: u64,
    /// Owners named that are neither a user nor a team (or that a file cannot look up).
    pub owners_not_found: u64,
}

impl LabelCounts {
    pub fn to_json(&self) -> Value {
        json!({
            "entities": self.entities,
            "tagsAttached": self.tags_attached,
            "classificationsCreated": self.classifications_created,
            "tagsCreated": self.tags_created,
            "ownersSet": self.owners_set,
            "ownersKept": self.owners_kept,
            "ownersNotFound": self.owners_not_found,
        })
    }
}

impl fmt::Display for LabelCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} entities labelled: {} tags attached ({} classifications and {} tags created); owners {} set, {} kept, {} not found",
            self.entities,
            self.tags_attached,
            self.classifications_created,
            self.tags_created,
            self.owners_set,
            self.owners_kept,
            self.owners_not_found
        )
    }
}

/// The classifications and tags known to exist, so that each is read (or made) once a run.
#[derive(Debug, Default)]
pub struct KnownTags {
    classifications: HashSet<String>,
    tags: HashSet<String>,
}

impl KnownTags {
    /// The requests that make `tag` exist, for a file: the first time a run names each
    /// classification and tag.
    pub fn first_mentions(&mut self, tag: &TagRef, counts: &mut LabelCounts) -> Vec<Request> {
        let mut requests = Vec::new();
        if self.classifications.insert(tag.classification.clone()) {
            counts.classifications_created += 1;
            requests.push(requests::put_classification(tag));
        }
        if self.tags.insert(tag.fqn()) {
            counts.tags_created += 1;
            requests.push(requests::put_tag(tag));
        }
        requests
    }

    /// Makes sure `tag` exists on the server: reads its classification and itself, creating
    /// what is missing.
    pub fn ensure(&mut self, client: &Client, tag: &TagRef, counts: &mut LabelCounts) -> Result<(), CallError> {
        // A classification made just now has no tags: its tag is not looked for.
        let mut new_classification = false;
        if !self.classifications.contains(&tag.classification) {
            let path =
                format!("{}/name/{}", endpoints::CLASSIFICATIONS, encode(&plugin_abi::fqn::quote(&tag.classification)));
            if !exists(client, &path)? {
                client.send(&requests::put_classification(tag))?;
                counts.classifications_created += 1;
                new_classification = true;
            }
            self.classifications.insert(tag.classification.clone());
        }
        let fqn = tag.fqn();
        if !self.tags.contains(&fqn) {
            if new_classification || !exists(client, &format!("{}/name/{}", endpoints::TAGS, encode(&fqn)))? {
                client.send(&requests::put_tag(tag))?;
                counts.tags_created += 1;
            }
            self.tags.insert(fqn);
        }
        Ok(())
    }
}

/// Owners found by name (or not: `None`), so that each is looked up once a run.
#[derive(Debug, Default)]
pub struct KnownOwners {
    by_name: HashMap<String, Option<Value>>,
}

impl KnownOwners {
    /// The reference of the first user, else team, named `name`.
    pub fn find(&mut self, client: &Client, name: &str) -> Result<Option<Value>, CallError> {
        if let Some(known) = self.by_name.get(name) {
            return Ok(known.clone());
        }
        let mut found = None;
        for entity_type in host_core::labels::OWNER_TYPES {
            let collection = endpoints::owner_collection(entity_type);
            match client.call("GET", &format!("{collection}/name/{}", encode(name)), None) {
                Ok(answer) => {
                    if let Some(id) = answer.body.get("id").and_then(Value::as_str) {
                        found = Some(json!({"id": id, "type": entity_type}));
                        break;
                    }
                }
                Err(e) if e.status() == Some(404) => {}
                Err(e) => return Err(e),
            }
        }
        self.by_name.insert(name.to_string(), found.clone());
        Ok(found)
    }
}

/// Resolves one entity's labels against the server.
/// What a run has read of tags and owners, so that each is read (or made) once.
pub struct Known<'a> {
    pub tags: &'a mut KnownTags,
    pub owners: &'a mut KnownOwners,
}

/// `has_owners`: whether the entity has owners in OpenMetadata, as the run's listing says; when
/// the listing does not say, the entity is read.
pub fn resolve(
    client: &Client,
    known: Known<'_>,
    entity: &Entity,
    fqn: &str,
    labels: &Labels,
    has_owners: Option<bool>,
    counts: &mut LabelCounts,
) -> Labelled {
    let Known { tags: known_tags, owners: known_owners } = known;
    let mut out = Labelled::default();
    counts.entities += 1;
    for tag in &labels.tags {
        match known_tags.ensure(client, tag, counts) {
            Ok(()) => {
                counts.tags_attached += 1;
                out.tags.push(host_core::labels::tag_label(tag));
            }
            Err(e) => out.warnings.push(format!("tag {} not attached to {fqn}: {e}", tag.fqn())),
        }
    }
    if labels.owners.is_empty() {
        return out;
    }
    // People may have chosen an owner: a run sets one only where there is none.
    let has_owners = match has_owners {
        Some(known) => known,
        None => {
            let path = format!("{}/name/{}?fields=owners", entity.collection, encode(fqn));
            match client.call("GET", &path, None) {
                Ok(answer) => answer.body.get("owners").and_then(Value::as_array).is_some_and(|o| !o.is_empty()),
                Err(e) if e.status() == Some(404) => false,
                Err(e) => {
                    out.warnings.push(format!("the owner of {fqn} is left as it is: {e}"));
                    return out;
                }
            }
        }
    };
    match host_core::labels::choose_owner(fqn, &labels.owners, has_owners, |name| known_owners.find(client, name)) {
        OwnerChoice::Kept => counts.owners_kept += 1,
        OwnerChoice::Set(reference) => {
            counts.owners_set += 1;
            out.owners.push(reference);
        }
        OwnerChoice::NotFound(why) => {
            counts.owners_not_found += 1;
            out.warnings.push(why);
        }
        OwnerChoice::Failed(why) => out.warnings.push(why),
    }
    out
}

/// `GET path` found something (a 404 is no).
fn exists(client: &Client, path: &str) -> Result<bool, CallError> {
    match client.call("GET", path, None) {
        Ok(_) => Ok(true),
        Err(e) if e.status() == Some(404) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(c: &str, n: &str) -> TagRef {
        TagRef { classification: c.into(), name: n.into(), classification_description: None, description: None }
    }

    #[test]
    fn labels_add_to_the_requests_tags_and_set_owners() {
        let mut body = json!({"name": "t", "tags": [{"tagFQN": "env.prod"}]});
        let labelled = Labelled {
            tags: vec![
                host_core::labels::tag_label(&tag("env", "prod")),
                host_core::labels::tag_label(&tag("team", "pay")),
            ],
            owners: vec![json!({"id": "1", "type": "user"})],
            warnings: vec![],
        };
        labelled.apply(&mut body);
        let fqns: Vec<&str> = body["tags"].as_array().unwrap().iter().map(|t| t["tagFQN"].as_str().unwrap()).collect();
        assert_eq!(fqns, vec!["env.prod", "team.pay"]);
        assert_eq!(body["owners"], json!([{"id": "1", "type": "user"}]));
        let mut untouched = json!({"name": "t"});
        Labelled::default().apply(&mut untouched);
        assert_eq!(untouched, json!({"name": "t"}));
    }

    #[test]
    fn a_file_gets_each_classification_and_tag_once() {
        let mut known = KnownTags::default();
        let mut counts = LabelCounts::default();
        let first = known.first_mentions(&tag("team", "pay"), &mut counts);
        assert_eq!(first.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), vec!["/v1/classifications", "/v1/tags"]);
        assert_eq!(first[1].body["classification"], "team");
        let second = known.first_mentions(&tag("team", "ops"), &mut counts);
        assert_eq!(second.len(), 1);
        assert!(known.first_mentions(&tag("team", "ops"), &mut counts).is_empty());
        assert_eq!((counts.classifications_created, counts.tags_created), (1, 2));
    }
}
