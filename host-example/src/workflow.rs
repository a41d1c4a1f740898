//! OpenMetadata ingestion workflow files, as `metadata ingest -c` reads them: YAML (or JSON)
//! with `$VAR` / `${VAR}` expanded from the environment first, as Python's
//! `os.path.expandvars` does (unknown variables are left as they are).

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::Value;

/// The top level of a workflow (OpenMetadata's `OpenMetadataWorkflowConfig`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // some fields are only accepted, so that OpenMetadata's workflows parse
pub struct Workflow {
    /// Handed to the plugin as it is (its own schema validates it).
    pub source: Value,
    #[serde(default)]
    pub sink: Option<Sink>,
    pub workflow_config: WorkflowConfig,
    // Accepted so that OpenMetadata's workflows parse; this host does not use them.
    #[serde(default)]
    pub processor: Option<Value>,
    #[serde(default)]
    pub stage: Option<Value>,
    #[serde(default)]
    pub bulk_sink: Option<Value>,
    #[serde(default, rename = "ingestionPipelineFQN")]
    pub ingestion_pipeline_fqn: Option<String>,
    #[serde(default)]
    pub pipeline_run_id: Option<String>,
    #[serde(default)]
    pub enable_streamable_logs: Option<bool>,
    #[serde(default)]
    pub ingestion_runner_name: Option<String>,
    /// Set when `source.serviceConnection` was taken from the server (not part of the file).
    #[serde(skip)]
    pub stored_connection_used: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sink {
    #[serde(rename = "type")]
    pub sink_type: String,
    #[serde(default)]
    pub config: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // some fields are only accepted, so that OpenMetadata's workflows parse
pub struct WorkflowConfig {
    #[serde(default)]
    pub logger_level: Option<LoggerLevel>,
    #[serde(default)]
    pub raise_on_error: Option<bool>,
    #[serde(default)]
    pub success_threshold: Option<u8>,
    /// The OpenMetadata server; only `storeServiceConnection` matters to the file sink.
    pub open_metadata_server_config: Value,
    #[serde(default)]
    pub config: Option<Value>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum LoggerLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl Workflow {
    pub fn load(path: &Path) -> Result<Self> {
        let raw =
            std::fs::read_to_string(path).with_context(|| format!("cannot read workflow file {}", path.display()))?;
        Self::parse(&raw).with_context(|| format!("workflow file {} is not a valid workflow", path.display()))
    }

    pub fn parse(raw: &str) -> Result<Self> {
        let expanded = expand_vars(raw, |name| std::env::var(name).ok());
        let value: Value = serde_norway::from_str(&expanded)?;
        let mut wf: Workflow = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            anyhow::anyhow!("at {path}: {}", e.inner())
        })?;
        // `metadata ingest` reads the source type lowercased (`Kinesis` is `kinesis`).
        if let Some(Value::String(t)) = wf.source.get_mut("type") {
            *t = t.to_lowercase();
        }
        if !wf.source.is_object() {
            bail!("at source: expected a mapping");
        }
        if wf.workflow_config.success_threshold.is_some_and(|t| t > 100) {
            bail!("at workflowConfig.successThreshold: a percentage, from 0 to 100");
        }
        Ok(wf)
    }

    /// `source.type` (e.g. `kinesis`).
    pub fn source_type(&self) -> Option<&str> {
        self.source.get("type").and_then(Value::as_str)
    }

    /// `source.serviceConnection.config.type` (e.g. `Kinesis`).
    pub fn connection_type(&self) -> Option<&str> {
        self.source.pointer("/serviceConnection/config/type").and_then(Value::as_str)
    }

    pub fn service_name(&self) -> Option<&str> {
        self.source.get("serviceName").and_then(Value::as_str)
    }

    /// `workflowConfig.successThreshold` (default 90, as OpenMetadata's).
    pub fn success_threshold(&self) -> u8 {
        self.workflow_config.success_threshold.unwrap_or(90)
    }

    /// `workflowConfig.openMetadataServerConfig.storeServiceConnection` (default true).
    pub fn store_service_connection(&self) -> bool {
        self.workflow_config
            .open_metadata_server_config
            .get("storeServiceConnection")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }
}

/// `$NAME` and `${NAME}` replaced by `lookup(NAME)`; left as written when it has no value.
pub fn expand_vars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, written_len) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], end)
        };
        match (written_len, lookup(name)) {
            (n, Some(value)) if n > 0 && !name.is_empty() => {
                out.push_str(&value);
                rest = &after[written_len..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_like_python_expandvars() {
        let env = |n: &str| (n == "TOKEN").then(|| "abc".to_string());
        assert_eq!(expand_vars("t: $TOKEN", env), "t: abc");
        assert_eq!(expand_vars("t: ${TOKEN}x", env), "t: abcx");
        assert_eq!(expand_vars("t: $MISSING ${MISSING} $", env), "t: $MISSING ${MISSING} $");
        assert_eq!(expand_vars("a$$TOKEN", env), "a$abc");
    }

    #[test]
    fn unknown_top_level_keys_are_rejected_with_their_name() {
        let e = Workflow::parse("source: {type: kinesis}\nworkflowConfig: {openMetadataServerConfig: {}}\nsinc: {}\n")
            .unwrap_err();
        assert!(format!("{e:#}").contains("sinc"), "{e:#}");
    }
}
