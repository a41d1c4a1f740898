//! Where a run's requests go: `file` (JSON lines, as OpenMetadata's file sink is configured) or
//! `metadata-rest` (an OpenMetadata server, with the calls OpenMetadata's own sink makes).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use plugin_abi::envelope::{EntityRef, LineageEdge};

use crate::endpoints::{self, Entity, Service};
use crate::openmetadata::Client;
use crate::requests::{self, Request};
use crate::workflow::Workflow;

/// The sink a workflow asks for.
pub enum SinkConfig {
    File { filename: PathBuf },
    Rest { server: Value },
}

impl SinkConfig {
    pub fn from_workflow(workflow: &Workflow) -> Result<Self> {
        let Some(sink) = &workflow.sink else {
            bail!("the workflow has no `sink`; add `sink: {{type: metadata-rest, config: {{}}}}` or `sink: {{type: file, config: {{filename: out.jsonl}}}}`")
        };
        match sink.sink_type.as_str() {
            "file" => {
                let filename = sink
                    .config
                    .as_ref()
                    .and_then(|c| c.get("filename"))
                    .and_then(Value::as_str)
                    .filter(|f| !f.is_empty())
                    .context("sink.config.filename: the file sink needs a file name")?;
                Ok(SinkConfig::File { filename: PathBuf::from(filename) })
            }
            "metadata-rest" => {
                Ok(SinkConfig::Rest { server: workflow.workflow_config.open_metadata_server_config.clone() })
            }
            other => bail!("sink.type: unknown sink `{other}` (this host has: metadata-rest, file)"),
        }
    }
}

/// What the writes of one entity type did.
#[derive(Debug, Default)]
pub struct TypeWrites {
    pub created: u64,
    pub updated: u64,
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
    /// Edges not added because an end is not in OpenMetadata: which, and why.
    pub skipped: Vec<String>,
    /// Edges the server refused or that could not be sent.
    pub failures: Vec<String>,
}

/// A destination for a run's requests.
pub trait Sink {
    /// Creates or updates the service; first, before any entity.
    fn service(&mut self, request: Request) -> Result<()>;
    /// An entity and, when it has some, its sample data (written after the entity). A failure
    /// of one entity is recorded in [`Writes`], not returned; an error ends the run.
    fn entity(&mut self, entity: &'static Entity, request: Request, sample: Option<Request>) -> Result<()>;
    /// Waits until every entity write is done.
    fn finish_writes(&mut self) -> Result<Writes>;
    /// Adds lineage edges, after every entity is written (an edge may point at one). An end
    /// that is not in OpenMetadata skips its edge; it is never created.
    fn lineage(&mut self, edges: Vec<LineageEdge>) -> Result<LineageWrites>;
    /// Soft-deletes the service's entities of the type that are not in `seen`, unless that would
    /// be more than `max_share` of them. Says what it did, for the summary.
    fn delete_stale(
        &mut self,
        entity: &Entity,
        service_name: &str,
        service_fqn: &str,
        seen: Vec<String>,
        max_share: f64,
    ) -> Result<String>;
    /// Stops work not started yet (the run was interrupted); writes in flight finish.
    fn abort(&mut self);
    /// Ends the sink; the output's name, when it is a file. `succeeded` says whether the run
    /// did: a file is put in place only then, and the previous one is kept otherwise.
    fn close(self: Box<Self>, succeeded: bool) -> Result<Option<String>>;
}

/// Writes requests as JSON lines to a temporary file beside the target, renamed over it only
/// when the run succeeded, so that a failed, interrupted or crashed run never replaces the
/// last good file with a partial one.
pub struct FileSink {
    target: PathBuf,
    partial: PathBuf,
    out: Option<BufWriter<File>>,
    writes: Writes,
}

impl FileSink {
    pub fn create(target: PathBuf) -> Result<Self> {
        let mut partial = target.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial)
            .with_context(|| format!("sink.config.filename: cannot create {}", partial.display()))?;
        Ok(FileSink { target, partial, out: Some(BufWriter::new(file)), writes: Writes::default() })
    }

