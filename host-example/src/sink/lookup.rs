//! Lineage ends looked up by FQN in OpenMetadata, once each.

use super::*;

/// Looks entities up by FQN, once each.
pub(super) struct Lookup<'a> {
    pub(super) client: &'a Client,
    pub(super) known: HashMap<(String, String), Option<String>>,
}

impl Lookup<'_> {
    /// The id of the first candidate that exists; `Ok(None)` when none does.
    pub(super) fn id(&mut self, end: &EntityRef) -> Result<Option<String>, String> {
        let Some(entity) = endpoints::entity(&end.entity_type) else {
            return Err(format!("this host cannot look up entities of type '{}'", end.entity_type));
        };
        for fqn in end.fqn_candidates() {
            let key = (end.entity_type.clone(), fqn.clone());
            if let Some(known) = self.known.get(&key) {
                if known.is_some() {
                    return Ok(known.clone());
                }
                continue;
            }
            let found = self.client.find_by_fqn(entity, &fqn).map_err(|e| e.to_string())?;
            self.known.insert(key, found.clone());
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}

/// How a person names an end: `topic kinesis_prod.orders` (or its other candidates).
pub(super) fn describe(end: &EntityRef) -> String {
    format!("{} {}", end.entity_type, end.fqn_candidates().join(" or "))
}
