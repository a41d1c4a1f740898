//! What a run's records mean, whoever writes them: the plan every host follows. Records come
//! in as the plugin yields them; out come the steps a host executes with its own writer
//! (host-example's REST or file sink, OpenMetadata's own sink in the wheel):
//! - an entity is written together with what follows it: its tags and owners (`labels`), then
//!   its sample data, so a `Write` leaves when the next record shows the entity is complete;
//! - an entity record is checked first: of this run's service, named as its FQN says;
//! - lineage edges, the latest progress and the listing statuses (of this run's service only)
//!   are kept for the end of the run;
//! - records of kinds or entity types the host cannot write are counted and skipped.
//!
//! At the end, [`Plan::finish`] turns the listing statuses into what the run saw (entities that
//! exist but could not be read, or are not entities yet, count as seen: never deleted for that),
//! the objects that failed, and what failed the run as a whole.

use std::collections::BTreeMap;

use plugin_abi::envelope::{Labels, LineageEdge, ListingStatus, Origin, Progress, SchemaOrigin};
use plugin_abi::{fqn, RecordKind};
use serde_json::Value;

use crate::converge::{self, Stored};

/// An entity to write: its create request, then (the host resolves them) its tags and owners
/// onto the request, then its sample data.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub entity_type: String,
    /// The entity's FQN, quoted as OpenMetadata writes it.
    pub fqn: String,
    /// OpenMetadata's create request, as the plugin made it, merged with what OpenMetadata
    /// holds when the plan knows it ([`Plan::set_stored`]).
    pub body: Value,
    pub labels: Option<Labels>,
    /// Where the request's message schema came from, when the plugin said.
    pub origin: Option<Origin>,
    /// The entity's sample data, when it came with messages.
    pub sample: Option<Value>,
}

/// One thing for the host to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Write(Write),
    /// An object of the source that failed on its own (name, why): it lowers the success
    /// percentage, and keeps the run from deleting.
    Failed(String, String),
    /// Something that fails the run as a whole (the plugin sent what no host can read).
    Error(String),
    Warning(String),
}

/// What the run did with one entity type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeRun {
    pub entity_type: String,
    /// The plugin's listing status for this type in this run's service.
    pub status: Option<ListingStatus>,
    /// FQNs of the entity records taken (checked, handed to the host to write).
    pub written: Vec<String>,
    /// FQNs of entities that exist but could not be read, or are not entities yet (after
    /// [`Plan::finish`]).
    pub kept: Vec<String>,
    /// Entities not sent: OpenMetadata already holds what their request says.
    pub unchanged: u64,
}

impl TypeRun {
    /// Every FQN this run saw: never deleted as stale.
    pub fn seen(&self) -> Vec<String> {
        self.written.iter().chain(&self.kept).cloned().collect()
    }

    pub fn complete(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.complete)
    }
}

/// What the listing statuses say at the end of a run, besides the types' own figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Finish {
    /// What failed the run as a whole: a type without a listing status, an incomplete listing.
    pub errors: Vec<String>,
    /// Objects that exist but could not be read (FQN, why).
    pub failed: Vec<(String, String)>,
    /// The plugin's warnings about its listings.
    pub warnings: Vec<String>,
    /// Source API calls by operation, as the plugin counted them.
    pub api_calls: BTreeMap<String, u64>,
}

/// The source API calls a run made, as a summary says them (`ListStreams 3, DescribeStreamSummary
/// 120`): the operations called at least once, by name; `None` when there were none.
pub fn api_calls_said(calls: &BTreeMap<String, u64>) -> Option<String> {
    let said: Vec<String> = calls.iter().filter(|(_, n)| **n > 0).map(|(op, n)| format!("{op} {n}")).collect();
    (!said.is_empty()).then(|| said.join(", "))
}

