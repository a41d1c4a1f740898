//! One ingestion run: list the streams, filter them, describe the kept ones concurrently, and
//! hand the host one record at a time (through `plugin_sdk::run`, which owns the runtime).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use plugin_abi::{
    entity_type::TOPIC,
    envelope::{Labels, ListingStatus, Origin, SchemaOrigin},
    fqn, PluginError, Record, RecordKind,
};
use plugin_sdk::run::{Counters, Item, Listing, ProgressTicker, Run};
use tokio::sync::mpsc;

use aws_sdk_kinesis::types::StreamDescriptionSummary;

use plugin_aws::source::AwsSettings as _;

use crate::config::Settings;
use crate::decode::Message;
use crate::infer;
use crate::kinesis::Kinesis;
use crate::kinesis::SchemaVersionRef;
use crate::registry::SchemaVersion;
use crate::sample::{SampleSettings, Sampler};
use crate::tags::TagSource;
use crate::topic::{create_topic_request, CreateTopicRequest};

/// Starts a run in the background and returns at once. `log` is where the run's events go.
pub fn start(settings: Settings, log: tracing::Dispatch) -> Result<Run, PluginError> {
    plugin_sdk::run::start("kinesis-plugin", log, move |out| produce(Arc::new(settings), out))
}

/// A record about a topic of the run's service (or, for a listing status, about the service).
fn record(kind: RecordKind, fqn: &[&str], body: &impl serde::Serialize) -> Record {
    Record::new(kind, TOPIC, fqn, body)
}

async fn produce(settings: Arc<Settings>, out: mpsc::Sender<Item>) {
    let budget = Arc::new(crate::budget::from_config(settings.pipeline()));
    let client = match crate::aws::sdk_config(settings.aws()).await {
        Ok(config) => {
            let retries = crate::aws::Retries::Run(budget.clone());
            let kinesis = Kinesis::new(
                crate::aws::kinesis_client(&config, settings.aws(), retries.clone()),
                budget,
                crate::aws::endpoint_name(settings.aws()),
            );
            // Sampled records may name schemas of the Glue Schema Registry.
            let kinesis = if settings.pipeline().generate_sample_data.unwrap_or(false) {
                kinesis.with_glue(crate::aws::glue_client(&config, settings.aws(), retries.clone()))
            } else {
                kinesis
            };
            if settings.pipeline().include_tags() {
                kinesis.with_tagging(crate::aws::tagging_client(&config, settings.aws(), retries))
            } else {
                kinesis
            }
        }
        Err(e) => {
            let _ = out.send(Err(e)).await;
            return;
        }
    };
    // Names are small, and a ListStreams token expires: the listing never waits for the
    // describing and sampling behind it.
    let (names_tx, names_rx) = mpsc::unbounded_channel::<String>();

    let counters = Arc::new(Counters::default());
    let lister = {
        let (client, settings, counters) = (client.clone(), settings.clone(), counters.clone());
        tokio::spawn(async move {
            let listing = list_streams(&client, &settings, names_tx, &counters).await;
            counters.listing_done.store(true, std::sync::atomic::Ordering::Relaxed);
            listing
        })
    };

    let describe_concurrency = settings.pipeline().describe_concurrency as usize;
    let sample_concurrency = settings.pipeline().sample_concurrency as usize;
    let sampler = Sampler::new(SampleSettings::from_config(settings.pipeline()), sample_concurrency);
    // Read once, by the first topic that needs it, while the others wait.
    let tag_source = tokio::sync::OnceCell::<Result<TagSource, String>>::new();
    let schemas = Schemas::default();
    let names = futures::stream::unfold(names_rx, |mut rx| async move { rx.recv().await.map(|n| (n, rx)) });
    let outcomes = names
        .map(|name| {
            let client = client.clone();
            async move {
                let result = client.describe_stream(&name).await;
                (name, result)
            }
        })
        .buffer_unordered(describe_concurrency)
        .map(|(name, described)| prepare(&client, &settings, &sampler, &tag_source, &schemas, name, described))
        .buffer_unordered(sample_concurrency);
    let mut outcomes = std::pin::pin!(outcomes);

    let mut status = ListingStatus::default();
    let service = settings.service_name();
    let mut ticker = ProgressTicker::new();
    while let Some(outcome) = outcomes.next().await {
        Counters::add(&counters.described);
        if let Outcome::Topic { sample: Some(_), .. } = &outcome {
            Counters::add(&counters.sampled);
        }
        if let Some(progress) = ticker.due(&counters, TOPIC, &[service]) {
            if out.send(Ok(progress)).await.is_err() {
                return;
            }
        }
        match outcome {
            Outcome::Topic { name, request, labels, origin, sample, warnings } => {
                tracing::debug!(stream = %name, partitions = request.partitions, "topic");
                for w in warnings {
                    tracing::warn!("{w}");
                    status.warnings.push(w);
                }
                if out.send(Ok(record(RecordKind::Entity, &[service, &name], &request))).await.is_err() {
                    return; // the host dropped the stream: stop here
                }
                status.emitted += 1;
                if let Some(labels) = labels.filter(|l| !l.tags.is_empty() || !l.owners.is_empty()) {
                    if out.send(Ok(record(RecordKind::Labels, &[service, &name], &labels))).await.is_err() {
                        return;
                    }
                }
                if let Some(origin) = origin {
                    let body = SchemaOrigin { origin };
                    if out.send(Ok(record(RecordKind::SchemaOrigin, &[service, &name], &body))).await.is_err() {
                        return;
                    }
                }
                if let Some(messages) = sample {
                    let payload = serde_json::json!({ "messages": messages });
                    if out.send(Ok(record(RecordKind::SampleData, &[service, &name], &payload))).await.is_err() {
                        return;
                    }
                    status.samples_emitted += 1;
                }
            }
            Outcome::NotATopic { name, warning } => {
                tracing::warn!("{warning}");
                status.warnings.push(warning);
                status.not_yet.push(name);
            }
            Outcome::Unreadable { name, warning } => {
                tracing::warn!("{warning}");
                status.warnings.push(warning);
                status.unresolved.push(name);
            }
            Outcome::Vanished { name } => {
                let warning = format!("stream '{name}' was deleted while the run read it; skipped");
                tracing::warn!("{warning}");
                status.warnings.push(warning);
                status.vanished.push(name);
            }
        }
    }

    match tag_source.get() {
        Some(Ok(TagSource::PerStream(why))) => {
            let note = format!("stream tags were read with ListTagsForStream, a call per stream: {why}");
            tracing::warn!("{note}");
            status.warnings.push(note);
        }
        Some(Err(why)) => {
            let warning = format!("stream tags could not be read (the topics are written without them): {why}");
            tracing::warn!("{warning}");
            status.warnings.push(warning);
        }
        _ => {}
    }
    Listing::of(lister.await).finish(&mut status, client.calls());
    let _ = out.send(Ok(record(RecordKind::ListingStatus, &[service], &status))).await;
}

