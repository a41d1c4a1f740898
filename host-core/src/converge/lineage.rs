//! Whether a lineage edge OpenMetadata holds is already the one a run would send. OpenMetadata
//! offers no listing of edges; one edge is read by its ends' ids
//! (`GET /v1/lineage/getLineageEdge/{fromId}/{toId}`, which answers `{"edge": LineageDetails}`,
//! or 404; `LineageRepository.getLineageEdge`). A read is what a write of the same edge would
//! cost in calls, and it spares the server the write: `PUT /v1/lineage` rewrites the edge's
//! details and re-indexes both ends.
//!
//! An edge is held when its stored details carry every detail the request carries: the same
//! pipeline (by id), source and description. What the stored edge has beyond them (column
//! lineage, a query, a description a person wrote where the source gives none) is left as it is:
//! a PUT would replace it. Any doubt (no details, an answer of another shape) counts as not held.

use serde_json::Value;

use super::unchanged::same;

/// Whether an edge between these ends (entity type, id) is worth reading before it is written:
/// not when an end is of a type the run listed and the listing did not hold it (`listed` answers
/// `Some(false)`): the run made that entity, so no stored edge can name it, and a first run
/// reads no edge. An end of a type the run did not list (`None`) may be anything.
pub fn worth_reading<'a>(
    ends: impl IntoIterator<Item = (&'a str, &'a str)>,
    listed: impl Fn(&str, &str) -> Option<bool>,
) -> bool {
    ends.into_iter().all(|(entity_type, id)| listed(entity_type, id) != Some(false))
}

/// Whether `stored` (the answer of `getLineageEdge` for the request's ends) holds what the
/// AddLineageRequest `request` would write.
pub fn held(request: &Value, stored: &Value) -> bool {
    let Some(stored) = stored.get("edge").filter(|e| e.is_object()) else {
        return false;
    };
    let details = match &request["edge"]["lineageDetails"] {
        Value::Object(details) => details.clone(),
        Value::Null => serde_json::Map::new(),
        _ => return false,
    };
    details.iter().filter(|(_, wanted)| !wanted.is_null()).all(|(key, wanted)| match key.as_str() {
        // A reference is the same entity when its id is: the server stores it with more.
        "pipeline" => wanted.get("id").is_some_and(|id| stored["pipeline"].get("id") == Some(id)),
        _ => same(&stored[key.as_str()], wanted),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(details: Value) -> Value {
        json!({"edge": {"fromEntity": {"id": "a", "type": "topic"}, "toEntity": {"id": "b", "type": "container"},
            "lineageDetails": details}})
    }

    fn stored(details: Value) -> Value {
        json!({"edge": details})
    }

    #[test]
    fn an_edge_with_the_same_pipeline_and_source_is_held_whatever_else_the_server_keeps() {
        let wanted = request(json!({"pipeline": {"id": "p", "type": "pipeline"}, "source": "PipelineLineage"}));
        let held_edge = stored(json!({"pipeline": {"id": "p", "type": "pipeline", "fullyQualifiedName": "svc.x"},
            "source": "PipelineLineage", "columnsLineage": [], "createdAt": 1, "updatedBy": "ingestion-bot"}));
        assert!(held(&wanted, &held_edge));
        // A description a person wrote on the edge is kept, not a reason to write.
        let described = stored(json!({"pipeline": {"id": "p"}, "source": "PipelineLineage", "description": "by hand"}));
        assert!(held(&wanted, &described));
    }

    #[test]
    fn another_pipeline_source_or_description_is_not_held() {
        let wanted = request(json!({"pipeline": {"id": "p", "type": "pipeline"}, "source": "PipelineLineage",
            "description": "Firehose delivery"}));
        for other in [
            json!({"pipeline": {"id": "q"}, "source": "PipelineLineage", "description": "Firehose delivery"}),
            json!({"pipeline": {"id": "p"}, "source": "Manual", "description": "Firehose delivery"}),
            json!({"pipeline": {"id": "p"}, "source": "PipelineLineage", "description": "by hand"}),
            json!({"source": "PipelineLineage", "description": "Firehose delivery"}),
        ] {
            assert!(!held(&wanted, &stored(other.clone())), "{other}");
        }
    }

    #[test]
    fn an_edge_to_an_entity_this_run_made_is_not_worth_reading() {
        let listed = |t: &str, id: &str| (t == "pipeline").then(|| id == "old");
        assert!(worth_reading([("topic", "t"), ("pipeline", "old")], listed));
        assert!(!worth_reading([("topic", "t"), ("pipeline", "new")], listed));
        assert!(worth_reading([("topic", "t"), ("container", "c")], listed));
    }

    #[test]
    fn a_request_without_details_is_held_by_any_edge_and_an_odd_answer_by_none() {
        let bare = json!({"edge": {"fromEntity": {"id": "a"}, "toEntity": {"id": "b"}}});
        assert!(held(&bare, &stored(json!({}))));
        assert!(!held(&bare, &json!({"message": "not found"})));
        assert!(!held(&bare, &json!("<html>")));
    }
}