    fn write(&mut self, request: &Request) -> Result<()> {
        let out = self.out.as_mut().context("the file sink is closed")?;
        serde_json::to_writer(&mut *out, request)
            .map_err(anyhow::Error::from)
            .and_then(|()| out.write_all(b"\n").map_err(anyhow::Error::from))
            .with_context(|| format!("cannot write to {}", self.partial.display()))
    }

    /// Flushes, syncs and renames the temporary file over the target, then syncs the folder.
    fn commit(&mut self) -> Result<()> {
        let out = self.out.take().context("the file sink is closed")?;
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write to {}", self.partial.display()))?;
        file.sync_all().with_context(|| format!("cannot sync {} to disk", self.partial.display()))?;
        drop(file);
        std::fs::rename(&self.partial, &self.target)
            .with_context(|| format!("cannot move {} to {}", self.partial.display(), self.target.display()))?;
        let folder = match self.target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        File::open(&folder)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync folder {} after writing {}", folder.display(), self.target.display()))
    }

    fn discard(&mut self) {
        drop(self.out.take());
        if let Err(e) = std::fs::remove_file(&self.partial) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!("cannot remove {}: {e}", self.partial.display());
            }
        }
    }
}

impl Drop for FileSink {
    /// A sink dropped without being closed (an error on the way) leaves no partial file.
    fn drop(&mut self) {
        if self.out.is_some() {
            self.discard();
        }
    }
}

impl Sink for FileSink {
    fn service(&mut self, request: Request) -> Result<()> {
        self.write(&request)
    }

    fn entity(&mut self, entity: &'static Entity, request: Request, sample: Option<Request>) -> Result<()> {
        self.write(&request)?;
        self.writes.of(entity).created += 1;
        if let Some(sample) = sample {
            self.write(&sample)?;
            self.writes.of(entity).samples += 1;
        }
        Ok(())
    }

    fn finish_writes(&mut self) -> Result<Writes> {
        Ok(std::mem::take(&mut self.writes))
    }

    /// A file cannot look entities up: each edge is written with placeholders for the ids and
    /// the FQNs they stand for.
    fn lineage(&mut self, edges: Vec<LineageEdge>) -> Result<LineageWrites> {
        let mut done = LineageWrites::default();
        for edge in &edges {
            self.write(&requests::add_lineage_unresolved(edge))?;
            done.added += 1;
        }
        Ok(done)
    }

    fn delete_stale(
        &mut self,
        entity: &Entity,
        _: &str,
        service_fqn: &str,
        seen: Vec<String>,
        _: f64,
    ) -> Result<String> {
        self.write(&requests::delete_stale(entity, service_fqn, seen))?;
        Ok("those not seen in this run are to be soft-deleted (deleteStale request written)".into())
    }

    fn abort(&mut self) {}

    fn close(mut self: Box<Self>, succeeded: bool) -> Result<Option<String>> {
        if !succeeded {
            self.discard();
            return Ok(None);
        }
        if let Err(e) = self.commit() {
            self.discard();
            return Err(e);
        }
        Ok(Some(self.target.display().to_string()))
    }
}

/// One entity's writes, done by a worker.
struct Job {
    entity: &'static Entity,
    request: Request,
    sample: Option<Request>,
}

/// Sends requests to an OpenMetadata server: the service first, then entities from a bounded
/// pool of workers (each entity's sample right after it, with the id the server gave it), then
/// lineage edges.
pub struct RestSink {
    client: Client,
    jobs: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    writes: Arc<Mutex<Writes>>,
    /// Set when the run is interrupted: queued entities and lineage edges are skipped.
    cancelled: Arc<AtomicBool>,
}