/// What became of one listed (and kept) stream.
enum Outcome {
    /// A topic, with its labels when tags are on, and its sample's messages when sample data
    /// is on and could be read.
    Topic {
        name: String,
        request: Box<CreateTopicRequest>,
        labels: Option<Labels>,
        /// Where the request's message schema came from, when it has one.
        origin: Option<Origin>,
        sample: Option<Vec<String>>,
        warnings: Vec<String>,
    },
    /// It exists but cannot be a topic yet (no open shard).
    NotATopic { name: String, warning: String },
    /// It could not be described.
    Unreadable { name: String, warning: String },
    /// It was deleted between listing and describing.
    Vanished { name: String },
}

/// Builds a described stream's topic request, and reads its sample first when sample data is
/// on, since the topic's inferred message schema comes from the sample.
async fn prepare(
    client: &Kinesis,
    settings: &Settings,
    sampler: &Sampler,
    tag_source: &tokio::sync::OnceCell<Result<TagSource, String>>,
    schemas: &Schemas,
    name: String,
    described: Result<Option<StreamDescriptionSummary>, PluginError>,
) -> Outcome {
    let summary = match described {
        Ok(Some(summary)) => summary,
        Ok(None) => return Outcome::Vanished { name },
        Err(e) => {
            return Outcome::Unreadable { warning: format!("could not describe stream '{name}': {}", e.message), name }
        }
    };
    let service_fqn = fqn::quote(settings.service_name());
    let mut request = match create_topic_request(&summary, &service_fqn, &settings.aws().aws_region) {
        Ok(request) => Box::new(request),
        Err(not_a_topic) => return Outcome::NotATopic { name, warning: not_a_topic.0 },
    };
    let mut warnings = Vec::new();
    let labels = if settings.pipeline().include_tags() {
        let source =
            tag_source.get_or_init(|| async { client.tag_source(false).await.map_err(|e| e.message.into()) }).await;
        let tags = match source {
            Ok(TagSource::Account(streams)) => Ok(Some(streams.get(&name).cloned().unwrap_or_default())),
            Ok(TagSource::PerStream(_)) => client.stream_tags(&name).await,
            Err(_) => Ok(None), // said once for the run
        };
        match tags {
            Ok(Some(tags)) => Some(crate::tags::labels(&tags, &settings.pipeline().owner_tag_key)),
            Ok(None) if source.is_err() => None,
            Ok(None) if gone(client, &name).await => return Outcome::Vanished { name },
            Ok(None) => {
                warnings.push(format!(
                    "the tags of stream '{name}' were not found, yet the stream exists (the topic is kept without them)"
                ));
                None
            }
            Err(e) => {
                warnings.push(format!(
                    "could not read the tags of stream '{name}' (the topic is kept without them): {}",
                    e.message
                ));
                None
            }
        }
    } else {
        None
    };
    let pipeline = settings.pipeline();
    if !pipeline.generate_sample_data.unwrap_or(false) {
        return Outcome::Topic { name, request, labels, origin: None, sample: None, warnings };
    }
    let retention = Duration::from_secs(u64::try_from(summary.retention_period_hours.max(1)).unwrap_or(24) * 3600);
    match sampler.read(client, &name, retention).await {
        Ok(sample) => {
            tracing::debug!(stream = %name, messages = sample.messages.len(), shards = sample.shards, calls = sample.get_records_calls, bytes = sample.bytes_read, "sample read");
            let (registered, mut messages) = schemas.apply(client, settings, &name, sample.messages).await;
            warnings.extend(registered.warnings);
            let mut origin = None;
            if let Some(schema) = registered.message_schema {
                // The producers' own schema wins over one inferred from a few messages.
                request.message_schema = Some(schema);
                origin = Some(Origin::Registry);
            } else if pipeline.infer_message_schema {
                // CPU work: off the workers that drive the AWS calls (the messages go and come back).
                let topic = name.clone();
                let inferred = tokio::task::spawn_blocking(move || {
                    let texts: Vec<(&str, bool)> = messages.iter().map(|m| (m.text.as_str(), m.truncated)).collect();
                    let schema = infer::message_schema(&topic, &texts);
                    (schema, messages)
                })
                .await;
                match inferred {
                    Ok((schema, back)) => {
                        origin = schema.is_some().then_some(Origin::Sample);
                        request.message_schema = schema;
                        messages = back;
                    }
                    Err(e) => {
                        warnings.push(format!("inferring the message schema of stream '{name}' failed: {e}"));
                        return Outcome::Topic { name, request, labels, origin: None, sample: None, warnings };
                    }
                }
            }
            // Classification reads the schema and the messages as they are; masking comes
            // after, before anything leaves the plugin. CPU work: off the AWS workers.
            let classification = pipeline.classification();
            let (topic, mut schema) = (name.clone(), request.message_schema.take());
            let classified = tokio::task::spawn_blocking(move || {
                let found = crate::classify::classify_and_mask(&topic, classification, schema.as_mut(), &mut messages);
                (found, schema, messages)
            })
            .await;
            let messages = match classified {
                Ok((found, schema, messages)) => {
                    warnings.extend(found);
                    request.message_schema = schema;
                    messages
                }
                Err(e) => {
                    // Unmasked messages never leave: the topic goes without its sample.
                    warnings.push(format!("classifying the sample of stream '{name}' failed: {e}"));
                    return Outcome::Topic { name, request, labels, origin, sample: None, warnings };
                }
            };
            let texts = messages.into_iter().map(|m| m.text).collect();
            warnings.extend(sample.warnings);
            Outcome::Topic { name, request, labels, origin, sample: Some(texts), warnings }
        }
        // Deleted since it was described: gone, like a stream that vanished before.
        Err(e) if e.is(plugin_abi::ErrorKind::NotFound) && gone(client, &name).await => Outcome::Vanished { name },
        Err(e) if e.is(plugin_abi::ErrorKind::NotFound) => {
            warnings.push(format!(
                "reading the sample of stream '{name}' was answered not-found ({}), yet the stream exists \
                 (the topic is kept without its sample)",
                e.message
            ));
            Outcome::Topic { name, request, labels, origin: None, sample: None, warnings }
        }
        Err(e) => {
            warnings.push(format!(
                "could not read sample data of stream '{name}' (the topic is kept without it): {}",
                e.message
            ));
            Outcome::Topic { name, request, labels, origin: None, sample: None, warnings }
        }
    }
}

