//! Where a pipeline connector's lineage ends are looked up: OpenMetadata's
//! `LineageInformation` (the services whose topics, containers and tables may be ends), the
//! connection's `messagingServiceName` first, and the ends named as candidates in those services.

use plugin_abi::entity_type;
use plugin_abi::envelope::EntityRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// OpenMetadata's `LineageInformation`: the services where lineage ends are looked up.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "LineageInformation", description = "Details required to generate Lineage")]
pub struct LineageInformation {
    /// Database services (e.g. Redshift, Snowflake) whose tables may be lineage ends.
    #[serde(default)]
    #[schemars(title = "Database Service Names List")]
    pub db_service_names: Option<Vec<String>>,
    /// Storage services (S3) whose containers (buckets) may be lineage ends.
    #[serde(default)]
    #[schemars(title = "Storage Service Names List")]
    pub storage_service_names: Option<Vec<String>>,
    /// Messaging services (Kinesis, Kafka) whose topics may be lineage ends, after the
    /// connection's `messagingServiceName`.
    #[serde(default)]
    #[schemars(title = "Messaging Service Names List")]
    pub messaging_service_names: Option<Vec<String>>,
}

/// The services where lineage ends are looked up, each list without blanks or repeats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineageServices {
    pub messaging: Vec<String>,
    pub storage: Vec<String>,
    pub database: Vec<String>,
}

impl LineageServices {
    /// The connection's `messagingServiceName`, then `lineageInformation`'s lists.
    pub fn new(messaging_service_name: Option<&String>, information: Option<&LineageInformation>) -> Self {
        let info = information.cloned().unwrap_or_default();
        let first = messaging_service_name.cloned();
        LineageServices {
            messaging: dedup(first.into_iter().chain(info.messaging_service_names.unwrap_or_default())),
            storage: dedup(info.storage_service_names.unwrap_or_default()),
            database: dedup(info.db_service_names.unwrap_or_default()),
        }
    }

    /// A topic, by name, as a candidate in each messaging service; `None` when none is set.
    pub fn topic(&self, name: &str) -> Option<EntityRef> {
        candidates(entity_type::TOPIC, &self.messaging, &[name])
    }

    /// A container (an S3 bucket) in each storage service.
    pub fn container(&self, bucket: &str) -> Option<EntityRef> {
        candidates(entity_type::CONTAINER, &self.storage, &[bucket])
    }

    /// A table (database, schema, table) in each database service.
    pub fn table(&self, database: &str, schema: &str, table: &str) -> Option<EntityRef> {
        candidates(entity_type::TABLE, &self.database, &[database, schema, table])
    }
}

/// A pipeline of a run's own service.
pub fn pipeline(service: &str, name: &str) -> EntityRef {
    EntityRef { entity_type: entity_type::PIPELINE.into(), fqns: vec![vec![service.into(), name.into()]] }
}

fn candidates(entity: &str, services: &[String], parts: &[&str]) -> Option<EntityRef> {
    if services.is_empty() {
        return None;
    }
    let fqns = services
        .iter()
        .map(|svc| std::iter::once(svc.clone()).chain(parts.iter().map(|p| (*p).to_string())).collect())
        .collect();
    Some(EntityRef { entity_type: entity.into(), fqns })
}

/// Non-empty names, each once, in order.
fn dedup(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in names {
        let name = name.trim().to_string();
        if !name.is_empty() && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_come_from_the_connection_then_lineage_information_each_once() {
        let info = LineageInformation {
            messaging_service_names: Some(vec!["kinesis_dev".into(), "kinesis_prod".into(), " ".into()]),
            storage_service_names: Some(vec!["s3_prod".into()]),
            db_service_names: None,
        };
        let services = LineageServices::new(Some(&"kinesis_prod".to_string()), Some(&info));
        assert_eq!(services.messaging, ["kinesis_prod", "kinesis_dev"]);
        assert_eq!(services.storage, ["s3_prod"]);
        assert!(services.database.is_empty() && services.table("d", "s", "t").is_none());
        let topic = services.topic("orders").unwrap();
        assert_eq!(topic.fqn_candidates(), ["kinesis_prod.orders", "kinesis_dev.orders"]);
        assert_eq!(pipeline("svc", "consumer:clicks.v1/a").fqn_candidates(), ["svc.\"consumer:clicks.v1/a\""]);
    }
}
