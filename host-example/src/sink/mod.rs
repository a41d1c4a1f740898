//! Where a run's requests go: `file` (JSON lines, as OpenMetadata's file sink is configured) or
//! `metadata-rest` (an OpenMetadata server, with the calls OpenMetadata's own sink makes). This
//! file holds the sink settings, what a sink does (`Sink`) and what its writes counted; `file.rs`
//! is the file sink, `rest.rs` the server's, `workers.rs` the writes its workers make and the
//! bulk answers they read, `lookup.rs` the look-up of lineage ends; soft-deleting stale entities
//! is `crate::stale`.

mod file;
mod lookup;
mod rest;
mod workers;

pub use file::FileSink;
pub use rest::RestSink;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{bail, Context, Result};
use host_core::converge::Stored;
use serde_json::Value;

use plugin_abi::envelope::{EntityRef, Labels, LineageEdge};

use crate::endpoints::{self, Entity, Service};
use crate::labels::{KnownOwners, KnownTags, LabelCounts, Labelled};
use crate::openmetadata::Client;
use crate::requests::{self, Request};
use crate::workflow::Workflow;

/// The sink a workflow asks for.
pub enum SinkConfig {
    File { filename: PathBuf },
    Rest { server: Value, options: RestOptions },
}

/// `sink.config` of `metadata-rest`, as OpenMetadata's `MetadataRestSinkConfig` has it.
#[derive(Debug, Clone, PartialEq)]
pub struct RestOptions {
    /// `bulk_sink_batch_size` (default 100): entities per `PUT {collection}/bulk`.
    pub batch_size: usize,
    /// Fields given that change nothing, for warnings.
    pub no_effect: Vec<String>,
}

/// OpenMetadata's default `bulk_sink_batch_size`.
const DEFAULT_BATCH_SIZE: usize = 100;
/// The largest batch accepted: a bigger one makes a request body the server may refuse.
const MAX_BATCH_SIZE: usize = 1000;

impl RestOptions {
    fn from_config(config: Option<&Value>) -> Result<Self> {
        let mut options = RestOptions { batch_size: DEFAULT_BATCH_SIZE, no_effect: Vec::new() };
        let fields = match config {
            None | Some(Value::Null) => return Ok(options),
            Some(Value::Object(fields)) => fields,
            Some(_) => bail!("sink.config: a mapping of the sink's settings"),
        };
        for (name, value) in fields {
            let at = format!("sink.config.{name}");
            match name.as_str() {
                "bulk_sink_batch_size" => {
                    options.batch_size = value
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|n| (1..=MAX_BATCH_SIZE).contains(n))
                        .with_context(|| {
                            format!("{at}: entities per bulk write, from 1 to {MAX_BATCH_SIZE} (got {value})")
                        })?
                }
                "override_metadata" => match value {
                    Value::Bool(false) | Value::Null => {}
                    Value::Bool(true) => bail!(
                        "{at}: true would overwrite the descriptions, tags and owners people curated in \
                         OpenMetadata; this host keeps them (remove the field or set it to false)"
                    ),
                    other => bail!("{at}: true or false (got {other})"),
                },
                // Declared by OpenMetadata's sink and used by none of its code paths.
                "api_endpoint" | "enable_async_pipeline" | "async_pipeline_workers" => options.no_effect.push(format!(
                    "{at} has no effect (OpenMetadata's own runner ignores it too); the server is \
                         workflowConfig.openMetadataServerConfig.hostPort and --sink-concurrency sets the writers"
                )),
                other => bail!(
                    "{at}: `{other}` is not a setting of the metadata-rest sink (it has: bulk_sink_batch_size, \
                     override_metadata, api_endpoint, enable_async_pipeline, async_pipeline_workers)"
                ),
            }
        }
        Ok(options)
    }
}

impl SinkConfig {
    pub fn from_workflow(workflow: &Workflow) -> Result<Self> {
        let Some(sink) = &workflow.sink else {
            bail!("the workflow has no `sink`; add `sink: {{type: metadata-rest, config: {{}}}}` or `sink: {{type: file, config: {{filename: out.jsonl}}}}`")
        };
        match sink.sink_type.as_str() {
            "file" => {
                let config = sink.config.as_ref().and_then(Value::as_object);
                if let Some(other) = config.and_then(|c| c.keys().find(|k| *k != "filename")) {
                    bail!("sink.config.{other}: not a setting of the file sink (it has: filename)");
                }
                let filename = config
                    .and_then(|c| c.get("filename"))
                    .and_then(Value::as_str)
                    .filter(|f| !f.is_empty())
                    .context("sink.config.filename: the file sink needs a file name")?;
                Ok(SinkConfig::File { filename: PathBuf::from(filename) })
            }
            "metadata-rest" => Ok(SinkConfig::Rest {
                server: workflow.workflow_config.open_metadata_server_config.clone(),
                options: RestOptions::from_config(sink.config.as_ref())?,
            }),
            other => bail!("sink.type: unknown sink `{other}` (this host has: metadata-rest, file)"),
        }
    }
}

