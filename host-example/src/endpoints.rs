//! OpenMetadata's REST endpoints by service kind and by entity type: the one place the host
//! knows them (`../shared/openmetadata/README.md`). A plugin's manifest names its service
//! kind; its records name the entity type; the host looks both up here. Which source option
//! asks for deletions of a type is the plugin's to say (its manifest), not this table's.

/// A kind of service and its collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// As a plugin's manifest names it, e.g. `Messaging`.
    pub kind: &'static str,
    /// `PUT` creates or updates; `GET {collection}/name/{name}` reads one.
    pub collection: &'static str,
    /// OpenMetadata's service types of this kind (its `…ServiceType` enum; empty: not checked)
    /// and the custom one, which a connector type it does not know is registered as.
    pub types: &'static [&'static str],
    pub custom: Option<&'static str>,
}

impl Service {
    /// The service type to register a connector as: its own when OpenMetadata knows it, else the
    /// kind's custom type (`CustomPipeline`).
    pub fn service_type<'a>(&self, connector_type: &'a str) -> &'a str
    where
        'static: 'a,
    {
        match self.custom {
            Some(custom) if !self.types.is_empty() && !self.types.contains(&connector_type) => custom,
            _ => connector_type,
        }
    }
}

/// `contract/createMessagingService.json`'s `MessagingServiceType`.
const MESSAGING_TYPES: &[&str] = &["Kafka", "Redpanda", "Kinesis", "PubSub", "CustomMessaging"];
/// `contract/createPipelineService.json`'s `PipelineServiceType`.
const PIPELINE_TYPES: &[&str] = &[
    "Airflow",
    "GluePipeline",
    "KinesisFirehose",
    "Airbyte",
    "Fivetran",
    "Flink",
    "Dagster",
    "Nifi",
    "DomoPipeline",
    "CustomPipeline",
    "DatabricksPipeline",
    "Spline",
    "Spark",
    "OpenLineage",
    "Prefect",
    "KafkaConnect",
    "DBTCloud",
    "Matillion",
    "Stitch",
    "DataFactory",
    "Wherescape",
    "SSIS",
    "Snowplow",
    "Mulesoft",
    "MicrosoftFabricPipeline",
    "SapBw4HanaPipeline",
];

/// A type of entity, its collection and what goes with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entity {
    /// OpenMetadata's entity type, e.g. `topic`.
    pub entity_type: &'static str,
    /// `PUT` creates or updates; `GET ?service=` lists a service's; `DELETE {id}` soft-deletes
    /// one; `DELETE deleteStale` the unseen ones of a scope.
    pub collection: &'static str,
    /// Where its sample data goes (`{id}` is the entity's id), when it has any.
    pub sample_data: Option<&'static str>,
    /// What a person calls them, for summaries.
    pub plural: &'static str,
    /// Written in batches through `PUT {collection}/bulk`, as OpenMetadata's own sink writes
    /// them (it writes pipelines and containers one by one, and so does this host).
    pub bulk: bool,
}

const SERVICES: &[Service] = &[
    Service {
        kind: "Messaging",
        collection: "/v1/services/messagingServices",
        types: MESSAGING_TYPES,
        custom: Some("CustomMessaging"),
    },
    Service {
        kind: "Pipeline",
        collection: "/v1/services/pipelineServices",
        types: PIPELINE_TYPES,
        custom: Some("CustomPipeline"),
    },
    Service { kind: "Storage", collection: "/v1/services/storageServices", types: &[], custom: None },
    Service { kind: "Database", collection: "/v1/services/databaseServices", types: &[], custom: None },
];

const ENTITIES: &[Entity] = &[
    Entity {
        entity_type: "topic",
        collection: "/v1/topics",
        sample_data: Some("/v1/topics/{id}/sampleData"),
        plural: "topics",
        bulk: true,
    },
    Entity {
        entity_type: "pipeline",
        collection: "/v1/pipelines",
        sample_data: None,
        plural: "pipelines",
        bulk: false,
    },
    Entity {
        entity_type: "container",
        collection: "/v1/containers",
        sample_data: None,
        plural: "containers",
        bulk: false,
    },
    Entity { entity_type: "table", collection: "/v1/tables", sample_data: None, plural: "tables", bulk: true },
];

/// Where lineage edges go (`PUT`, an AddLineageRequest).
pub const LINEAGE: &str = "/v1/lineage";

/// `GET`: the edge between two entities, by their ids (`{"edge": LineageDetails}`, or 404).
pub fn lineage_edge(from_id: &str, to_id: &str) -> String {
    format!("{LINEAGE}/getLineageEdge/{}/{}", crate::openmetadata::encode(from_id), crate::openmetadata::encode(to_id))
}

/// Classifications (`PUT` a CreateClassification; `GET {..}/name/{name}` reads one) and their
/// tags (`PUT` a CreateTag; `GET {..}/name/{fqn}`): made when a label names one that is missing.
pub const CLASSIFICATIONS: &str = "/v1/classifications";
pub const TAGS: &str = "/v1/tags";

/// Where an owner of an entity type (`host_core::labels::OWNER_TYPES`) is looked up by name
/// (`GET {..}/name/{name}`).
pub fn owner_collection(entity_type: &str) -> &'static str {
    match entity_type {
        "user" => "/v1/users",
        "team" => "/v1/teams",
        other => unreachable!("'{other}' is not one of host_core::labels::OWNER_TYPES"),
    }
}

/// The service of a kind (case as manifests write it: `Messaging`).
pub fn service(kind: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.kind.eq_ignore_ascii_case(kind))
}

/// The entity of a type (`topic`).
pub fn entity(entity_type: &str) -> Option<&'static Entity> {
    ENTITIES.iter().find(|e| e.entity_type == entity_type)
}

/// The entity types this host can write.
pub fn entity_types() -> impl Iterator<Item = &'static str> {
    ENTITIES.iter().map(|e| e.entity_type)
}

/// The kinds this host can write, for messages.
pub fn service_kinds() -> Vec<&'static str> {
    SERVICES.iter().map(|s| s.kind).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connector_type_openmetadata_does_not_know_is_registered_as_its_kinds_custom_type() {
        let pipeline = service("Pipeline").unwrap();
        assert_eq!(pipeline.service_type("KinesisFirehose"), "KinesisFirehose");
        assert_eq!(pipeline.service_type("KinesisIntegrations"), "CustomPipeline");
        assert_eq!(service("Messaging").unwrap().service_type("StaticTopics"), "CustomMessaging");
        assert_eq!(service("Storage").unwrap().service_type("S3"), "S3");
    }

    #[test]
    fn services_and_entities_are_found_by_their_names() {
        assert_eq!(service("Messaging").unwrap().collection, "/v1/services/messagingServices");
        assert_eq!(service("pipeline").unwrap().collection, "/v1/services/pipelineServices");
        assert!(service("Search").is_none());
        let topic = entity("topic").unwrap();
        assert_eq!(topic.collection, "/v1/topics");
        assert_eq!(topic.sample_data, Some("/v1/topics/{id}/sampleData"));
        assert_eq!(entity("pipeline").unwrap().collection, "/v1/pipelines");
        assert!(entity("dashboard").is_none());
    }
}
