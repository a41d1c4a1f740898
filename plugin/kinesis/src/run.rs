//! One ingestion run: list the streams, filter them, describe the kept ones concurrently, and
//! hand the host one record at a time (through `plugin_aws::run`, which owns the runtime).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use plugin_abi::{entity_type::TOPIC, envelope::ListingStatus, fqn, PluginError, Record, RecordKind};
use plugin_aws::run::{Counters, Item, Listing, ProgressTicker, Run};
use tokio::sync::mpsc;

use aws_sdk_kinesis::types::StreamDescriptionSummary;

use crate::config::Settings;
use crate::infer;
use crate::kinesis::Kinesis;
use crate::sample::{SampleSettings, Sampler};
use crate::topic::{create_topic_request, CreateTopicRequest};

/// Starts a run in the background and returns at once. `log` is where the run's events go.
pub fn start(settings: Settings, log: tracing::Dispatch) -> Result<Run, PluginError> {
    plugin_aws::run::start("kinesis-plugin", log, move |out| produce(Arc::new(settings), out))
}

/// A record about a topic of the run's service (or, for a listing status, about the service).
fn record(kind: RecordKind, fqn: &[&str], body: &impl serde::Serialize) -> Record {
    Record::new(kind, TOPIC, fqn, body)
}

async fn produce(settings: Arc<Settings>, out: mpsc::Sender<Item>) {
    let budget = Arc::new(crate::budget::from_config(settings.pipeline()));
    let client = match crate::aws::sdk_config(settings.aws()).await {
        Ok(config) => Kinesis::new(
            crate::aws::kinesis_client(&config, settings.aws(), crate::aws::Retries::Run(budget.clone())),
            budget,
            crate::aws::endpoint_name(settings.aws()),
        ),
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
        .map(|(name, described)| prepare(&client, &settings, &sampler, name, described))
        .buffer_unordered(sample_concurrency);
    let mut outcomes = std::pin::pin!(outcomes);

    let mut status = ListingStatus::default();
    let service = settings.source.service_name.as_str();
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
            Outcome::Topic { name, request, sample, warnings } => {
                tracing::debug!(stream = %name, partitions = request.partitions, "topic");
                for w in warnings {
                    tracing::warn!("{w}");
                    status.warnings.push(w);
                }
                if out.send(Ok(record(RecordKind::Entity, &[service, &name], &request))).await.is_err() {
                    return; // the host dropped the stream: stop here
                }
                status.emitted += 1;
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

    Listing::of(lister.await).finish(&mut status, client.calls());
    let _ = out.send(Ok(record(RecordKind::ListingStatus, &[service], &status))).await;
}

/// What became of one listed (and kept) stream.
enum Outcome {
    /// A topic, with its sample's messages when sample data is on and could be read.
    Topic { name: String, request: CreateTopicRequest, sample: Option<Vec<String>>, warnings: Vec<String> },
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
    let service_fqn = fqn::quote(&settings.source.service_name);
    let mut request = match create_topic_request(&summary, &service_fqn, &settings.aws().aws_region) {
        Ok(request) => request,
        Err(not_a_topic) => return Outcome::NotATopic { name, warning: not_a_topic.0 },
    };
    let pipeline = settings.pipeline();
    if !pipeline.generate_sample_data.unwrap_or(false) {
        return Outcome::Topic { name, request, sample: None, warnings: Vec::new() };
    }
    let retention = Duration::from_secs(u64::try_from(summary.retention_period_hours.max(1)).unwrap_or(24) * 3600);
    match sampler.read(client, &name, retention).await {
        Ok(sample) => {
            tracing::debug!(stream = %name, messages = sample.messages.len(), shards = sample.shards, calls = sample.get_records_calls, bytes = sample.bytes_read, "sample read");
            let mut messages = sample.messages;
            if pipeline.infer_message_schema {
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
                        request.message_schema = schema;
                        messages = back;
                    }
                    Err(e) => {
                        let warning = format!("inferring the message schema of stream '{name}' failed: {e}");
                        return Outcome::Topic { name, request, sample: None, warnings: vec![warning] };
                    }
                }
            }
            let texts = messages.into_iter().map(|m| m.text).collect();
            Outcome::Topic { name, request, sample: Some(texts), warnings: sample.warnings }
        }
        // Deleted since it was described: gone, like a stream that vanished before.
        Err(e) if e.is(plugin_abi::ErrorKind::NotFound) => Outcome::Vanished { name },
        Err(e) => {
            let warning =
                format!("could not read sample data of stream '{name}' (the topic is kept without it): {}", e.message);
            Outcome::Topic { name, request, sample: None, warnings: vec![warning] }
        }
    }
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
        for name in names {
            listing.listed += 1;
            Counters::add(&counters.listed);
            match settings.filter.keeps(&name) {
                Ok(true) => {}
                Ok(false) => {
                    tracing::debug!(stream = %name, "filtered out");
                    listing.filtered += 1;
                    Counters::add(&counters.filtered);
                    continue;
                }
                Err(e) => {
                    tracing::error!("{}", e.message);
                    listing.failure = Some(e.message);
                    return listing;
                }
            }
            if kept.send(name).is_err() {
                listing.failure = Some("the run was stopped".into());
                return listing;
            }
        }
    }
    listing
}