/// What the writes of one entity type did.
#[derive(Debug, Default)]
pub struct TypeWrites {
    pub created: u64,
    pub updated: u64,
    /// Written in bulk: created or updated, which the server's bulk answer does not say.
    pub upserted: u64,
    pub samples: u64,
    /// Entities (by FQN) whose writes failed, with why.
    pub failures: Vec<(String, String)>,
}

/// What the writes of a run did, by entity type.
#[derive(Debug, Default)]
pub struct Writes {
    pub by_type: BTreeMap<&'static str, TypeWrites>,
}

impl Writes {
    pub fn of(&mut self, entity: &Entity) -> &mut TypeWrites {
        self.by_type.entry(entity.entity_type).or_default()
    }

    pub fn failures(&self) -> usize {
        self.by_type.values().map(|w| w.failures.len()).sum()
    }
}

/// What became of a run's lineage edges.
#[derive(Debug, Default)]
pub struct LineageWrites {
    pub added: u64,
    /// Edges OpenMetadata already held as they would be written: not sent.
    pub unchanged: u64,
    /// Edges not added because an end is not in OpenMetadata: which, and why.
    pub skipped: Vec<String>,
    /// Edges the server refused or that could not be sent.
    pub failures: Vec<String>,
}

/// A destination for a run's requests.
pub trait Sink {
    /// Creates or updates the service; first, before any entity.
    fn service(&mut self, request: Request) -> Result<()>;
    /// What the destination holds for the service, for entities of these types, read once
    /// before any entity is written (`host_core::converge`); `None` where it holds nothing to
    /// merge with (a file).
    fn stored(&mut self, entities: &[&'static Entity], service_name: &str) -> Result<Option<Stored>>;
    /// An entity and, when it has some, its sample data (written after the entity). A failure
    /// of one entity is recorded in [`Writes`], not returned; an error ends the run.
    fn entity(&mut self, entity: &'static Entity, request: Request, sample: Option<Request>) -> Result<()>;
    /// The sample data of an entity that is not written (the destination holds it as it is),
    /// with the entity's stored id.
    fn sample(&mut self, entity: &'static Entity, id: &str, sample: Request) -> Result<()>;
    /// The tags and owners of an entity about to be written (see [`crate::labels`]), counted
    /// into `counts`; failures are warnings of the result, never the run's end. `has_owners`:
    /// whether the entity has owners in the destination, when the run's listing says.
    fn labels(
        &mut self,
        entity: &'static Entity,
        fqn: &str,
        labels: &Labels,
        has_owners: Option<bool>,
        counts: &mut LabelCounts,
    ) -> Labelled;
    /// Waits until every entity write is done.
    fn finish_writes(&mut self) -> Result<Writes>;
    /// Adds lineage edges, after every entity is written (an edge may point at one). An end
    /// that is not in OpenMetadata skips its edge; it is never created.
    /// `stored`: what the run's listing held (an edge to an entity it did not hold, made by this
    /// run, is not read before it is written).
    fn lineage(&mut self, edges: Vec<LineageEdge>, stored: Option<&Stored>) -> Result<LineageWrites>;
    /// Soft-deletes the service's entities of the type that are not in `seen`, unless that would
    /// be more than `max_share` of them. `existing` (id, FQN) is what [`Sink::stored`] listed
    /// for the type. Says what it did, for the summary.
    fn delete_stale(
        &mut self,
        entity: &Entity,
        service_fqn: &str,
        existing: &[(String, String)],
        seen: Vec<String>,
        max_share: f64,
    ) -> Result<String>;
    /// Stops work not started yet (the run was interrupted); writes in flight finish.
    fn abort(&mut self);
    /// Ends the sink; the output's name, when it is a file. `succeeded` says whether the run
    /// did: a file is put in place only then, and the previous one is kept otherwise.
    fn close(self: Box<Self>, succeeded: bool) -> Result<Option<String>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_rest_sink_settings_are_openmetadatas_and_none_is_ignored_silently() {
        assert_eq!(RestOptions::from_config(None).unwrap().batch_size, 100);
        let o = RestOptions::from_config(Some(&json!({"bulk_sink_batch_size": 7, "api_endpoint": "x"}))).unwrap();
        assert_eq!(o.batch_size, 7);
        assert!(o.no_effect[0].contains("sink.config.api_endpoint has no effect"), "{:?}", o.no_effect);
        for (config, named) in [
            (json!({"bulk_sink_batch_size": 0}), "sink.config.bulk_sink_batch_size"),
            (json!({"bulk_sink_batch_size": "10"}), "sink.config.bulk_sink_batch_size"),
            (json!({"override_metadata": true}), "sink.config.override_metadata: true would overwrite"),
            (json!({"bulk_size": 10}), "sink.config.bulk_size"),
        ] {
            let e = RestOptions::from_config(Some(&config)).unwrap_err();
            assert!(format!("{e:#}").contains(named), "{config}: {e:#}");
        }
        assert!(RestOptions::from_config(Some(&json!({"override_metadata": false}))).is_ok());
    }
}
