//! The side of the run's API budget that is this plugin's (the mechanism is
//! `plugin_aws::budget`): the operations it calls and the limits AWS publishes for them.
//!
//! Lambda's control plane allows 15 calls a second per account and region, shared by all its
//! APIs (ListEventSourceMappings among them); ListStreams 5/s. ListStreamConsumers is limited
//! per stream (5/s) and a run asks each stream once, so it is not paced (its concurrency is
//! bounded where it is called, and `maxCallsPerSecond` caps it with the rest). EventBridge, Pipes and IoT
//! publish no rate for their listing APIs that a run can rely on; they are paced at 5 calls a
//! second each, well below what their consoles themselves make.

pub use plugin_aws::budget::Budget;
use plugin_aws::budget::HasBudgetSettings as _;

use crate::config::IntegrationsMetadata;

/// The operations a run calls, each under its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    ListEventSourceMappings,
    ListPipes,
    ListEventBuses,
    ListRules,
    ListTargetsByRule,
    ListTopicRules,
    GetTopicRule,
    ListStreams,
    ListStreamConsumers,
}

impl Api {
    pub const ALL: [Api; 9] = [
        Api::ListEventSourceMappings,
        Api::ListPipes,
        Api::ListEventBuses,
        Api::ListRules,
        Api::ListTargetsByRule,
        Api::ListTopicRules,
        Api::GetTopicRule,
        Api::ListStreams,
        Api::ListStreamConsumers,
    ];
}

impl plugin_aws::budget::Api for Api {
    fn name(self) -> &'static str {
        match self {
            Api::ListEventSourceMappings => "ListEventSourceMappings",
            Api::ListPipes => "ListPipes",
            Api::ListEventBuses => "ListEventBuses",
            Api::ListRules => "ListRules",
            Api::ListTargetsByRule => "ListTargetsByRule",
            Api::ListTopicRules => "ListTopicRules",
            Api::GetTopicRule => "GetTopicRule",
            Api::ListStreams => "ListStreams",
            Api::ListStreamConsumers => "ListStreamConsumers",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn per_second(self) -> Option<f64> {
        match self {
            Api::ListEventSourceMappings => Some(15.0),
            Api::ListStreamConsumers => None,
            _ => Some(5.0),
        }
    }
}

/// The run's budget, as its settings ask (see [`Budget::configured`]).
pub fn from_config(p: &IntegrationsMetadata) -> Budget {
    Budget::configured(&Api::ALL, p.budget_settings())
}
