//! Turning a stream's description into an OpenMetadata CreateTopicRequest.

use aws_sdk_kinesis::types::{StreamDescriptionSummary, StreamModeDetails};
use aws_smithy_types::date_time::Format;
use serde::Serialize;
use serde_json::{Map, Value};

/// What AWS allows per record when a stream does not report its own maximum: 1 MiB.
pub const DEFAULT_MAX_RECORD_BYTES: i64 = 1_048_576;

/// The body of `PUT /v1/topics` (OpenMetadata's `createTopic.json`), with what the source knows.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateTopicRequest {
    pub name: String,
    pub service: String,
    pub partitions: i64,
    pub retention_time: f64,
    pub maximum_message_size: i64,
    pub cleanup_policies: Vec<&'static str>,
    pub source_url: String,
    pub topic_config: Map<String, Value>,
    /// The structure inferred from the sample (`schemaType` JSON), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_schema: Option<Value>,
}

/// Why a described stream cannot become a topic yet.
#[derive(Debug, PartialEq)]
pub struct NotATopic(pub String);

/// Builds the request for a stream. `service_fqn` is the messaging service's fully qualified
/// name; `region` the stream's region (for its console link).
pub fn create_topic_request(
    summary: &StreamDescriptionSummary,
    service_fqn: &str,
    region: &str,
) -> Result<CreateTopicRequest, NotATopic> {
    let name = summary.stream_name.clone();
    // OpenMetadata requires at least one partition; a stream still being created or deleted
    // can report none. It is kept as seen (never deleted for it) and picked up on a later run.
    if summary.open_shard_count < 1 {
        return Err(NotATopic(format!(
            "stream '{name}' has no open shard (status {}); not sent, since OpenMetadata requires at least one partition",
            summary.stream_status.as_str()
        )));
    }
    Ok(CreateTopicRequest {
        source_url: console_url(region, &name),
        name,
        service: service_fqn.to_string(),
        partitions: i64::from(summary.open_shard_count),
        retention_time: f64::from(summary.retention_period_hours) * 3_600_000.0,
        maximum_message_size: summary
            .max_record_size_in_kib
            .filter(|kib| *kib > 0)
            .map_or(DEFAULT_MAX_RECORD_BYTES, |kib| i64::from(kib) * 1024),
        cleanup_policies: vec!["delete"],
        topic_config: topic_config(summary),
        message_schema: None,
    })
}

/// What AWS says about the stream, as the topic's key/value configuration.
fn topic_config(s: &StreamDescriptionSummary) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("streamArn".into(), s.stream_arn.clone().into());
    c.insert("streamStatus".into(), s.stream_status.as_str().into());
    if let Some(StreamModeDetails { stream_mode, .. }) = &s.stream_mode_details {
        c.insert("capacityMode".into(), stream_mode.as_str().into());
    }
    if let Some(e) = &s.encryption_type {
        c.insert("encryptionType".into(), e.as_str().into());
    }
    if let Some(k) = &s.key_id {
        c.insert("encryptionKeyId".into(), k.clone().into());
    }
    if let Ok(created) = s.stream_creation_timestamp.fmt(Format::DateTime) {
        c.insert("creationTime".into(), created.into());
    }
    if let Some(n) = s.consumer_count {
        c.insert("consumerCount".into(), n.into());
    }
    c.insert("openShardCount".into(), s.open_shard_count.into());
    c.insert("retentionPeriodHours".into(), s.retention_period_hours.into());
    if let Some(kib) = s.max_record_size_in_kib {
        c.insert("maxRecordSizeInKiB".into(), kib.into());
    }
    c
}

/// The stream's page in the AWS console of its region (and partition).
pub fn console_url(region: &str, stream: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "console.amazonaws.cn"
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com"
    } else {
        "console.aws.amazon.com"
    };
    format!("https://{region}.{domain}/kinesis/home?region={region}#/streams/details/{stream}/monitoring")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::types::{EncryptionType, StreamMode, StreamStatus};
    use aws_smithy_types::DateTime;

    fn summary(name: &str, shards: i32, max_kib: Option<i32>) -> StreamDescriptionSummary {
        StreamDescriptionSummary::builder()
            .stream_name(name)
            .stream_arn(format!("arn:aws:kinesis:eu-west-1:000000000000:stream/{name}"))
            .stream_status(StreamStatus::Active)
            .retention_period_hours(24)
            .stream_creation_timestamp(DateTime::from_secs(1_700_000_000))
            .set_enhanced_monitoring(Some(vec![]))
            .open_shard_count(shards)
            .set_max_record_size_in_kib(max_kib)
            .encryption_type(EncryptionType::Kms)
            .key_id("alias/aws/kinesis")
            .consumer_count(2)
            .stream_mode_details(StreamModeDetails::builder().stream_mode(StreamMode::Provisioned).build().unwrap())
            .build()
            .unwrap()
    }

    #[test]
    fn a_stream_becomes_a_topic_request() {
        let r = create_topic_request(&summary("orders.v1", 3, None), "kinesis_prod", "eu-west-1").unwrap();
        assert_eq!(r.name, "orders.v1");
        assert_eq!(r.service, "kinesis_prod");
        assert_eq!(r.partitions, 3);
        assert_eq!(r.retention_time, 86_400_000.0);
        assert_eq!(r.maximum_message_size, 1_048_576);
        assert_eq!(r.cleanup_policies, vec!["delete"]);
        assert_eq!(
            r.source_url,
            "https://eu-west-1.console.aws.amazon.com/kinesis/home?region=eu-west-1#/streams/details/orders.v1/monitoring"
        );
        let c = &r.topic_config;
        assert_eq!(c["streamStatus"], "ACTIVE");
        assert_eq!(c["capacityMode"], "PROVISIONED");
        assert_eq!(c["encryptionType"], "KMS");
        assert_eq!(c["encryptionKeyId"], "alias/aws/kinesis");
        assert_eq!(c["consumerCount"], 2);
        assert_eq!(c["creationTime"], "2023-11-14T22:13:20Z");
        let json = serde_json::to_value(&r).unwrap();
        assert!(json.get("retentionTime").is_some() && json.get("topicConfig").is_some());
    }

    #[test]
    fn the_streams_own_record_size_limit_wins() {
        let r = create_topic_request(&summary("big", 1, Some(10_240)), "s", "eu-west-1").unwrap();
        assert_eq!(r.maximum_message_size, 10_240 * 1024);
    }

    #[test]
    fn a_stream_without_open_shards_is_not_a_topic() {
        let e = create_topic_request(&summary("new", 0, None), "s", "eu-west-1").unwrap_err();
        assert!(e.0.contains("no open shard"), "{}", e.0);
    }

    #[test]
    fn console_links_follow_the_partition() {
        assert!(console_url("cn-north-1", "x").starts_with("https://cn-north-1.console.amazonaws.cn/"));
        assert!(console_url("us-gov-west-1", "x").starts_with("https://us-gov-west-1.console.amazonaws-us-gov.com/"));
    }
}
