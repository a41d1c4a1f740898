//! The Firehose API calls the plugin makes (each under the run's API budget, and counted), and
//! what a delivery stream is once described: its source and its destinations, in the plugin's
//! own terms (so that turning it into requests is tested without AWS).

use std::collections::BTreeMap;

use aws_sdk_firehose::{
    operation::describe_delivery_stream::DescribeDeliveryStreamError,
    types::{DeliveryStreamDescription, DeliveryStreamStatus, DestinationDescription, SourceDescription},
    Client,
};
use plugin_abi::{ErrorKind, PluginError};
use plugin_aws::metered::Metered;

use crate::aws::Account;
use crate::budget::Api;

/// Names asked for per ListDeliveryStreams page (AWS allows up to 10,000; 100 keeps a page's
/// answer small while a 10,000-stream account still lists in 100 calls).
pub const PAGE_SIZE: i32 = 100;
/// Pages of destinations a description may take (a delivery stream has one destination today).
const MAX_DESTINATION_PAGES: u32 = 100;

/// A run's Firehose: the client, and its calls metered (budget, reachability, counts).
#[derive(Clone)]
pub struct Firehose {
    client: Client,
    metered: Metered<Api>,
}

/// A delivery stream, described.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryStream {
    pub name: String,
    pub arn: String,
    pub status: DeliveryStreamStatus,
    /// `DirectPut`, `KinesisStreamAsSource`, `MSKAsSource`, `DatabaseAsSource`.
    pub stream_type: String,
    /// RFC 3339.
    pub created: Option<String>,
    pub source: Source,
    pub destinations: Vec<Destination>,
}

/// Where a delivery stream's records come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// Producers write to it directly (`PutRecord`): there is no upstream entity.
    DirectPut,
    /// A Kinesis data stream.
    KinesisStream { stream: String, arn: String },
    /// A topic of an Amazon MSK cluster.
    Msk { topic: String, cluster_arn: String },
    /// Anything else (a database's change stream, a type this plugin does not know).
    Other { kind: String },
}

/// Where a delivery stream delivers.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    /// `destinationId-000000000001`.
    pub id: String,
    pub target: Target,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    S3 {
        bucket: String,
        prefix: Option<String>,
        compression: String,
    },
    Redshift {
        database: Option<String>,
        schema: String,
        table: String,
        cluster_url: String,
    },
    Snowflake {
        database: String,
        schema: String,
        table: String,
    },
    /// A destination without an entity this plugin links to (OpenSearch, Splunk, HTTP, …).
    Other {
        kind: &'static str,
    },
}

impl Firehose {
    pub fn new(account: Account) -> Self {
        Firehose { client: account.clients.firehose, metered: account.metered }
    }

    /// Calls made so far, by operation.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.metered.calls()
    }

    /// One page of names after `after` (the first page when `None`), and whether more follow.
    pub async fn list_page(&self, after: Option<&str>) -> Result<(Vec<String>, bool), PluginError> {
        self.metered.turn(Api::ListDeliveryStreams).await?;
        let mut request = self.client.list_delivery_streams().limit(PAGE_SIZE);
        if let Some(after) = after {
            request = request.exclusive_start_delivery_stream_name(after);
        }
        let page = request.send().await.map_err(|e| {
            let e = self.metered.failed(Api::ListDeliveryStreams, &e);
            if e.is(ErrorKind::Connection) {
                PluginError { message: format!("cannot reach {}: {}", self.metered.endpoint(), e.message).into(), ..e }
            } else {
                e
            }
        })?;
        Ok((page.delivery_stream_names, page.has_more_delivery_streams))
    }

    /// DescribeDeliveryStream, every page of destinations; `Ok(None)` when the delivery stream
    /// no longer exists.
    pub async fn describe(&self, name: &str) -> Result<Option<DeliveryStream>, PluginError> {
        let mut first: Option<DeliveryStreamDescription> = None;
        let mut destinations: Vec<DestinationDescription> = Vec::new();
        for _ in 0..MAX_DESTINATION_PAGES {
            self.metered.turn(Api::DescribeDeliveryStream).await?;
            let mut request = self.client.describe_delivery_stream().delivery_stream_name(name);
            if let Some(last) = destinations.last() {
                request = request.exclusive_start_destination_id(last.destination_id.clone());
            }
            let description = match request.send().await {
                Ok(out) => out.delivery_stream_description,
                Err(err) => match err.as_service_error() {
                    Some(DescribeDeliveryStreamError::ResourceNotFoundException(_)) => return Ok(None),
                    _ => return Err(self.metered.failed(Api::DescribeDeliveryStream, &err)),
                },
            };
            let Some(mut description) = description else {
                return Err(PluginError::internal(format!(
                    "DescribeDeliveryStream of '{name}' answered no description"
                )));
            };
            let more = description.has_more_destinations && !description.destinations.is_empty();
            destinations.append(&mut description.destinations);
            first.get_or_insert(description);
            if !more {
                break;
            }
        }
        let description = first.ok_or_else(|| PluginError::internal("no description"))?;
        Ok(Some(DeliveryStream::from_description(description, destinations)))
    }
}