/// Whether a described stream whose shard or tags were answered not-found is really gone: a
/// shard's not-found (a shard that expired, an iterator that aged) says nothing about its
/// stream, and a stream that counts as gone has its topic soft-deleted. Gone only when
/// DescribeStreamSummary says so; a describe that fails keeps the stream.
async fn gone(client: &Kinesis, name: &str) -> bool {
    matches!(client.describe_stream(name).await, Ok(None))
}

/// Pages through ListStreams, sending the names the filter keeps. A failed page ends the
/// listing as incomplete (the SDK has already retried it), and so does a filter pattern that
/// cannot decide about a name.
async fn list_streams(
    client: &Kinesis,
    settings: &Settings,
    kept: mpsc::UnboundedSender<String>,
    counters: &Counters,
) -> Listing {
    let mut listing = Listing::default();
    let mut pages = client.stream_pages();
    while let Some(page) = pages.next().await {
        let names = match page {
            Ok(names) => names,
            Err(e) => {
                tracing::error!("listing streams failed: ListStreams {}", e.message);
                listing.failure = Some(format!("ListStreams {}", e.message));
                break;
            }
        };
        tracing::debug!(streams = names.len(), "ListStreams page");
        if !listing.take_page(names, &settings.filter, counters, &kept) {
            break;
        }
    }
    listing
}