/// The plan of one run of a source in the service `service_name`.
#[derive(Debug)]
pub struct Plan {
    service_name: String,
    /// The entity types the host can write.
    writable: Vec<String>,
    /// The entity waiting for its labels and sample data.
    pending: Option<Write>,
    types: Vec<TypeRun>,
    lineage: Vec<LineageEdge>,
    progress: Option<Progress>,
    skipped: BTreeMap<String, u64>,
    /// What OpenMetadata holds for the service, when the host read it.
    stored: Option<Stored>,
    /// Topics whose stored message schema could not be read (FQN, why): left as they are.
    schemas_left: Vec<(String, String)>,
}

impl Plan {
    /// A plan for a run in `service_name` by a host that can write entities of the types
    /// `writable`; `declared` (the plugin manifest's types) come first in [`Plan::types`], in
    /// that order, even when no record of theirs arrives.
    pub fn new<'w, 'd>(
        service_name: &str,
        writable: impl IntoIterator<Item = &'w str>,
        declared: impl IntoIterator<Item = &'d str>,
    ) -> Plan {
        let mut plan = Plan {
            service_name: service_name.to_string(),
            writable: writable.into_iter().map(str::to_string).collect(),
            pending: None,
            types: Vec::new(),
            lineage: Vec::new(),
            progress: None,
            skipped: BTreeMap::new(),
            stored: None,
            schemas_left: Vec::new(),
        };
        for entity_type in declared {
            if plan.can_write(entity_type) {
                plan.of_type(entity_type);
            }
        }
        plan
    }

    fn can_write(&self, entity_type: &str) -> bool {
        self.writable.iter().any(|t| t == entity_type)
    }

    fn of_type(&mut self, entity_type: &str) -> &mut TypeRun {
        let i = match self.types.iter().position(|t| t.entity_type == entity_type) {
            Some(i) => i,
            None => {
                self.types.push(TypeRun { entity_type: entity_type.to_string(), ..TypeRun::default() });
                self.types.len() - 1
            }
        };
        &mut self.types[i]
    }

    /// Takes one record (its kind, entity type, name parts and JSON body, as it crossed the
    /// boundary): the steps it completes.
    pub fn take(&mut self, kind: &str, entity_type: &str, parts: &[&str], body: &str) -> Vec<Step> {
        let Some(kind) = RecordKind::parse(kind) else {
            *self.skipped.entry(format!("kind '{kind}'")).or_default() += 1;
            return Vec::new();
        };
        if !self.can_write(entity_type) {
            *self.skipped.entry(format!("entity type '{entity_type}'")).or_default() += 1;
            return Vec::new();
        }
        let fqn = fqn::build(parts.iter().copied());
        let body: Value = match serde_json::from_str(body) {
            Ok(body) => body,
            Err(e) => {
                return vec![Step::Error(format!(
                    "the plugin sent a {} record for {fqn} that is not JSON: {e}",
                    kind.as_str()
                ))]
            }
        };
        let is_pending = self.pending.as_ref().is_some_and(|p| p.entity_type == entity_type && p.fqn == fqn);
        let mut steps = Vec::new();
        match kind {
            RecordKind::Entity => {
                steps.extend(self.end());
                steps.extend(self.take_entity(entity_type, parts, fqn, body));
            }
            RecordKind::Labels if !is_pending => steps
                .push(Step::Warning(format!("tags and owners of {fqn} came without its {entity_type}; not written"))),
            RecordKind::SchemaOrigin if !is_pending => steps.push(Step::Warning(format!(
                "the message schema's origin of {fqn} came without its {entity_type}; ignored"
            ))),
            RecordKind::Labels => match serde_json::from_value::<Labels>(body) {
                Ok(labels) => {
                    if let Some(pending) = self.pending.as_mut() {
                        pending.labels = Some(labels);
                    }
                }
                Err(e) => {
                    steps.push(Step::Error(format!("the plugin sent labels of {fqn} that are not readable: {e}")))
                }
            },
            RecordKind::SchemaOrigin => match serde_json::from_value::<SchemaOrigin>(body) {
                Ok(said) => {
                    if let Some(pending) = self.pending.as_mut() {
                        pending.origin = Some(said.origin);
                    }
                }
                // An origin of a later contract: the schema is written as sent.
                Err(e) => tracing::debug!("a schema origin of {fqn} that is not readable: {e}"),
            },
            RecordKind::SampleData => steps.extend(self.take_sample(entity_type, fqn, body, is_pending)),
            RecordKind::Lineage => match serde_json::from_value::<LineageEdge>(body) {
                Ok(edge) => self.lineage.push(edge),
                Err(e) => steps
                    .push(Step::Error(format!("the plugin sent a lineage edge of {fqn} that is not readable: {e}"))),
            },
            RecordKind::Progress => match serde_json::from_value::<Progress>(body) {
                Ok(progress) => self.progress = Some(progress),
                Err(e) => tracing::debug!("a progress record that is not readable: {e}"),
            },
            RecordKind::ListingStatus => steps.extend(self.take_status(entity_type, parts, &fqn, body)),
        }
        steps
    }

