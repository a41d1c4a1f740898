//! Every call of a run goes through here: it waits for its turn under the run's API budget, is
//! refused at once when the endpoint has proved unreachable, and is counted by operation (the
//! counts end up in the run's listing status and summary).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use plugin_abi::PluginError;

use crate::budget::{Api, Budget};
use crate::retry::Reachability;

/// A run's calls to one AWS service.
#[derive(Debug, Clone)]
pub struct Metered<A: Api + 'static> {
    apis: &'static [A],
    budget: Arc<Budget>,
    calls: Arc<[AtomicU64]>,
    reach: Reachability,
}

impl<A: Api + 'static> Metered<A> {
    /// `apis` are the operations the plugin calls; `endpoint` names the service in messages.
    pub fn new(apis: &'static [A], budget: Arc<Budget>, endpoint: String) -> Self {
        let size = apis.iter().map(|a| a.index() + 1).max().unwrap_or(0);
        let calls: Arc<[AtomicU64]> = (0..size).map(|_| AtomicU64::new(0)).collect();
        Metered { apis, budget, calls, reach: Reachability::new(endpoint) }
    }

    /// Waits for the call's turn under the budget; refuses it at once when the endpoint has
    /// proved unreachable.
    pub async fn turn(&self, api: A) -> Result<(), PluginError> {
        self.reach.check(api.name())?;
        self.budget.acquire(api).await;
        self.calls[api.index()].fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// One call of `api` (`request`, the SDK's `send()`; nothing is sent before its turn), its
    /// failure as a plugin error. A call whose failures mean different things (a missing
    /// resource, a refusal to fall back from) takes its [`turn`](Self::turn) and reads its
    /// error itself.
    pub async fn call<T, E, R>(
        &self,
        api: A,
        request: impl std::future::Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, PluginError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        self.turn(api).await?;
        request.await.map_err(|e| self.failed(api, &e))
    }

    /// The plugin error for a failed call of `api`, noting an endpoint that cannot be reached.
    pub fn failed<E, R>(&self, api: A, err: &SdkError<E, R>) -> PluginError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
    {
        self.reach.failed(api.name(), err)
    }

    /// Calls made so far, by operation.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.apis.iter().map(|a| (a.name().to_string(), self.calls[a.index()].load(Ordering::Relaxed))).collect()
    }

    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// Where the service is (`endPointURL`, or the region's endpoint).
    pub fn endpoint(&self) -> &str {
        self.reach.endpoint()
    }
}
