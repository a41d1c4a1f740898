//! The Firehose side of the run's API budget (the mechanism is `plugin_aws::budget`): the
//! operations the plugin calls and AWS's published Firehose limits (per account and region:
//! ListDeliveryStreams 5/s, DescribeDeliveryStream 20/s).

pub use plugin_aws::budget::Budget;

use plugin_aws::budget::HasBudgetSettings as _;

use crate::config::PipelineMetadata;

pub const LIST_DELIVERY_STREAMS_PER_SECOND: f64 = 5.0;
pub const DESCRIBE_DELIVERY_STREAM_PER_SECOND: f64 = 20.0;

/// The Firehose operations a run calls, each under its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    ListDeliveryStreams,
    DescribeDeliveryStream,
}

impl Api {
    pub const ALL: [Api; 2] = [Api::ListDeliveryStreams, Api::DescribeDeliveryStream];
}

impl plugin_aws::budget::Api for Api {
    fn name(self) -> &'static str {
        match self {
            Api::ListDeliveryStreams => "ListDeliveryStreams",
            Api::DescribeDeliveryStream => "DescribeDeliveryStream",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn per_second(self) -> Option<f64> {
        Some(match self {
            Api::ListDeliveryStreams => LIST_DELIVERY_STREAMS_PER_SECOND,
            Api::DescribeDeliveryStream => DESCRIBE_DELIVERY_STREAM_PER_SECOND,
        })
    }
}

/// The run's budget, as its settings ask (see [`Budget::configured`]).
pub fn from_config(p: &PipelineMetadata) -> Budget {
    Budget::configured(&Api::ALL, p.budget_settings())
}
