//! One ingestion run: list the streams, filter them, describe the kept ones concurrently, and
//! hand the host one record at a time (through `plugin_sdk::run`, which owns the runtime).

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

use crate::aws::Account;
use crate::budget::Api;
use crate::config::Settings;
use crate::decode::Message;
use crate::infer;
use crate::kinesis::{Kinesis, Reads};
use crate::registry::schemas::Schemas;
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
    let Some(client) = plugin_sdk::run::opened(&out, connect(&settings).await).await else {
        return;
    };
    let counters = Arc::new(Counters::default());
    let (lister, names) = plugin_sdk::run::spawn_listing(&counters, |kept| {
        let (client, settings, counters) = (client.clone(), settings.clone(), counters.clone());
        async move { list_streams(&client, &settings, kept, &counters).await }
    });

    let describe_concurrency = settings.pipeline().describe_concurrency as usize;
    let sample_concurrency = settings.pipeline().sample_concurrency as usize;
    let sampler = Sampler::new(SampleSettings::from_config(settings.pipeline()), sample_concurrency);
    // Read once, by the first topic that needs it, while the others wait.
    let tag_source = tokio::sync::OnceCell::<Result<TagSource, String>>::new();
    let schemas = Schemas::default();
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
        if emit(&out, service, outcome, &mut status).await.is_err() {
            return; // the host dropped the stream: stop here
        }
    }
    note_tag_source(&tag_source, &mut status);
    plugin_sdk::run::close(&out, Listing::of(lister.await), status, client.calls(), TOPIC, &[service]).await;
}

/// The run's Kinesis, under the run's budget: reading registry schemas when samples may name
/// them, and tags when they are on.
async fn connect(settings: &Settings) -> Result<Kinesis, PluginError> {
    let budget = Arc::new(crate::budget::from_config(settings.pipeline()));
    let account = Account::for_run(settings.aws(), &Api::ALL, budget).await?;
    let reads = Reads {
        tags: settings.pipeline().include_tags(),
        registry: settings.pipeline().generate_sample_data.unwrap_or(false),
    };
    Ok(Kinesis::new(account, reads))
}

/// The host dropped the record stream.
struct Dropped;

/// Sends what became of one stream: a topic's records (entity, labels, schema origin, sample),
/// or its warning; counted in `status`.
async fn emit(
    out: &mpsc::Sender<Item>,
    service: &str,
    outcome: Outcome,
    status: &mut ListingStatus,
) -> Result<(), Dropped> {
    let send = |r: Record| async move { out.send(Ok(r)).await.map_err(|_| Dropped) };
    let warn = |warning: String, status: &mut ListingStatus| {
        tracing::warn!("{warning}");
        status.warnings.push(warning);
    };
    match outcome {
        Outcome::Topic { name, request, labels, origin, sample, warnings } => {
            tracing::debug!(stream = %name, partitions = request.partitions, "topic");
            for w in warnings {
                warn(w, status);
            }
            let fqn = [service, name.as_str()];
            send(record(RecordKind::Entity, &fqn, &request)).await?;
            status.emitted += 1;
            if let Some(labels) = labels.filter(|l| !l.tags.is_empty() || !l.owners.is_empty()) {
                send(record(RecordKind::Labels, &fqn, &labels)).await?;
            }
            if let Some(origin) = origin {
                send(record(RecordKind::SchemaOrigin, &fqn, &SchemaOrigin { origin })).await?;
            }
            if let Some(messages) = sample {
                send(record(RecordKind::SampleData, &fqn, &serde_json::json!({ "messages": messages }))).await?;
                status.samples_emitted += 1;
            }
        }
        Outcome::NotATopic { name, warning } => {
            warn(warning, status);
            status.not_yet.push(name);
        }
        Outcome::Unreadable { name, warning } => {
            warn(warning, status);
            status.unresolved.push(name);
        }
        Outcome::Vanished { name } => {
            warn(format!("stream '{name}' was deleted while the run read it; skipped"), status);
            status.vanished.push(name);
        }
    }
    Ok(())
}

/// How tags were read, when that is worth a warning: a call per stream, or not at all.
fn note_tag_source(tag_source: &tokio::sync::OnceCell<Result<TagSource, String>>, status: &mut ListingStatus) {
    let note = match tag_source.get() {
        Some(Ok(TagSource::PerStream(why))) => {
            format!("stream tags were read with ListTagsForStream, a call per stream: {why}")
        }
        Some(Err(why)) => format!("stream tags could not be read (the topics are written without them): {why}"),
        _ => return,
    };
    tracing::warn!("{note}");
    status.warnings.push(note);
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
    let request = match create_topic_request(&summary, &service_fqn, &settings.aws().aws_region) {
        Ok(request) => Box::new(request),
        Err(not_a_topic) => return Outcome::NotATopic { name, warning: not_a_topic.0 },
    };
    let mut warnings = Vec::new();
    let labels = if settings.pipeline().include_tags() {
        match labels_of(client, settings, tag_source, &name, &mut warnings).await {
            Ok(labels) => labels,
            Err(Gone) => return Outcome::Vanished { name },
        }
    } else {
        None
    };
    let mut topic = Outcome::Topic { name, request, labels, origin: None, sample: None, warnings };
    if settings.pipeline().generate_sample_data.unwrap_or(false) {
        let retention = Duration::from_secs(u64::try_from(summary.retention_period_hours.max(1)).unwrap_or(24) * 3600);
        topic = sample_of(client, settings, sampler, schemas, topic, retention).await;
    }
    topic
}

