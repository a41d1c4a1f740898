//! One ingestion run: list the delivery streams page by page, filter them, describe the kept
//! ones concurrently (under the API budget), and hand the host a pipeline record for each, its
//! lineage edges, and, last, the listing status of the service's pipelines.

use std::sync::Arc;

use futures::StreamExt;
use plugin_abi::{
    entity_type::PIPELINE,
    envelope::{LineageEdge, ListingStatus},
    PluginError, Record, RecordKind,
};
use plugin_sdk::pipeline_settings::PipelineServiceMetadata as _;
use plugin_sdk::run::{Counters, Item, Listing, ProgressTicker, Run};
use tokio::sync::mpsc;

use plugin_aws::source::AwsSettings as _;

use crate::aws::Account;
use crate::budget::Api;
use crate::config::Settings;
use crate::firehose::{DeliveryStream, Firehose};
use crate::pipeline::{create_pipeline_request, lineage_edges};

/// Pages a listing may take before it is judged to be going round in circles.
const MAX_PAGES: u32 = 100_000;

/// Starts a run in the background and returns at once. `log` is where the run's events go.
pub fn start(settings: Settings, log: tracing::Dispatch) -> Result<Run, PluginError> {
    plugin_sdk::run::start("firehose-plugin", log, move |out| produce(Arc::new(settings), out))
}

async fn produce(settings: Arc<Settings>, out: mpsc::Sender<Item>) {
    let budget = Arc::new(crate::budget::from_config(settings.pipeline()));
    let account = Account::for_run(settings.aws(), &Api::ALL, budget).await;
    let Some(client) = plugin_sdk::run::opened(&out, account.map(Firehose::new)).await else {
        return;
    };
    let service = settings.service_name().to_string();
    let mut status = ListingStatus::default();
    let counters = Arc::new(Counters::default());
    let (lister, names) = plugin_sdk::run::spawn_listing(&counters, |kept| {
        let (client, settings, counters) = (client.clone(), settings.clone(), counters.clone());
        async move { list(&client, &settings, kept, &counters).await }
    });
    let described = names
        .map(|name| {
            let client = client.clone();
            async move {
                let result = client.describe(&name).await;
                (name, result)
            }
        })
        .buffer_unordered(settings.pipeline().describe_concurrency as usize);
    let mut described = std::pin::pin!(described);
    let services = crate::config::lineage_services(&settings);
    let region = settings.aws().aws_region.clone();
    let mut ticker = ProgressTicker::new();
    while let Some((name, result)) = described.next().await {
        Counters::add(&counters.described);
        if let Some(progress) = ticker.due(&counters, PIPELINE, &[&service]) {
            if out.send(Ok(progress)).await.is_err() {
                return;
            }
        }
        let ds = match result {
            Ok(Some(ds)) => ds,
            Ok(None) => {
                let warning = format!("delivery stream '{name}' was deleted while the run read it; skipped");
                tracing::warn!("{warning}");
                status.warnings.push(warning);
                status.vanished.push(name);
                continue;
            }
            Err(e) => {
                let warning = format!("delivery stream '{name}' could not be described: {}", e.message);
                tracing::warn!("{warning}");
                status.warnings.push(warning);
                status.unresolved.push(name);
                continue;
            }
        };
        let edges = if settings.pipeline().include_lineage() {
            lineage_edges(&service, &ds, &services, &mut status.warnings)
        } else {
            Vec::new()
        };
        if send(&out, &service, &region, &ds, edges, &mut status).await.is_err() {
            return; // the host dropped the stream: stop here
        }
    }
    plugin_sdk::run::close(&out, Listing::of(lister.await), status, client.calls(), PIPELINE, &[&service]).await;
}

/// A pipeline's records: the pipeline, then its lineage edges.
async fn send(
    out: &mpsc::Sender<Item>,
    service: &str,
    region: &str,
    ds: &DeliveryStream,
    edges: Vec<LineageEdge>,
    status: &mut ListingStatus,
) -> Result<(), ()> {
    let request = create_pipeline_request(service, region, ds);
    tracing::debug!(pipeline = %ds.name, destinations = ds.destinations.len(), "pipeline");
    let fqn = [service, ds.name.as_str()];
    out.send(Ok(Record::new(RecordKind::Entity, PIPELINE, &fqn, &request))).await.map_err(|_| ())?;
    status.emitted += 1;
    for edge in edges {
        out.send(Ok(Record::new(RecordKind::Lineage, PIPELINE, &fqn, &edge))).await.map_err(|_| ())?;
        status.lineage_emitted += 1;
    }
    Ok(())
}

/// Lists every delivery stream (ListDeliveryStreams, `HasMoreDeliveryStreams` +
/// `ExclusiveStartDeliveryStreamName`), sending the names the filter keeps.
async fn list(
    client: &Firehose,
    settings: &Settings,
    kept: mpsc::UnboundedSender<String>,
    counters: &Counters,
) -> Listing {
    let mut listing = Listing::default();
    let mut after: Option<String> = None;
    let mut previous_page: Vec<String> = Vec::new();
    for page_number in 1..=MAX_PAGES {
        let (names, more) = match client.list_page(after.as_deref()).await {
            Ok(page) => page,
            Err(e) => {
                let failure = format!("ListDeliveryStreams page {page_number}: {}", e.message);
                tracing::error!("listing delivery streams failed: {failure}");
                listing.failure = Some(failure);
                return listing;
            }
        };
        let broken = if more && names.is_empty() {
            Some("it promised more delivery streams but held none")
        } else if !names.is_empty() && names == previous_page {
            Some("it repeated the previous page")
        } else {
            None
        };
        if let Some(why) = broken {
            listing.failure = Some(format!("ListDeliveryStreams page {page_number} cannot be followed: {why}"));
            return listing;
        }
        tracing::debug!(delivery_streams = names.len(), "ListDeliveryStreams page");
        if !listing.take_page(names.clone(), &settings.filter, counters, &kept) {
            return listing;
        }
        if !more {
            return listing;
        }
        after = names.last().cloned();
        previous_page = names;
    }
    listing.failure = Some(format!("ListDeliveryStreams went on for more than {MAX_PAGES} pages"));
    listing
}
