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
    /// The tags and owners of an entity about to be written (see [`crate::labels`]), counted
    /// into `counts`; failures are warnings of the result, never the run's end.
    fn labels(&mut self, entity: &'static Entity, fqn: &str, labels: &Labels, counts: &mut LabelCounts) -> Labelled;
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
    known_tags: KnownTags,
    /// Whether the run was told that a file cannot hold owners looked up by name.
    told_owners: bool,
}

impl FileSink {
    pub fn create(target: PathBuf) -> Result<Self> {
        let mut partial = target.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial)
            .with_context(|| format!("sink.config.filename: cannot create {}", partial.display()))?;
        Ok(FileSink {
            target,
            partial,
            out: Some(BufWriter::new(file)),
            writes: Writes::default(),
            known_tags: KnownTags::default(),
            told_owners: false,
        })
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

    /// Each classification and tag is written (as its create request) the first time the run
    /// names it. Owners are looked up by name in OpenMetadata, which a file cannot do: none is
    /// written, and the run says so once.
    fn labels(&mut self, _: &'static Entity, fqn: &str, labels: &Labels, counts: &mut LabelCounts) -> Labelled {
        let mut out = Labelled::default();
        counts.entities += 1;
        for tag in &labels.tags {
            let written: Result<()> =
                self.known_tags.first_mentions(tag, counts).iter().try_for_each(|request| self.write(request));
            match written {
                Ok(()) => {
                    counts.tags_attached += 1;
                    out.tags.push(requests::tag_label(tag));
                }
                Err(e) => out.warnings.push(format!("tag {} not attached to {fqn}: {e:#}", tag.fqn())),
            }
        }
        if !labels.owners.is_empty() {
            counts.owners_not_found += 1;
            if !std::mem::replace(&mut self.told_owners, true) {
                out.warnings.push(format!(
                    "owners named by tags (first: '{}' of {fqn}) are looked up in OpenMetadata: a file holds none",
                    labels.owners[0]
                ));
            }
        }
        out
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

/// Writes, done by a worker.
enum Job {
    /// One entity and its sample, written after it with the id the server gave it.
    One { entity: &'static Entity, request: Box<Request>, sample: Option<Request> },
    /// Entities of one type without samples, in one `PUT {collection}/bulk`.
    Bulk { entity: &'static Entity, requests: Vec<Request> },
}

/// Sends requests to an OpenMetadata server: the service first, then entities from a bounded
/// pool of workers (in bulk where OpenMetadata's own sink writes them so; each entity with a
/// sample on its own, the sample right after it with the id the server gave it), then lineage
/// edges.
pub struct RestSink {
    client: Client,
    jobs: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    writes: Arc<Mutex<Writes>>,
    /// Set when the run is interrupted: queued entities and lineage edges are skipped.
    cancelled: Arc<AtomicBool>,
    batch_size: usize,
    /// Entities waiting for their batch to fill, by entity type.
    batches: BTreeMap<&'static str, (&'static Entity, Vec<Request>)>,
    known_tags: KnownTags,
    known_owners: KnownOwners,
}

impl RestSink {
    /// Connects: checks the server's version and our credentials (by an authenticated read of
    /// the service) before anything is sent. `access_proven`: the service was read with these
    /// credentials already (its stored connection), so that read is not made again.
    pub fn connect(
        server: &Value,
        options: &RestOptions,
        service: &Service,
        service_name: &str,
        access_proven: bool,
        concurrency: usize,
        timeout: std::time::Duration,
    ) -> Result<Self> {
        let client = Client::from_config(server, timeout)?;
        let version = client.check_server()?;
        tracing::info!("OpenMetadata server version {version}");
        for note in &options.no_effect {
            tracing::warn!("{note}");
        }
        if !access_proven {
            client.check_access(service, service_name)?;
        }
        let cancelled = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel::<Job>(concurrency * 2);
        let rx = Arc::new(Mutex::new(rx));
        let writes = Arc::new(Mutex::new(Writes::default()));
        // Set by the first worker to learn that the server has no bulk endpoint (an older one).
        let no_bulk = Arc::new(AtomicBool::new(false));
        let workers = (0..concurrency)
            .map(|i| {
                let (client, rx, writes, cancelled, no_bulk) =
                    (client.clone(), rx.clone(), writes.clone(), cancelled.clone(), no_bulk.clone());
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
                        match job {
                            Job::One { entity, request, sample } => {
                                write_entity(&client, entity, *request, sample, &writes)
                            }
                            Job::Bulk { entity, requests } => write_bulk(&client, entity, requests, &writes, &no_bulk),
                        }
                    })
                    .expect("a thread")
            })
            .collect();
        Ok(RestSink {
            client,
            jobs: Some(tx),
            workers,
            writes,
            cancelled,
            batch_size: options.batch_size,
            batches: BTreeMap::new(),
            known_tags: KnownTags::default(),
            known_owners: KnownOwners::default(),
        })
    }

    fn send(&self, job: Job) -> Result<()> {
        let jobs = self.jobs.as_ref().context("the sink is closed")?;
        jobs.send(job).map_err(|_| anyhow::anyhow!("the sink's workers stopped"))
    }
}

/// Records what the writes of one entity type did.
fn record(writes: &Mutex<Writes>, entity: &Entity, f: impl FnOnce(&mut TypeWrites)) {
    f(writes.lock().unwrap_or_else(|e| e.into_inner()).of(entity))
}

fn write_entity(client: &Client, entity: &Entity, request: Request, sample: Option<Request>, writes: &Mutex<Writes>) {
    let fqn = request.entity_fqn.clone().unwrap_or_default();
    let fail = |message: String| record(writes, entity, |w| w.failures.push((fqn.clone(), message)));
    let answer = match client.send(&request) {
        Ok(answer) => answer,
        Err(e) => return fail(e.to_string()),
    };
    record(writes, entity, |w| if answer.status == 201 { w.created += 1 } else { w.updated += 1 });
    let Some(mut sample) = sample else { return };
    let Some(id) = answer.body.get("id").and_then(Value::as_str) else {
        return fail(format!("the server's answer to PUT {} has no id; sample data not written", request.path));
    };
    sample.path = sample.path.replace("{id}", id);
    match client.send(&sample) {
        Ok(_) => record(writes, entity, |w| w.samples += 1),
        Err(e) => fail(e.to_string()),
    }
}

/// Writes a batch in one `PUT {collection}/bulk`, and records each entity's outcome from the
/// server's BulkOperationResult. A server without the endpoint (404, 405: older than bulk
/// writes) gets the batch, and every later one, one entity at a time.
fn write_bulk(client: &Client, entity: &Entity, requests: Vec<Request>, writes: &Mutex<Writes>, no_bulk: &AtomicBool) {
    let one_by_one = |requests: Vec<Request>| {
        for request in requests {
            write_entity(client, entity, request, None, writes)
        }
    };
    if no_bulk.load(Ordering::SeqCst) {
        return one_by_one(requests);
    }
    let bulk = requests::put_entities(entity, requests.iter().map(|r| r.body.clone()).collect());
    let path = bulk.path.split('?').next().unwrap_or_default().to_string();
    match client.send(&bulk) {
        Ok(answer) => {
            let outcome = bulk_outcome(&answer.body, &requests, &path);
            record(writes, entity, |w| {
                w.upserted += outcome.written;
                w.failures.extend(outcome.failures);
            })
        }
        Err(e) if matches!(e.status(), Some(404 | 405)) => {
            if !no_bulk.swap(true, Ordering::SeqCst) {
                tracing::info!("the server has no {path} ({e}); writing {} one at a time", entity.plural);
            }
            one_by_one(requests)
        }
        Err(e) => record(writes, entity, |w| {
            w.failures.extend(requests.iter().map(|r| (r.entity_fqn.clone().unwrap_or_default(), e.to_string())))
        }),
    }
}

/// What a bulk write did: how many were written, and which failed and why.
#[derive(Debug, Default, PartialEq)]
struct BulkOutcome {
    written: u64,
    failures: Vec<(String, String)>,
}

/// Reads a BulkOperationResult. The server names a failed request by the FQN it gave it or by
/// the create request itself (when it failed before it had one), a written one by its FQN.
/// A request the answer accounts for neither way is a failure: nothing says it was written.
fn bulk_outcome(answer: &Value, requests: &[Request], path: &str) -> BulkOutcome {
    let fqn_of = |r: &Request| r.entity_fqn.clone().unwrap_or_default();
    let named = |item: &Value| -> Option<String> {
        match item.get("request")? {
            Value::String(fqn) => Some(fqn.clone()),
            request => {
                let name = request.get("name")?;
                requests.iter().find(|r| r.body.get("name") == Some(name)).map(fqn_of)
            }
        }
    };
    let list = |key: &str| answer.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut failed: HashMap<String, String> = HashMap::new();
    let mut unnamed_failures = Vec::new();
    for item in list("failedRequest") {
        let status = item.get("status").and_then(Value::as_u64).map_or(String::new(), |s| format!(" {s}"));
        let message = item.get("message").and_then(Value::as_str).unwrap_or("no reason given");
        let why = format!("PUT {path}: the server answered{status}: {message}");
        match named(&item) {
            Some(fqn) => {
                failed.insert(fqn, why);
            }
            None => unnamed_failures.push(why),
        }
    }
    let written: HashSet<String> = list("successRequest").iter().filter_map(named).collect();
    let mut outcome = BulkOutcome::default();
    for request in requests {
        let fqn = fqn_of(request);
        if let Some(why) = failed.remove(&fqn) {
            outcome.failures.push((fqn, why));
        } else if written.contains(&fqn) {
            outcome.written += 1;
        } else {
            let why = match unnamed_failures.first() {
                Some(why) => why.clone(),
                None => format!("PUT {path}: the server's answer does not say it was written"),
            };
            outcome.failures.push((fqn, why));
        }
    }
    outcome
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
        if !entity.bulk || sample.is_some() {
            // An entity with a sample is written on its own: the sample's path needs the id
            // that only a single write's answer carries.
            return self.send(Job::One { entity, request: Box::new(request), sample });
        }
        let (_, batch) = self.batches.entry(entity.entity_type).or_insert_with(|| (entity, Vec::new()));
        batch.push(request);
        if batch.len() >= self.batch_size {
            let requests = std::mem::take(batch);
            self.send(Job::Bulk { entity, requests })?;
        }
        Ok(())
    }

