//! The OpenMetadata REST requests a run amounts to, as OpenMetadata's own sink makes them
//! (`PUT` the service, `PUT` each entity, `PUT` its sample data, then `DELETE .../deleteStale`),
//! on the endpoints of `crate::endpoints`. Sinks turn these into lines of a file or calls to a
//! server.

use plugin_abi::envelope::TagRef;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::endpoints::{Entity, Service};

/// One request. `entity_fqn` names the entity a sample belongs to, since the sample's path needs
/// the entity's id, which only the server knows. `resolve` names, for a lineage edge, the
/// entities whose ids the body's `{…id}` placeholders stand for (in a file; a server gets ids).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_fqn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolve: Option<Value>,
    pub body: Value,
}

/// The ends of a lineage edge once looked up: ids and entity types.
pub struct ResolvedEdge<'a> {
    pub from: (&'a str, &'a str),
    pub to: (&'a str, &'a str),
    pub pipeline: Option<(&'a str, &'a str)>,
    pub description: Option<&'a str>,
    /// `lineageDetails.source`, e.g. `PipelineLineage`.
    pub source: Option<&'a str>,
}

/// `PUT /v1/lineage` with an AddLineageRequest (`contract/addLineage.json`).
pub fn add_lineage(edge: &ResolvedEdge<'_>) -> Request {
    let reference = |(id, entity_type): (&str, &str)| json!({"id": id, "type": entity_type});
    let mut details = Map::new();
    if let Some(pipeline) = edge.pipeline {
        details.insert("pipeline".into(), reference(pipeline));
    }
    if let Some(description) = edge.description {
        details.insert("description".into(), description.into());
    }
    if let Some(source) = edge.source {
        details.insert("source".into(), source.into());
    }
    let mut body = json!({"edge": {"fromEntity": reference(edge.from), "toEntity": reference(edge.to)}});
    if !details.is_empty() {
        body["edge"]["lineageDetails"] = Value::Object(details);
    }
    Request { method: "PUT", path: crate::endpoints::LINEAGE.into(), entity_fqn: None, resolve: None, body }
}

/// A lineage edge as a file holds it: the request with placeholders for the ids, and the FQNs
/// (candidates, in order) each placeholder stands for.
pub fn add_lineage_unresolved(edge: &plugin_abi::envelope::LineageEdge) -> Request {
    let mut request = add_lineage(&ResolvedEdge {
        from: ("{fromEntity.id}", &edge.from.entity_type),
        to: ("{toEntity.id}", &edge.to.entity_type),
        pipeline: edge.pipeline.as_ref().map(|p| ("{pipeline.id}", p.entity_type.as_str())),
        description: edge.description.as_deref(),
        source: edge.source.as_deref(),
    });
    let mut resolve = json!({
        "fromEntity": edge.from.fqn_candidates(),
        "toEntity": edge.to.fqn_candidates(),
    });
    if let Some(p) = &edge.pipeline {
        resolve["pipeline"] = json!(p.fqn_candidates());
    }
    request.resolve = Some(resolve);
    request
}

/// `PUT` the service (e.g. `/v1/services/messagingServices`, a CreateMessagingServiceRequest).
/// `connection` is the workflow's `serviceConnection` (`{"config": …}`), or `None` when
/// `storeServiceConnection` is false.
pub fn put_service(service: &Service, name: &str, service_type: &str, connection: Option<Value>) -> Request {
    let mut body = Map::new();
    body.insert("name".into(), name.into());
    body.insert("serviceType".into(), service_type.into());
    if let Some(connection) = connection {
        body.insert("connection".into(), connection);
    }
    Request {
        method: "PUT",
        path: service.collection.into(),
        entity_fqn: None,
        resolve: None,
        body: Value::Object(body),
    }
}

/// `PUT` an entity (e.g. `/v1/topics`): the plugin's create request, as it is.
pub fn put_entity(entity: &Entity, fqn: String, create: Value) -> Request {
    Request { method: "PUT", path: entity.collection.into(), entity_fqn: Some(fqn), resolve: None, body: create }
}