    /// An entity: checked, then waiting for its labels and sample.
    fn take_entity(&mut self, entity_type: &str, parts: &[&str], fqn: String, body: Value) -> Option<Step> {
        if let Err(why) = self.check_entity(parts, &body) {
            return Some(Step::Failed(fqn, format!("{entity_type} not written: {why}")));
        }
        self.of_type(entity_type).written.push(fqn.clone());
        let entity_type = entity_type.to_string();
        self.pending = Some(Write { entity_type, fqn, body, labels: None, origin: None, sample: None });
        None
    }

    /// A sample ends its entity's records: the entity is written with it.
    fn take_sample(&mut self, entity_type: &str, fqn: String, body: Value, is_pending: bool) -> Vec<Step> {
        if !is_pending {
            let mut steps: Vec<Step> = self.end().into_iter().collect();
            steps.push(Step::Warning(format!("sample data of {fqn} came without its {entity_type}; not written")));
            return steps;
        }
        let has_messages = body.get("messages").and_then(Value::as_array).is_some_and(|m| !m.is_empty());
        if let Some(pending) = self.pending.as_mut() {
            pending.sample = has_messages.then_some(body);
        }
        self.end().into_iter().collect()
    }

    /// A listing status: only the listing of this run's service decides about its entities.
    fn take_status(&mut self, entity_type: &str, parts: &[&str], fqn: &str, body: Value) -> Option<Step> {
        match serde_json::from_value::<ListingStatus>(body) {
            Ok(status) if parts == [self.service_name.as_str()] => {
                self.of_type(entity_type).status = Some(status);
                None
            }
            Ok(_) => Some(Step::Warning(format!(
                "a listing status for the scope {fqn} is not about this run's service {}; ignored",
                fqn::quote(&self.service_name)
            ))),
            Err(e) => Some(Step::Error(format!("the plugin sent a listing status that is not readable: {e}"))),
        }
    }

    /// The waiting entity, when there is one: at the end of the records (not after an
    /// interruption: an entity cut short is not written).
    pub fn end(&mut self) -> Option<Step> {
        let mut write = self.pending.take()?;
        if let Some(stored) = &self.stored {
            let held = stored.get(&write.entity_type, &write.fqn);
            if let Some(why) = converge::converge(&write.entity_type, &mut write.body, write.origin, held.as_ref()) {
                self.schemas_left.push((write.fqn.clone(), why));
            }
        }
        Some(Step::Write(write))
    }

    /// What OpenMetadata holds for the service (its listings, read by the host before the
    /// records): the plan merges each entity's request with it ([`converge`]).
    pub fn set_stored(&mut self, stored: Stored) {
        self.stored = Some(stored);
    }

    /// Adds entities of one listing of `entity_type` to what the plan knows OpenMetadata holds
    /// (for a host that reads the listing itself, page by page).
    pub fn add_stored(&mut self, entity_type: &str, page: &[Value]) -> Result<(), String> {
        self.stored.get_or_insert_with(Stored::default).add_page(entity_type, page)
    }

    pub fn stored(&self) -> Option<&Stored> {
        self.stored.as_ref()
    }

