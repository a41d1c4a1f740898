//! Amazon Resource Names, read as far as the plugins need them.

/// The resource part of an ARN after `prefix`: `arn:aws:kinesis:r:a:stream/orders` → `orders`
/// (with `prefix` `stream/`); `arn:aws:s3:::bucket` → `bucket`.
pub fn resource<'a>(arn: &'a str, prefix: &str) -> &'a str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.strip_prefix(prefix).unwrap_or(resource)
}

/// The stream a Kinesis ARN names: a stream's (`arn:aws:kinesis:region:account:stream/NAME`) or
/// one of its enhanced fan-out consumers' (`…:stream/NAME/consumer/CONSUMER:1700000000`).
pub fn kinesis_stream(arn: &str) -> Option<&str> {
    let (prefix, rest) = arn.split_once(":stream/")?;
    let name = rest.split_once("/consumer/").map_or(rest, |(stream, _)| stream);
    (prefix.starts_with("arn:") && prefix.contains(":kinesis:") && !name.is_empty()).then_some(name)
}

/// The consumer a Kinesis consumer ARN names (`…:stream/NAME/consumer/CONSUMER:1700000000` →
/// `CONSUMER`); `None` for a stream's ARN.
pub fn kinesis_consumer(arn: &str) -> Option<&str> {
    kinesis_stream(arn)?;
    let (_, consumer) = arn.split_once("/consumer/")?;
    let name = consumer.rsplit_once(':').map_or(consumer, |(name, _)| name);
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_and_consumers_are_read_from_their_arns() {
        assert_eq!(kinesis_stream("arn:aws:kinesis:eu-west-1:123456789012:stream/orders.v1"), Some("orders.v1"));
        assert_eq!(kinesis_stream("arn:aws-cn:kinesis:cn-north-1:1:stream/a"), Some("a"));
        assert_eq!(kinesis_stream("arn:aws:firehose:eu-west-1:1:deliverystream/a"), None);
        assert_eq!(kinesis_stream("arn:aws:kinesis:eu-west-1:1:stream/"), None);
        let consumer = "arn:aws:kinesis:eu-west-1:1:stream/orders/consumer/analytics:1700000000";
        assert_eq!((kinesis_stream(consumer), kinesis_consumer(consumer)), (Some("orders"), Some("analytics")));
        assert_eq!(kinesis_consumer("arn:aws:kinesis:eu-west-1:1:stream/orders"), None);
        assert_eq!(resource("arn:aws:kinesis:us-east-1:123456789012:stream/orders.v1", "stream/"), "orders.v1");
        assert_eq!(resource("arn:aws:s3:::lake", ""), "lake");
    }
}