impl RestSink {
    /// Connects: checks the server's version and our credentials (by an authenticated read of
    /// the service) before anything is sent. `access_proven`: the service was read with these
    /// credentials already (its stored connection), so that read is not made again.
    pub fn connect(
        server: &Value,
        service: &Service,
        service_name: &str,
        access_proven: bool,
        concurrency: usize,
        timeout: std::time::Duration,
    ) -> Result<Self> {
        let client = Client::from_config(server, timeout)?;
        let version = client.check_server()?;
        tracing::info!("OpenMetadata server version {version}");
        if !access_proven {
            client.check_access(service, service_name)?;
        }
        let cancelled = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel::<Job>(concurrency * 2);
        let rx = Arc::new(Mutex::new(rx));
        let writes = Arc::new(Mutex::new(Writes::default()));
        let workers = (0..concurrency)
            .map(|i| {
                let (client, rx, writes, cancelled) = (client.clone(), rx.clone(), writes.clone(), cancelled.clone());
                std::thread::Builder::new()
                    .name(format!("om-sink-{i}"))
                    .spawn(move || loop {
                        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        };
                        if cancelled.load(Ordering::SeqCst) {
                            continue; // drain the queue without writing
                        }
                        write_entity(&client, job, &writes);
                    })
                    .expect("a thread")
            })
            .collect();
        Ok(RestSink { client, jobs: Some(tx), workers, writes, cancelled })
    }
}

fn write_entity(client: &Client, job: Job, writes: &Mutex<Writes>) {
    let fqn = job.request.entity_fqn.clone().unwrap_or_default();
    let with = |f: &mut dyn FnMut(&mut TypeWrites)| f(writes.lock().unwrap_or_else(|e| e.into_inner()).of(job.entity));
    let fail = |message: String| with(&mut |w| w.failures.push((fqn.clone(), message.clone())));
    let answer = match client.send(&job.request) {
        Ok(answer) => answer,
        Err(e) => return fail(e.to_string()),
    };
    with(&mut |w| if answer.status == 201 { w.created += 1 } else { w.updated += 1 });
    let Some(mut sample) = job.sample else { return };
    let Some(id) = answer.body.get("id").and_then(Value::as_str) else {
        return fail(format!("the server's answer to PUT {} has no id; sample data not written", job.request.path));
    };
    sample.path = sample.path.replace("{id}", id);
    match client.send(&sample) {
        Ok(_) => with(&mut |w| w.samples += 1),
        Err(e) => fail(e.to_string()),
    }
}

/// Looks entities up by FQN, once each.
struct Lookup<'a> {
    client: &'a Client,
    known: HashMap<(String, String), Option<String>>,
}