    fn labels(&mut self, entity: &'static Entity, fqn: &str, labels: &Labels, counts: &mut LabelCounts) -> Labelled {
        crate::labels::resolve(&self.client, &mut self.known_tags, &mut self.known_owners, entity, fqn, labels, counts)
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
        for (_, (entity, requests)) in std::mem::take(&mut self.batches) {
            if !requests.is_empty() && self.jobs.is_some() {
                self.send(Job::Bulk { entity, requests })?;
            }
        }
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
        crate::stale::delete_stale(&self.client, entity, service_name, service_fqn, seen, max_share)
    }

    fn abort(&mut self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.batches.clear();
    }

    fn close(mut self: Box<Self>, _: bool) -> Result<Option<String>> {
        self.finish_writes()?;
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn topic(name: &str) -> Request {
        let topic = endpoints::entity("topic").unwrap();
        requests::put_entity(topic, format!("svc.{name}"), json!({"name": name, "service": "svc"}))
    }

    #[test]
    fn a_bulk_answer_names_each_outcome_by_fqn_or_by_request() {
        let batch = [topic("a"), topic("b"), topic("c"), topic("d")];
        // As OpenMetadata answers: written ones by FQN, one failed before it had an FQN (the
        // create request itself), one failed after (its FQN); `d` is not accounted for.
        let answer = json!({
            "status": "partialSuccess",
            "successRequest": [{"request": "svc.a", "status": 200}],
            "failedRequest": [
                {"request": {"name": "b", "service": "svc"}, "message": "name is invalid", "status": 400},
                {"request": "svc.c", "message": "Entity does not exist", "status": 400}
            ]
        });
        let outcome = bulk_outcome(&answer, &batch, "/v1/topics/bulk");
        assert_eq!(outcome.written, 1);
        assert_eq!(
            outcome.failures,
            vec![
                ("svc.b".to_string(), "PUT /v1/topics/bulk: the server answered 400: name is invalid".to_string()),
                (
                    "svc.c".to_string(),
                    "PUT /v1/topics/bulk: the server answered 400: Entity does not exist".to_string()
                ),
                (
                    "svc.d".to_string(),
                    "PUT /v1/topics/bulk: the server's answer does not say it was written".to_string()
                ),
            ]
        );
        // An answer that is not a BulkOperationResult writes nothing it can vouch for.
        assert_eq!(bulk_outcome(&json!("ok"), &batch, "/v1/topics/bulk").written, 0);
    }

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
