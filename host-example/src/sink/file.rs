//! The file sink: JSON lines in a temporary file, renamed over the target only after a run
//! that succeeded.

use super::*;

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

    /// A file holds nothing to merge with: every request is written as the plugin made it.
    fn stored(&mut self, _: &[&'static Entity], _: &str) -> Result<Option<Stored>> {
        Ok(None)
    }

    /// Never called: without [`Sink::stored`], no entity is found unchanged.
    fn sample(&mut self, entity: &'static Entity, _: &str, sample: Request) -> Result<()> {
        self.write(&sample)?;
        self.writes.of(entity).samples += 1;
        Ok(())
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
    fn labels(
        &mut self,
        _: &'static Entity,
        fqn: &str,
        labels: &Labels,
        _: Option<bool>,
        counts: &mut LabelCounts,
    ) -> Labelled {
        let mut out = Labelled::default();
        counts.entities += 1;
        for tag in &labels.tags {
            let written: Result<()> =
                self.known_tags.first_mentions(tag, counts).iter().try_for_each(|request| self.write(request));
            match written {
                Ok(()) => {
                    counts.tags_attached += 1;
                    out.tags.push(host_core::labels::tag_label(tag));
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
    fn lineage(&mut self, edges: Vec<LineageEdge>, _: Option<&Stored>) -> Result<LineageWrites> {
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
        service_fqn: &str,
        _: &[(String, String)],
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