impl Lookup<'_> {
    /// The id of the first candidate that exists; `Ok(None)` when none does.
    fn id(&mut self, end: &EntityRef) -> Result<Option<String>, String> {
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
fn describe(end: &EntityRef) -> String {
    format!("{} {}", end.entity_type, end.fqn_candidates().join(" or "))
}

impl Sink for RestSink {
    fn service(&mut self, request: Request) -> Result<()> {
        self.client.send(&request).map_err(|e| anyhow::anyhow!("cannot create the service: {e}"))?;
        Ok(())
    }

    fn entity(&mut self, entity: &'static Entity, request: Request, sample: Option<Request>) -> Result<()> {
        let jobs = self.jobs.as_ref().context("the sink is closed")?;
        jobs.send(Job { entity, request, sample }).map_err(|_| anyhow::anyhow!("the sink's workers stopped"))
    }

    fn lineage(&mut self, edges: Vec<LineageEdge>) -> Result<LineageWrites> {
        let mut done = LineageWrites::default();
        let mut lookup = Lookup { client: &self.client, known: HashMap::new() };
        for edge in &edges {
            if self.cancelled.load(Ordering::SeqCst) {
                break;
            }
            let via = edge.pipeline.as_ref().map(|p| format!(" by {}", describe(p))).unwrap_or_default();
            let name = format!("{} → {}{via}", describe(&edge.from), describe(&edge.to));
            let ends = [Some(&edge.from), Some(&edge.to), edge.pipeline.as_ref()];
            let mut ids: Vec<Option<String>> = Vec::new();
            let mut missing: Vec<String> = Vec::new();
            let mut failed: Option<String> = None;
            for end in ends.into_iter().flatten() {
                match lookup.id(end) {
                    Ok(Some(id)) => ids.push(Some(id)),
                    Ok(None) => {
                        missing.push(describe(end));
                        ids.push(None);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if let Some(e) = failed {
                done.failures.push(format!("{name}: cannot look it up: {e}"));
                continue;
            }
            if !missing.is_empty() {
                done.skipped.push(format!("{name}: {} not in OpenMetadata", missing.join(" and ")));
                continue;
            }
            let id = |i: usize| ids[i].as_deref().unwrap_or_default();
            let request = requests::add_lineage(&requests::ResolvedEdge {
                from: (id(0), &edge.from.entity_type),
                to: (id(1), &edge.to.entity_type),
                pipeline: edge.pipeline.as_ref().map(|p| (id(2), p.entity_type.as_str())),
                description: edge.description.as_deref(),
                source: edge.source.as_deref(),
            });
            match self.client.send(&request) {
                Ok(_) => done.added += 1,
                Err(e) => done.failures.push(format!("{name}: {e}")),
            }
        }
        Ok(done)
    }

    fn finish_writes(&mut self) -> Result<Writes> {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            if worker.join().is_err() {
                bail!("a sink worker panicked");
            }
        }
        Ok(std::mem::take(&mut *self.writes.lock().unwrap_or_else(|e| e.into_inner())))
    }

    fn delete_stale(
        &mut self,
        entity: &Entity,
        service_name: &str,
        service_fqn: &str,
        seen: Vec<String>,
        max_share: f64,
    ) -> Result<String> {
        let kind = entity.plural;
        let existing = self
            .client
            .list_entities(entity, service_name)
            .map_err(|e| anyhow::anyhow!("cannot list the service's {kind}: {e}"))?;
        let seen_set: HashSet<&str> = seen.iter().map(String::as_str).collect();
        let unseen: Vec<&(String, String)> =
            existing.iter().filter(|(_, fqn)| !seen_set.contains(fqn.as_str())).collect();
        if unseen.is_empty() {
            return Ok(format!("none: every one of the service's {kind} was seen"));
        }
        let share = unseen.len() as f64 / existing.len() as f64;
        if share > max_share {
            return Ok(format!(
                "kept: this run would soft-delete {} of the service's {} {kind} ({:.0}%), more than the {:.0}% allowed; \
                 if that is intended, run again with --max-delete-share {:.2}",
                unseen.len(),
                existing.len(),
                share * 100.0,
                max_share * 100.0,
                share.min(1.0)
            ));
        }
        let names: Vec<&str> = unseen.iter().map(|(_, fqn)| fqn.as_str()).collect();
        match self.client.send(&requests::delete_stale(entity, service_fqn, seen)) {
            Ok(_) => {}
            Err(e) if e.status() == Some(404) => {
                // An older server: delete the unseen ones one by one.
                let mut deleted: Vec<&str> = Vec::new();
                for (i, (id, fqn)) in unseen.iter().enumerate() {
                    let path = format!("{}/{id}?recursive=true&hardDelete=false", entity.collection);
                    if let Err(e) = self.client.call("DELETE", &path, None) {
                        let kept: Vec<&str> = unseen[i..].iter().map(|(_, fqn)| fqn.as_str()).collect();
                        bail!(
                            "soft-deleting unseen {kind} one by one failed at {fqn}: {e}; deleted {} ({}), not deleted {} ({})",
                            deleted.len(),
                            if deleted.is_empty() { "none".to_string() } else { deleted.join(", ") },
                            kept.len(),
                            kept.join(", ")
                        );
                    }
                    deleted.push(fqn);
                }
            }
            Err(e) => bail!("cannot soft-delete stale {kind}: {e}"),
        }
        Ok(format!("soft-deleted {}: {}", names.len(), names.join(", ")))
    }

    fn abort(&mut self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    fn close(mut self: Box<Self>, _: bool) -> Result<Option<String>> {
        self.finish_writes()?;
        Ok(None)
    }
}