impl DeliveryStream {
    fn from_description(d: DeliveryStreamDescription, destinations: Vec<DestinationDescription>) -> Self {
        DeliveryStream {
            name: d.delivery_stream_name,
            arn: d.delivery_stream_arn,
            status: d.delivery_stream_status,
            stream_type: d.delivery_stream_type.as_str().to_string(),
            created: d
                .create_timestamp
                .and_then(|t| t.fmt(aws_sdk_firehose::primitives::DateTimeFormat::DateTime).ok()),
            source: Source::from_description(d.source.as_ref(), d.delivery_stream_type.as_str()),
            destinations: destinations.into_iter().map(Destination::from_description).collect(),
        }
    }
}

impl Source {
    fn from_description(source: Option<&SourceDescription>, stream_type: &str) -> Self {
        let kinesis = source.and_then(|s| s.kinesis_stream_source_description.as_ref());
        let msk = source.and_then(|s| s.msk_source_description.as_ref());
        if let Some(arn) = kinesis.and_then(|k| k.kinesis_stream_arn.as_deref()) {
            return Source::KinesisStream {
                stream: plugin_aws::arn::resource(arn, "stream/").to_string(),
                arn: arn.to_string(),
            };
        }
        if let Some(topic) = msk.and_then(|m| m.topic_name.as_deref()) {
            let cluster_arn = msk.and_then(|m| m.msk_cluster_arn.clone()).unwrap_or_default();
            return Source::Msk { topic: topic.to_string(), cluster_arn };
        }
        match stream_type {
            "DirectPut" => Source::DirectPut,
            other => Source::Other { kind: other.to_string() },
        }
    }
}

impl Destination {
    fn from_description(d: DestinationDescription) -> Self {
        let target = if let Some(r) = &d.redshift_destination_description {
            let (schema, table) = match r.copy_command.as_ref().map(|c| c.data_table_name.as_str()) {
                Some(name) => split_table(name),
                None => ("public".to_string(), String::new()),
            };
            Target::Redshift {
                database: jdbc_database(&r.cluster_jdbcurl),
                schema,
                table,
                cluster_url: r.cluster_jdbcurl.clone(),
            }
        } else if let Some(s) = &d.snowflake_destination_description {
            Target::Snowflake {
                database: s.database.clone().unwrap_or_default(),
                schema: s.schema.clone().unwrap_or_default(),
                table: s.table.clone().unwrap_or_default(),
            }
        } else if let Some(s) = &d.extended_s3_destination_description {
            Target::S3 {
                bucket: plugin_aws::arn::resource(&s.bucket_arn, "").to_string(),
                prefix: s.prefix.clone().filter(|p| !p.is_empty()),
                compression: s.compression_format.as_str().to_string(),
            }
        } else if let Some(s) = &d.s3_destination_description {
            Target::S3 {
                bucket: plugin_aws::arn::resource(&s.bucket_arn, "").to_string(),
                prefix: s.prefix.clone().filter(|p| !p.is_empty()),
                compression: s.compression_format.as_str().to_string(),
            }
        } else if d.amazonopensearchservice_destination_description.is_some()
            || d.elasticsearch_destination_description.is_some()
        {
            Target::Other { kind: "OpenSearch" }
        } else if d.amazon_open_search_serverless_destination_description.is_some() {
            Target::Other { kind: "OpenSearch Serverless" }
        } else if d.splunk_destination_description.is_some() {
            Target::Other { kind: "Splunk" }
        } else if d.http_endpoint_destination_description.is_some() {
            Target::Other { kind: "HTTP endpoint" }
        } else if d.iceberg_destination_description.is_some() {
            Target::Other { kind: "Apache Iceberg" }
        } else {
            Target::Other { kind: "unknown" }
        };
        Destination { id: d.destination_id, target }
    }
}

/// `jdbc:redshift://host:5439/analytics?ssl=true` → `analytics`.
fn jdbc_database(url: &str) -> Option<String> {
    let after_scheme = url.split("://").nth(1)?;
    let path = after_scheme.split_once('/')?.1;
    let database = path.split(['?', ';']).next()?.trim();
    (!database.is_empty()).then(|| database.to_string())
}

/// `schema.table` → (`schema`, `table`); a bare `table` is in Redshift's default `public`.
fn split_table(name: &str) -> (String, String) {
    match name.split_once('.') {
        Some((schema, table)) => (schema.to_string(), table.to_string()),
        None => ("public".to_string(), name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redshift_url_gives_its_database_and_a_table_its_schema() {
        assert_eq!(
            jdbc_database("jdbc:redshift://c.abc.us-east-1.redshift.amazonaws.com:5439/analytics").as_deref(),
            Some("analytics")
        );
        assert_eq!(jdbc_database("jdbc:redshift://h:5439/dev?ssl=true").as_deref(), Some("dev"));
        assert_eq!(jdbc_database("jdbc:redshift://h:5439"), None);
        assert_eq!(split_table("sales.orders"), ("sales".to_string(), "orders".to_string()));
        assert_eq!(split_table("orders"), ("public".to_string(), "orders".to_string()));
    }
}