/// `PUT {collection}/bulk`: several entities' create requests in one call, as OpenMetadata's
/// own sink sends them (synchronously, so the answer says which were written; never
/// overriding what people curated).
pub fn put_entities(entity: &Entity, creates: Vec<Value>) -> Request {
    Request {
        method: "PUT",
        path: format!("{}/bulk?async=false&overrideMetadata=false", entity.collection),
        entity_fqn: None,
        resolve: None,
        body: Value::Array(creates),
    }
}

/// `PUT` the sample data of the entity `fqn` (e.g. `/v1/topics/{id}/sampleData`), when its
/// type has sample data.
pub fn put_sample_data(entity: &Entity, fqn: String, sample: Value) -> Option<Request> {
    let path = entity.sample_data?;
    Some(Request { method: "PUT", path: path.into(), entity_fqn: Some(fqn), resolve: None, body: sample })
}

/// `PUT /v1/classifications` (`contract/createClassification.json`): the classification a
/// tag label names, made by this run since it was missing.
pub fn put_classification(tag: &TagRef) -> Request {
    let body = host_core::labels::classification_request(tag);
    Request { method: "PUT", path: crate::endpoints::CLASSIFICATIONS.into(), entity_fqn: None, resolve: None, body }
}

/// `PUT /v1/tags` (`contract/createTag.json`): a tag a label names, in its classification.
pub fn put_tag(tag: &TagRef) -> Request {
    let body = host_core::labels::tag_request(tag);
    Request { method: "PUT", path: crate::endpoints::TAGS.into(), entity_fqn: None, resolve: None, body }
}

/// `DELETE {collection}/deleteStale`: soft-deletes the service's entities that are not in `seen`.
pub fn delete_stale(entity: &Entity, service_fqn: &str, seen: Vec<String>) -> Request {
    Request {
        method: "DELETE",
        path: format!("{}/deleteStale", entity.collection),
        entity_fqn: None,
        resolve: None,
        body: json!({"scopeFqn": service_fqn, "scopeEntityType": "service", "seenFqns": seen, "recursive": true}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_request_leaves_out_the_connection_when_asked() {
        let messaging = crate::endpoints::service("Messaging").unwrap();
        let r = put_service(messaging, "svc", "Kinesis", None);
        assert_eq!(r.path, "/v1/services/messagingServices");
        assert_eq!(r.body, json!({"name": "svc", "serviceType": "Kinesis"}));
        let r = put_service(messaging, "svc", "Kinesis", Some(json!({"config": {"type": "Kinesis"}})));
        assert_eq!(r.body["connection"]["config"]["type"], "Kinesis");
    }

    #[test]
    fn a_lineage_edge_has_ids_and_types_and_its_pipeline() {
        let r = add_lineage(&ResolvedEdge {
            from: ("1", "topic"),
            to: ("2", "container"),
            pipeline: Some(("3", "pipeline")),
            description: Some("d"),
            source: Some("PipelineLineage"),
        });
        assert_eq!(r.path, "/v1/lineage");
        assert_eq!(
            r.body,
            json!({"edge": {"fromEntity": {"id": "1", "type": "topic"}, "toEntity": {"id": "2", "type": "container"},
                "lineageDetails": {"pipeline": {"id": "3", "type": "pipeline"}, "description": "d", "source": "PipelineLineage"}}})
        );
    }

    #[test]
    fn delete_stale_names_the_scope_and_what_was_seen() {
        let topic = crate::endpoints::entity("topic").unwrap();
        let r = delete_stale(topic, "svc", vec!["svc.a".into(), "svc.\"b.c\"".into()]);
        assert_eq!(r.path, "/v1/topics/deleteStale");
        assert_eq!(r.method, "DELETE");
        assert_eq!(r.body["seenFqns"], json!(["svc.a", "svc.\"b.c\""]));
        assert_eq!(r.body["scopeEntityType"], "service");
    }
}
