//! The schema versions of the Glue Schema Registry a run has read, and what they make of a
//! topic's sample: its messages decoded, and its message schema.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Settings;
use crate::decode::Message;
use crate::kinesis::{Kinesis, SchemaVersionRef};
use crate::registry::{has_no_fields, SchemaVersion};

/// The schema versions a run has read: each once, by the first topic that needs it, while
/// others wait.
#[derive(Default)]
pub struct Schemas {
    versions: tokio::sync::Mutex<HashMap<SchemaVersionRef, Arc<Fetched>>>,
}

type Fetched = tokio::sync::OnceCell<Result<Option<Arc<SchemaVersion>>, String>>;

/// What the registry made of a topic's sample.
#[derive(Default)]
pub struct Registered {
    pub message_schema: Option<serde_json::Value>,
    pub warnings: Vec<String>,
}

/// What decoding a sample gave: the topic's schema (with its label), the messages that could
/// not be decoded (how many, and why the first), and the messages.
type Decoded = (Option<(String, serde_json::Value)>, Option<(usize, String)>, Vec<Message>);

impl Schemas {
    async fn get(&self, client: &Kinesis, version: &SchemaVersionRef) -> Result<Option<Arc<SchemaVersion>>, String> {
        let cell = self.versions.lock().await.entry(version.clone()).or_default().clone();
        cell.get_or_init(|| async {
            client.schema_version(version).await.map(|v| v.map(Arc::new)).map_err(|e| e.message.into())
        })
        .await
        .clone()
    }

    /// Decodes the sampled messages of `stream` with their registry schemas (the version a
    /// framed record names, else the one `schemaRegistryMapping` names for the stream); the
    /// schema of the newest message that has one is the topic's. The schemas are fetched here;
    /// decoding and building the message schema are CPU work, done off the workers that drive
    /// the AWS calls (the messages go and come back).
    pub async fn apply(
        &self,
        client: &Kinesis,
        settings: &Settings,
        stream: &str,
        messages: Vec<Message>,
    ) -> (Registered, Vec<Message>) {
        let mut out = Registered::default();
        let schemas = self.fetch(client, settings, stream, &messages, &mut out.warnings).await;
        if schemas.iter().all(Option::is_none) {
            return (out, messages);
        }
        let max = settings.pipeline().sample_max_message_bytes as usize;
        match tokio::task::spawn_blocking(move || decode(messages, &schemas, max)).await {
            Ok((message_schema, undecodable, back)) => {
                out.message_schema = match message_schema {
                    // A registry schema is authoritative: one without fields would take every
                    // stored field away, so the inferred schema stands in for it.
                    Some((label, schema)) if has_no_fields(&schema) => {
                        out.warnings.push(format!(
                            "{label}, named for stream '{stream}': no fields could be read from its definition; the inferred schema is kept"
                        ));
                        None
                    }
                    other => other.map(|(_, schema)| schema),
                };
                if let Some((count, why)) = undecodable {
                    out.warnings.push(format!(
                        "{count} sampled message(s) of stream '{stream}' could not be decoded with their registry schema (the first: {why}); they are shown as read"
                    ));
                }
                (out, back)
            }
            Err(e) => {
                out.warnings
                    .push(format!("decoding the sample of stream '{stream}' with its registry schema failed: {e}"));
                (out, Vec::new())
            }
        }
    }

    /// Each message's schema, when it has one that could be read; a version that cannot be is
    /// said once in `warnings`.
    async fn fetch(
        &self,
        client: &Kinesis,
        settings: &Settings,
        stream: &str,
        messages: &[Message],
        warnings: &mut Vec<String>,
    ) -> Vec<Option<Arc<SchemaVersion>>> {
        let mapped = settings
            .pipeline()
            .schema_registry_mapping
            .iter()
            .find(|m| m.stream_name == stream)
            .map(|m| SchemaVersionRef::Latest { registry: m.registry_name.clone(), schema: m.schema_name.clone() });
        let mut unreadable: Vec<SchemaVersionRef> = Vec::new();
        let mut schemas = Vec::with_capacity(messages.len());
        for message in messages {
            let named = message.payload.as_ref().and_then(|p| p.version_id.clone()).map(SchemaVersionRef::Id);
            let Some(version) = named.or_else(|| mapped.clone()).filter(|v| !unreadable.contains(v)) else {
                schemas.push(None);
                continue;
            };
            match self.get(client, &version).await {
                Ok(Some(schema)) => schemas.push(Some(schema)),
                Ok(None) => {
                    warnings.push(format!(
                        "{version}, named for stream '{stream}', is not in the Glue Schema Registry; its messages are shown as read and the inferred schema is kept"
                    ));
                    unreadable.push(version);
                    schemas.push(None);
                }
                Err(why) => {
                    warnings.push(format!(
                        "{version}, named for stream '{stream}', could not be read from the Glue Schema Registry ({why}); the inferred schema is kept"
                    ));
                    unreadable.push(version);
                    schemas.push(None);
                }
            }
        }
        schemas
    }
}

/// Decodes each message with its schema (texts cut at `max` bytes).
fn decode(mut messages: Vec<Message>, schemas: &[Option<Arc<SchemaVersion>>], max: usize) -> Decoded {
    let message_schema = schemas.iter().flatten().next().map(|schema| (schema.label.clone(), schema.message_schema()));
    let mut undecodable: Option<(usize, String)> = None;
    for (message, schema) in messages.iter_mut().zip(schemas) {
        let Some(schema) = schema else { continue };
        let bytes = message.payload.as_ref().map_or(message.text.as_bytes(), |p| p.bytes.as_slice());
        match schema.decode(bytes) {
            Some(Ok(text)) => {
                let decoded = crate::decode::truncate_text(&text, max);
                message.text = decoded.text;
                message.truncated = decoded.truncated;
            }
            Some(Err(why)) => {
                let (count, _) = undecodable.get_or_insert((0, why));
                *count += 1;
            }
            None => {}
        }
    }
    (message_schema, undecodable, messages)
}
