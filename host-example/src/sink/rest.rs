//! The OpenMetadata sink: the service first, then entities from a bounded pool of workers, then
//! lineage edges; the stale entities of a type through `crate::stale`.

use super::lookup::{describe, Lookup};
use super::workers::{write_bulk, write_entity, write_sample};
use super::*;

/// Writes, done by a worker.
enum Job {
    /// One entity and its sample, written after it with the id the server gave it.
    One { entity: &'static Entity, request: Box<Request>, sample: Option<Request> },
    /// Entities of one type without samples, in one `PUT {collection}/bulk`.
    Bulk { entity: &'static Entity, requests: Vec<Request> },
    /// The sample of an entity not written (the server holds it as it is), at its stored id.
    Sample { entity: &'static Entity, sample: Request },
}

/// Sends requests to an OpenMetadata server: the service first, then entities from a bounded
/// pool of workers (in bulk where OpenMetadata's own sink writes them so; each entity with a
/// sample on its own, the sample right after it with the id the server gave it), then lineage
/// edges.
pub struct RestSink {
    client: Client,
    jobs: Option<crossbeam_channel::Sender<Job>>,
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
    /// Whether OpenMetadata already holds the edge `request` would write (`host_core::converge::
    /// lineage`), read by its ends' ids. A failed read is a doubt, and a doubt is a write.
    fn edge_held(&self, request: &Request, from_id: &str, to_id: &str) -> bool {
        match self.client.call("GET", &endpoints::lineage_edge(from_id, to_id), None) {
            Ok(answer) => host_core::converge::lineage::held(&request.body, &answer.body),
            Err(e) if e.status() == Some(404) => false,
            Err(e) => {
                tracing::debug!("the stored edge could not be read, so it is written: {e}");
                false
            }
        }
    }

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
        // Bounded: a slow server holds the record loop back rather than queueing the run.
        let (tx, rx) = crossbeam_channel::bounded::<Job>(concurrency * 2);
        let writes = Arc::new(Mutex::new(Writes::default()));
        // Set by the first worker to learn that the server has no bulk endpoint (an older one).
        let no_bulk = Arc::new(AtomicBool::new(false));
        let workers = (0..concurrency)
            .map(|i| {
                let (client, rx, writes, cancelled, no_bulk) =
                    (client.clone(), rx.clone(), writes.clone(), cancelled.clone(), no_bulk.clone());
                std::thread::Builder::new()
                    .name(format!("om-sink-{i}"))
                    .spawn(move || {
                        for job in rx {
                            if cancelled.load(Ordering::SeqCst) {
                                continue; // drain the queue without writing
                            }
                            match job {
                                Job::One { entity, request, sample } => {
                                    write_entity(&client, entity, *request, sample, &writes)
                                }
                                Job::Bulk { entity, requests } => {
                                    write_bulk(&client, entity, requests, &writes, &no_bulk)
                                }
                                Job::Sample { entity, sample } => write_sample(&client, entity, sample, &writes),
                            }
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

impl Sink for RestSink {
    fn service(&mut self, request: Request) -> Result<()> {
        self.client.send(&request).map_err(|e| anyhow::anyhow!("cannot create the service: {e}"))?;
        Ok(())
    }

    fn stored(&mut self, entities: &[&'static Entity], service_name: &str) -> Result<Option<Stored>> {
        let mut stored = Stored::default();
        for entity in entities {
            let fields = host_core::converge::listing_fields(entity.entity_type);
            self.client
                .list(entity, service_name, Some(fields), |page| stored.add_page(entity.entity_type, page))
                .map_err(|e| anyhow::anyhow!("cannot read the service's {} in OpenMetadata: {e}", entity.plural))?;
        }
        Ok(Some(stored))
    }

    fn sample(&mut self, entity: &'static Entity, id: &str, mut sample: Request) -> Result<()> {
        sample.path = sample.path.replace("{id}", id);
        self.send(Job::Sample { entity, sample })
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

    fn labels(
        &mut self,
        entity: &'static Entity,
        fqn: &str,
        labels: &Labels,
        has_owners: Option<bool>,
        counts: &mut LabelCounts,
    ) -> Labelled {
        let known = crate::labels::Known { tags: &mut self.known_tags, owners: &mut self.known_owners };
        crate::labels::resolve(&self.client, known, entity, fqn, labels, has_owners, counts)
    }

    fn lineage(&mut self, edges: Vec<LineageEdge>, stored: Option<&Stored>) -> Result<LineageWrites> {
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
            let ends = [Some(&edge.from), Some(&edge.to), edge.pipeline.as_ref()];
            let ends = ends.into_iter().flatten().enumerate().map(|(i, end)| (end.entity_type.as_str(), id(i)));
            let listed = |t: &str, id: &str| stored.and_then(|s| s.holds(t, id));
            if host_core::converge::lineage::worth_reading(ends, listed) && self.edge_held(&request, id(0), id(1)) {
                done.unchanged += 1;
                continue;
            }
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
        service_fqn: &str,
        existing: &[(String, String)],
        seen: Vec<String>,
        max_share: f64,
    ) -> Result<String> {
        crate::stale::delete_stale(&self.client, entity, service_fqn, existing, seen, max_share)
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