/// The stream was deleted while the run read it.
struct Gone;

/// The stream's tags as labels (`None`, with a warning, when they cannot be read).
async fn labels_of(
    client: &Kinesis,
    settings: &Settings,
    tag_source: &tokio::sync::OnceCell<Result<TagSource, String>>,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<Labels>, Gone> {
    let source =
        tag_source.get_or_init(|| async { client.tag_source(false).await.map_err(|e| e.message.into()) }).await;
    let tags = match source {
        Ok(TagSource::Account(streams)) => Ok(Some(streams.get(name).cloned().unwrap_or_default())),
        Ok(TagSource::PerStream(_)) => client.stream_tags(name).await,
        Err(_) => Ok(None), // said once for the run
    };
    Ok(match tags {
        Ok(Some(tags)) => Some(crate::tags::labels(&tags, &settings.pipeline().owner_tag_key)),
        Ok(None) if source.is_err() => None,
        Ok(None) if gone(client, name).await => return Err(Gone),
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
    })
}

/// The topic with its sample: read, decoded with registry schemas, given a message schema,
/// classified and masked. Without a sample when it cannot be read (said in a warning).
async fn sample_of(
    client: &Kinesis,
    settings: &Settings,
    sampler: &Sampler,
    schemas: &Schemas,
    topic: Outcome,
    retention: Duration,
) -> Outcome {
    let Outcome::Topic { name, mut request, labels, origin: _, sample: _, mut warnings } = topic else {
        return topic;
    };
    let sample = match sampler.read(client, &name, retention).await {
        Ok(sample) => sample,
        // Deleted since it was described: gone, like a stream that vanished before.
        Err(e) if e.is(plugin_abi::ErrorKind::NotFound) && gone(client, &name).await => {
            return Outcome::Vanished { name }
        }
        Err(e) => {
            warnings.push(if e.is(plugin_abi::ErrorKind::NotFound) {
                format!(
                    "reading the sample of stream '{name}' was answered not-found ({}), yet the stream exists \
                     (the topic is kept without its sample)",
                    e.message
                )
            } else {
                format!("could not read sample data of stream '{name}' (the topic is kept without it): {}", e.message)
            });
            return Outcome::Topic { name, request, labels, origin: None, sample: None, warnings };
        }
    };
    tracing::debug!(stream = %name, messages = sample.messages.len(), shards = sample.shards, calls = sample.get_records_calls, bytes = sample.bytes_read, "sample read");
    let (registered, messages) = schemas.apply(client, settings, &name, sample.messages).await;
    warnings.extend(registered.warnings);
    let (origin, messages) = match registered.message_schema {
        // The producers' own schema wins over one inferred from a few messages.
        Some(schema) => {
            request.message_schema = Some(schema);
            (Some(Origin::Registry), messages)
        }
        None if settings.pipeline().infer_message_schema => match inferred(&name, messages).await {
            Ok((schema, messages)) => {
                let origin = schema.is_some().then_some(Origin::Sample);
                request.message_schema = schema;
                (origin, messages)
            }
            Err(warning) => {
                warnings.push(warning);
                return Outcome::Topic { name, request, labels, origin: None, sample: None, warnings };
            }
        },
        None => (None, messages),
    };
    // Classification reads the schema and the messages as they are; masking comes after,
    // before anything leaves the plugin. CPU work: off the AWS workers.
    let classification = settings.pipeline().classification();
    let (topic, mut schema) = (name.clone(), request.message_schema.take());
    let classified = tokio::task::spawn_blocking(move || {
        let mut messages = messages;
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

/// The message schema inferred from the sample. CPU work: off the workers that drive the AWS
/// calls (the messages go and come back).
async fn inferred(name: &str, messages: Vec<Message>) -> Result<(Option<serde_json::Value>, Vec<Message>), String> {
    let topic = name.to_string();
    tokio::task::spawn_blocking(move || {
        let texts: Vec<(&str, bool)> = messages.iter().map(|m| (m.text.as_str(), m.truncated)).collect();
        let schema = infer::message_schema(&topic, &texts);
        (schema, messages)
    })
    .await
    .map_err(|e| format!("inferring the message schema of stream '{name}' failed: {e}"))
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
            Ok(page) => page.names,
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
