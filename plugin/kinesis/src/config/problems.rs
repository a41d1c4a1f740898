//! The problems of a configuration that deserialized: what the schema cannot express.

use plugin_abi::PluginError;
use plugin_sdk::config::SOURCE_CONFIG_PATH;
use plugin_sdk::source::Source;

use super::{classification, KinesisConnection, MessagingMetadata};

/// Every problem of a configuration that deserialized: what the schema cannot express.
pub(super) fn problems(source: &Source<KinesisConnection, MessagingMetadata>) -> Vec<PluginError> {
    let p = &source.source_config.config;
    let unsupported = plugin_aws::source::unsupported_messaging_options(p.override_metadata);
    let mut problems = plugin_aws::source::problems(&source.service_connection.config.aws_config, unsupported, p);
    let ranges: [(&str, u64, u64, u64); 9] = [
        ("describeConcurrency", p.describe_concurrency.into(), 1, 256),
        ("sampleSize", p.sample_size.into(), 1, 1000),
        ("sampleLookbackSeconds", p.sample_lookback_seconds, 1, u64::MAX),
        ("sampleMaxCallsPerShard", p.sample_max_calls_per_shard.into(), 1, 10_000),
        ("sampleMaxBytesPerShard", p.sample_max_bytes_per_shard, 1024, 104_857_600),
        ("sampleMaxBytesPerStream", p.sample_max_bytes_per_stream, 1024, 1_073_741_824),
        ("sampleTopicBudgetSeconds", p.sample_topic_budget_seconds, 1, 3600),
        ("sampleMaxMessageBytes", p.sample_max_message_bytes.into(), 64, 10_485_760),
        ("sampleConcurrency", p.sample_concurrency.into(), 1, 256),
    ];
    let mut mapped = std::collections::HashSet::new();
    for (i, m) in p.schema_registry_mapping.iter().enumerate() {
        let at = |field: &str| format!("{SOURCE_CONFIG_PATH}/schemaRegistryMapping/{i}/{field}");
        let stream_ok = !m.stream_name.is_empty()
            && m.stream_name.len() <= 128
            && m.stream_name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !stream_ok {
            problems.push(PluginError::config(
                at("streamName"),
                "must be a Kinesis stream name: 1 to 128 of a-z, A-Z, 0-9, _ . -",
            ));
        } else if !mapped.insert(m.stream_name.as_str()) {
            problems.push(PluginError::config(at("streamName"), format!("stream '{}' is mapped twice", m.stream_name)));
        }
        for (field, value) in [("registryName", &m.registry_name), ("schemaName", &m.schema_name)] {
            if value.trim().is_empty() || value.chars().count() > 255 {
                problems.push(PluginError::config(at(field), "must be 1 to 255 characters, not blank"));
            }
        }
    }
    if p.owner_tag_key.trim().is_empty() || p.owner_tag_key.chars().count() > 128 {
        problems.push(PluginError::config(
            format!("{SOURCE_CONFIG_PATH}/ownerTagKey"),
            "must be an AWS tag key: 1 to 128 characters, not blank",
        ));
    }
    problems.extend(classification::problems(p));
    problems.extend(
        ranges
            .into_iter()
            .filter_map(|(field, value, min, max)| plugin_sdk::config::out_of_range(field, value, min, max)),
    );
    problems
}
