//! Where a run's requests go. `file` (OpenMetadata's file sink, configured the same way) writes
//! them as JSON lines; the OpenMetadata REST sink comes later.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::requests::Request;
use crate::workflow::Workflow;

/// The sink a workflow asks for.
pub enum SinkConfig {
    File { filename: PathBuf },
}

impl SinkConfig {
    pub fn from_workflow(workflow: &Workflow) -> Result<Self> {
        let Some(sink) = &workflow.sink else {
            bail!("the workflow has no `sink`; add `sink: {{type: file, config: {{filename: out.jsonl}}}}`")
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
            "metadata-rest" => bail!(
                "sink.type: `metadata-rest` is not supported by this version of the host yet; \
                 use `sink: {{type: file, config: {{filename: PATH}}}}`"
            ),
            other => bail!("sink.type: unknown sink `{other}` (this host has: file)"),
        }
    }
}

/// Writes requests as JSON lines to a temporary file beside the target, renamed into place when
/// the run ends, so that a crash never leaves a half-written file under the target name.
pub struct FileSink {
    target: PathBuf,
    partial: PathBuf,
    out: BufWriter<File>,
    pub written: u64,
}

impl FileSink {
    pub fn create(target: PathBuf) -> Result<Self> {
        let mut partial = target.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial)
            .with_context(|| format!("sink.config.filename: cannot create {}", partial.display()))?;
        Ok(FileSink { target, partial, out: BufWriter::new(file), written: 0 })
    }

    pub fn write(&mut self, request: &Request) -> Result<()> {
        serde_json::to_writer(&mut self.out, request)?;
        self.out.write_all(b"\n").with_context(|| format!("cannot write to {}", self.partial.display()))?;
        self.written += 1;
        Ok(())
    }

    /// Flushes and moves the file into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        self.out.flush().with_context(|| format!("cannot write to {}", self.partial.display()))?;
        self.out.get_ref().sync_all().ok();
        std::fs::rename(&self.partial, &self.target)
            .with_context(|| format!("cannot move {} to {}", self.partial.display(), self.target.display()))?;
        Ok(self.target)
    }

    /// Removes the partial file (after an error that leaves nothing worth keeping).
    pub fn discard(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}