/// The schema versions of the Glue Schema Registry a run has read: each once, by the first
/// topic that needs it, while others wait.
#[derive(Default)]
struct Schemas {
    versions: tokio::sync::Mutex<HashMap<SchemaVersionRef, Arc<Fetched>>>,
}

type Fetched = tokio::sync::OnceCell<Result<Option<Arc<SchemaVersion>>, String>>;

/// What the registry made of a topic's sample.
#[derive(Default)]
struct Registered {
    message_schema: Option<serde_json::Value>,
    warnings: Vec<String>,
}

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
    async fn apply(
        &self,
        client: &Kinesis,
        settings: &Settings,
        stream: &str,
        mut messages: Vec<Message>,
    ) -> (Registered, Vec<Message>) {
        let mapped = settings
            .pipeline()
            .schema_registry_mapping
            .iter()
            .find(|m| m.stream_name == stream)
            .map(|m| SchemaVersionRef::Latest { registry: m.registry_name.clone(), schema: m.schema_name.clone() });
        let max = settings.pipeline().sample_max_message_bytes as usize;
        let mut out = Registered::default();
        let mut unreadable: Vec<SchemaVersionRef> = Vec::new();
        // Each message's schema, when it has one that could be read.
        let mut schemas: Vec<Option<Arc<SchemaVersion>>> = Vec::with_capacity(messages.len());
        for message in &messages {
            let named = message.payload.as_ref().and_then(|p| p.version_id.clone()).map(SchemaVersionRef::Id);
            let Some(version) = named.or_else(|| mapped.clone()).filter(|v| !unreadable.contains(v)) else {
                schemas.push(None);
                continue;
            };
            match self.get(client, &version).await {
                Ok(Some(schema)) => schemas.push(Some(schema)),
                Ok(None) => {
                    out.warnings.push(format!(
                        "{version}, named for stream '{stream}', is not in the Glue Schema Registry; its messages are shown as read and the inferred schema is kept"
                    ));
                    unreadable.push(version);
                    schemas.push(None);
                }
                Err(why) => {
                    out.warnings.push(format!(
                        "{version}, named for stream '{stream}', could not be read from the Glue Schema Registry ({why}); the inferred schema is kept"
                    ));
                    unreadable.push(version);
                    schemas.push(None);
                }
            }
        }
        if schemas.iter().all(Option::is_none) {
            return (out, messages);
        }
        let topic = stream.to_string();
        let decoded = tokio::task::spawn_blocking(move || {
            let message_schema = schemas.iter().flatten().next().map(|schema| (schema.label.clone(), schema.message_schema()));
            let mut undecodable: Option<(usize, String)> = None;
            for (message, schema) in messages.iter_mut().zip(&schemas) {
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
        })
        .await;
        match decoded {
            Ok((message_schema, undecodable, back)) => {
                out.message_schema = match message_schema {
                    // A registry schema is authoritative: one without fields would take every
                    // stored field away, so the inferred schema stands in for it.
                    Some((label, schema)) if crate::registry::has_no_fields(&schema) => {
                        out.warnings.push(format!(
                            "{label}, named for stream '{topic}': no fields could be read from its definition; the inferred schema is kept"
                        ));
                        None
                    }
                    other => other.map(|(_, schema)| schema),
                };
                if let Some((count, why)) = undecodable {
                    out.warnings.push(format!(
                        "{count} sampled message(s) of stream '{topic}' could not be decoded with their registry schema (the first: {why}); they are shown as read"
                    ));
                }
                (out, back)
            }
            Err(e) => {
                out.warnings
                    .push(format!("decoding the sample of stream '{topic}' with its registry schema failed: {e}"));
                (out, Vec::new())
            }
        }
    }
}