    /// Whether OpenMetadata already holds what `body` (the write's request, with its labels on)
    /// says, so that the host need not send it; counted for the type when so.
    pub fn unchanged(&mut self, entity_type: &str, fqn: &str, body: &Value) -> bool {
        let Some(held) = self.stored.as_ref().and_then(|s| s.get(entity_type, fqn)) else { return false };
        let change = converge::unchanged::change(entity_type, body, &held);
        if let Some(why) = &change {
            tracing::debug!("{entity_type} {fqn} is sent: {why}");
        }
        let unchanged = change.is_none();
        if unchanged {
            self.of_type(entity_type).unchanged += 1;
        }
        unchanged
    }

    /// An entity of this run's service, whose request names it as its FQN does.
    fn check_entity(&self, parts: &[&str], body: &Value) -> Result<(), String> {
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return Err("the record has no FQN".into());
        };
        if parts.len() < 2 || *first != self.service_name {
            return Err(format!("it is not in this run's service '{}'", self.service_name));
        }
        let name =
            body.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()).ok_or("the request has no name")?;
        if name != *last {
            return Err(format!("the request's name '{name}' is not the record's '{last}'"));
        }
        let service = fqn::quote(&self.service_name);
        match body.get("service").and_then(Value::as_str) {
            Some(named) if named != service => {
                Err(format!("the request names service '{named}', not this run's '{service}'"))
            }
            _ => Ok(()),
        }
    }

    /// Takes the listing statuses in. `quiet`: the run had no error and was not stopped; a run
    /// that was not quiet did not see everything, whatever the plugin says, so its listings
    /// count as incomplete.
    pub fn finish(&mut self, quiet: bool) -> Finish {
        let mut finish = Finish::default();
        let service = fqn::quote(&self.service_name);
        for (fqn, why) in &self.schemas_left {
            finish.warnings.push(format!(
                "the message schema OpenMetadata holds for {fqn} cannot be read ({why}): it is left as it is, \
                 and the topic's other properties are written"
            ));
        }
        for t in &mut self.types {
            let Some(status) = &mut t.status else {
                if quiet {
                    finish.errors.push(format!(
                        "the plugin ended the run without a listing status for its {}",
                        plural(&t.entity_type)
                    ));
                }
                continue;
            };
            finish.warnings.extend(status.warnings.iter().cloned());
            for (op, n) in &status.api_calls {
                *finish.api_calls.entry(op.clone()).or_default() += n;
            }
            let fqn_of = |name: &String| format!("{service}.{}", fqn::quote(name));
            t.kept.extend(status.unresolved.iter().chain(&status.not_yet).map(fqn_of));
            finish.failed.extend(
                status.unresolved.iter().map(|n| (fqn_of(n), "exists but could not be read (see the warnings)".into())),
            );
            if let Some(reason) = &status.reason {
                finish.errors.push(format!("the listing of {} is incomplete: {reason}", plural(&t.entity_type)));
            }
            if !quiet {
                status.complete = false;
            }
        }
        finish
    }

    /// The entity types of the run: the declared ones first, then others as they came.
    pub fn types(&self) -> &[TypeRun] {
        &self.types
    }

    /// The lineage edges the plugin sent, for the host to resolve after the entities are written.
    pub fn take_lineage(&mut self) -> Vec<LineageEdge> {
        std::mem::take(&mut self.lineage)
    }

    /// Lineage edges received so far.
    pub fn lineage_edges(&self) -> usize {
        self.lineage.len()
    }

    /// The plugin's latest progress.
    pub fn progress(&self) -> Option<&Progress> {
        self.progress.as_ref()
    }

    /// Records skipped, by what the host does not know (`kind 'x'`, `entity type 'y'`).
    pub fn skipped(&self) -> &BTreeMap<String, u64> {
        &self.skipped
    }
}

/// An entity type's plural, for messages (`topics`, `pipelines`).
pub fn plural(entity_type: &str) -> String {
    format!("{entity_type}s")
}

#[cfg(test)]
mod tests;
