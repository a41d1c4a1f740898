//! One ingestion run: list each kind of integration the settings name (concurrently, each
//! under the API budget), filter them by pipeline name, and hand the host a pipeline record for
//! each with its lineage edges, and, last, the listing status of the service's pipelines:
//! complete only when every kind was listed in full.

use std::sync::Arc;

use plugin_abi::{entity_type::PIPELINE, envelope::ListingStatus, PluginError, Record, RecordKind};
use plugin_aws::source::AwsSettings as _;
use plugin_sdk::pipeline_settings::PipelineServiceMetadata as _;
use plugin_sdk::run::{Counters, Item, Listing, ProgressTicker, Run};
use tokio::sync::mpsc;

use crate::aws::Account;
use crate::budget::Api;
use crate::config::{lineage_services, Kind, Settings};
use crate::integrations;
use crate::pipeline::{create_pipeline_request, lineage_edges};

/// Starts a run in the background and returns at once. `log` is where the run's events go.
pub fn start(settings: Settings, log: tracing::Dispatch) -> Result<Run, PluginError> {
    plugin_sdk::run::start("kinesis-integrations-plugin", log, move |out| produce(Arc::new(settings), out))
}

async fn produce(settings: Arc<Settings>, out: mpsc::Sender<Item>) {
    let budget = Arc::new(crate::budget::from_config(settings.pipeline()));
    let Some(account) = plugin_sdk::run::opened(&out, Account::for_run(settings.aws(), &Api::ALL, budget).await).await
    else {
        return;
    };
    let service = settings.service_name().to_string();
    let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| settings.pipeline().reads(*k)).collect();
    let listings = futures::future::join_all(kinds.iter().map(|k| integrations::list(&account, *k))).await;
    let services = lineage_services(&settings);
    let lineage = settings.pipeline().include_lineage();
    let mut status = ListingStatus::default();
    let mut failures = Vec::new();
    // Progress: what the listings found, then the pipelines sent of them.
    let counters = Counters::default();
    let listed: usize = listings.iter().flatten().map(|l| l.integrations.len()).sum();
    counters.listed.store(listed as u64, std::sync::atomic::Ordering::Relaxed);
    counters.listing_done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut ticker = ProgressTicker::new();
    for (kind, listing) in kinds.iter().zip(listings) {
        let found = match listing {
            Ok(found) => {
                status.warnings.extend(found.warnings);
                found.integrations
            }
            Err(e) => {
                tracing::error!("listing {} failed: {}", kind.label(), e.message);
                failures.push(format!("{}: {}", kind.label(), e.message));
                continue;
            }
        };
        tracing::debug!(kind = kind.label(), found = found.len(), "integrations listed");
        for integration in found {
            status.listed += 1;
            if let Some(progress) = ticker.due(&counters, PIPELINE, &[&service]) {
                if out.send(Ok(progress)).await.is_err() {
                    return;
                }
            }
            Counters::add(&counters.described);
            match settings.filter.keeps(&integration.name) {
                Ok(true) => {}
                Ok(false) => {
                    status.filtered += 1;
                    Counters::add(&counters.filtered);
                    continue;
                }
                Err(e) => {
                    failures.push(e.message);
                    break;
                }
            }
            let request = create_pipeline_request(&service, &integration);
            let fqn = [service.as_str(), integration.name.as_str()];
            if out.send(Ok(Record::new(RecordKind::Entity, PIPELINE, &fqn, &request))).await.is_err() {
                return; // the host dropped the stream: stop here
            }
            status.emitted += 1;
            let edges = if lineage {
                lineage_edges(&service, &integration, &services, &mut status.warnings)
            } else {
                Vec::new()
            };
            for edge in edges {
                if out.send(Ok(Record::new(RecordKind::Lineage, PIPELINE, &fqn, &edge))).await.is_err() {
                    return;
                }
                status.lineage_emitted += 1;
            }
        }
    }
    let listing = Listing {
        listed: status.listed,
        filtered: status.filtered,
        failure: (!failures.is_empty()).then(|| failures.join("; ")),
    };
    plugin_sdk::run::close(&out, listing, status, account.metered.calls(), PIPELINE, &[&service]).await;
}
