//! A catalog that converges: what people curate in OpenMetadata survives every run, and a run
//! that sees nothing new changes nothing. Both hosts read what OpenMetadata holds for the
//! service once, in bulk ([`Stored`], from paged listings with [`listing_fields`], each page read
//! by [`read_page`]), and then,
//! for every entity the plugin sends:
//! - a topic's message schema is merged with the stored one ([`fields`]): an inferred schema
//!   (origin `sample`) keeps every stored field; a registry's is authoritative; a retyped field
//!   carries what people wrote about it; a stored schema this merge cannot read is left as the
//!   server holds it (the request goes without `messageSchema`, and the run says so);
//! - a request that would change nothing the server holds ([`unchanged`]) is not sent;
//! - a lineage edge the server holds as the run would write it ([`lineage`], read edge by edge:
//!   OpenMetadata lists no edges) is not sent.

pub mod fields;
pub mod lineage;
pub mod unchanged;

use std::collections::{HashMap, HashSet};

use plugin_abi::envelope::Origin;
use plugin_abi::message_schema::{inferred_schema_text, title_and_description};
use serde_json::Value;

use fields::Mode;

/// What OpenMetadata holds for a service, by entity type and FQN, as its listings answered.
#[derive(Debug, Default)]
pub struct Stored {
    /// (entity type, FQN) → the entity as listed, as compact JSON text: a parsed entity takes
    /// ten times the memory, and a 10,000-topic service is held for the whole run.
    by_fqn: HashMap<(String, String), Held>,
    /// Per entity type, (id, FQN) in the listing's order; present once the type was listed.
    listed: HashMap<String, Vec<(String, String)>>,
    /// Per entity type, the ids listed.
    ids: HashMap<String, HashSet<String>>,
}

/// The `fields` a listing of the entity type asks for: what a request of ours carries and the
/// server keeps apart from the entity's JSON (field tags, owners), so that it can be compared.
pub fn listing_fields(entity_type: &str) -> &'static str {
    match entity_type {
        "pipeline" => "tasks,tags,owners",
        _ => "tags,owners",
    }
}

/// Reads one answer of a listing: its entities and the cursor of the next page. It fails
/// closed, naming why: what is read decides what is merged, left unsent and deleted, so an
/// answer that is not the page the API promises (an HTML error page with 200 from a proxy, JSON
/// without `data` or `paging`, an entity without `id` or FQN) is never an empty or last page.
pub fn read_page(page: &Value) -> Result<(&[Value], Option<String>), String> {
    let data = page.get("data").and_then(Value::as_array).ok_or("no `data` list")?;
    if !page.get("paging").is_some_and(Value::is_object) {
        return Err("no `paging`".into());
    }
    let named = |e: &Value| ["id", "fullyQualifiedName"].iter().all(|k| e.get(*k).and_then(Value::as_str).is_some());
    if !data.iter().all(named) {
        return Err("an entity without `id` or `fullyQualifiedName`".into());
    }
    let after = page.pointer("/paging/after").and_then(Value::as_str).filter(|c| !c.is_empty()).map(str::to_string);
    Ok((data, after))
}

/// One listed entity: what every write asks of it at once, and the rest as text.
#[derive(Debug)]
struct Held {
    id: String,
    has_owners: bool,
    json: Box<str>,
}

impl Stored {
    /// Takes one page of a listing of `entity_type` (its `data`; an empty first page marks the
    /// type listed too); an entity without an `id` or a `fullyQualifiedName` makes the page
    /// unreadable, named.
    pub fn add_page(&mut self, entity_type: &str, data: &[Value]) -> Result<(), String> {
        let listed = self.listed.entry(entity_type.to_string()).or_default();
        let ids = self.ids.entry(entity_type.to_string()).or_default();
        for entity in data {
            let text = |key: &str| entity.get(key).and_then(Value::as_str).map(str::to_string);
            let (Some(id), Some(fqn)) = (text("id"), text("fullyQualifiedName")) else {
                return Err("an entity without `id` or `fullyQualifiedName`".into());
            };
            listed.push((id.clone(), fqn.clone()));
            ids.insert(id.clone());
            let has_owners = entity.get("owners").and_then(Value::as_array).is_some_and(|o| !o.is_empty());
            let json = entity.to_string().into_boxed_str();
            self.by_fqn.insert((entity_type.to_string(), fqn), Held { id, has_owners, json });
        }
        Ok(())
    }

    fn held(&self, entity_type: &str, fqn: &str) -> Option<&Held> {
        self.by_fqn.get(&(entity_type.to_string(), fqn.to_string()))
    }

    /// The entity as the listing answered it.
    pub fn get(&self, entity_type: &str, fqn: &str) -> Option<Value> {
        serde_json::from_str(&self.held(entity_type, fqn)?.json).ok()
    }

    pub fn id(&self, entity_type: &str, fqn: &str) -> Option<&str> {
        self.held(entity_type, fqn).map(|h| h.id.as_str())
    }

    /// Whether people (or an earlier run) gave the entity an owner, from the listing (read
    /// with `owners`): `None` when the type was not listed, so a host must ask; an entity the
    /// listing does not hold has none.
    pub fn has_owners(&self, entity_type: &str, fqn: &str) -> Option<bool> {
        self.listed.get(entity_type)?;
        Some(self.held(entity_type, fqn).is_some_and(|h| h.has_owners))
    }

    /// Whether the listing held the entity of this type and id: `None` when the type was not
    /// listed (an entity of another service, say).
    pub fn holds(&self, entity_type: &str, id: &str) -> Option<bool> {
        self.ids.get(entity_type).map(|ids| ids.contains(id))
    }

    /// The (id, FQN) of the listed entities of a type, in the listing's order; `None` when the
    /// type was not listed.
    pub fn listed(&self, entity_type: &str) -> Option<&[(String, String)]> {
        self.listed.get(entity_type).map(Vec::as_slice)
    }
}

/// Merges `body` (a create request of `entity_type`) with `stored`, the entity as OpenMetadata
/// holds it. `origin` is where the request's message schema came from (`None`: a plugin that
/// does not say, taken as authoritative). Returns why a stored schema was left as it is, when
/// it was.
pub fn converge(entity_type: &str, body: &mut Value, origin: Option<Origin>, stored: Option<&Value>) -> Option<String> {
    if entity_type != "topic" {
        return None;
    }
    let stored_schema = stored.and_then(|s| s.get("messageSchema")).filter(|s| !s.is_null())?;
    let incoming_fields = body.get("messageSchema").filter(|s| !s.is_null())?.get("schemaFields")?.clone();
    let stored_fields = match stored_schema.get("schemaFields") {
        None | Some(Value::Null) => return leave(body, "it has no schemaFields".into()),
        Some(f) => f,
    };
    if let Err(fields::Unreadable(why)) = fields::check(stored_fields) {
        return leave(body, why);
    }
    if let Err(fields::Unreadable(why)) = fields::check(&incoming_fields) {
        return leave(body, format!("the plugin's {why}"));
    }
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    let mode = match origin {
        Some(Origin::Sample) => Mode::Accumulate,
        _ => Mode::Authoritative,
    };
    let merged = fields::merge(&list(stored_fields), &list(&incoming_fields), mode);
    let incoming = &mut body["messageSchema"];
    if mode == Mode::Accumulate {
        // The text is drawn from the fields: the merged fields draw it again, the same way.
        let text = incoming.get("schemaText").and_then(Value::as_str).unwrap_or_default();
        if let Some((title, description)) = title_and_description(text) {
            incoming["schemaText"] = inferred_schema_text(&title, &description, &merged).into();
        }
    }
    incoming["schemaFields"] = merged.into();
    None
}

/// The request goes without its message schema: the server keeps the one it holds.
fn leave(body: &mut Value, why: String) -> Option<String> {
    if let Some(request) = body.as_object_mut() {
        request.remove("messageSchema");
    }
    Some(why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inferred(fields: Value) -> Value {
        let text = inferred_schema_text("t", "inferred", fields.as_array().unwrap());
        json!({"name": "t", "service": "s", "partitions": 1,
            "messageSchema": {"schemaType": "JSON", "schemaText": text, "schemaFields": fields}})
    }

    #[test]
    fn an_inferred_schema_keeps_the_stored_fields_and_draws_its_text_again() {
        let stored = inferred(json!([{"name": "email", "dataType": "STRING"}, {"name": "id", "dataType": "INT"}]));
        let mut body = inferred(json!([{"name": "id", "dataType": "INT"}, {"name": "z", "dataType": "BOOLEAN"}]));
        assert_eq!(converge("topic", &mut body, Some(Origin::Sample), Some(&stored)), None);
        let fields = &body["messageSchema"]["schemaFields"];
        assert_eq!(
            fields,
            &json!([{"name": "email", "dataType": "STRING"}, {"name": "id", "dataType": "INT"}, {"name": "z", "dataType": "BOOLEAN"}])
        );
        let text: Value = serde_json::from_str(body["messageSchema"]["schemaText"].as_str().unwrap()).unwrap();
        assert_eq!(text["properties"].as_object().unwrap().keys().collect::<Vec<_>>(), ["email", "id", "z"]);
        // The next run, with the same sample, sends what the server now holds.
        let mut again = inferred(json!([{"name": "id", "dataType": "INT"}, {"name": "z", "dataType": "BOOLEAN"}]));
        converge("topic", &mut again, Some(Origin::Sample), Some(&body));
        assert_eq!(again, body);
        assert_eq!(unchanged::change("topic", &again, &body), None);
    }

    #[test]
    fn a_registry_schema_is_authoritative_and_its_text_is_its_own() {
        let stored = json!({"messageSchema": {"schemaType": "Avro", "schemaText": "v1", "schemaFields": [
            {"name": "a", "dataType": "STRING"}, {"name": "b", "dataType": "INT"}]}});
        let mut body = json!({"messageSchema": {"schemaType": "Avro", "schemaText": "v2", "schemaFields": [{"name": "a", "dataType": "STRING"}]}});
        assert_eq!(converge("topic", &mut body, Some(Origin::Registry), Some(&stored)), None);
        assert_eq!(
            body["messageSchema"],
            json!({"schemaType": "Avro", "schemaText": "v2", "schemaFields": [{"name": "a", "dataType": "STRING"}]})
        );
    }

    #[test]
    fn a_stored_schema_that_cannot_be_read_is_left_as_the_server_holds_it() {
        let body = inferred(json!([{"name": "id", "dataType": "INT"}]));
        for (stored, why) in [
            (json!({"messageSchema": {"schemaText": "x"}}), "it has no schemaFields"),
            (json!({"messageSchema": {"schemaFields": [{"name": "a"}]}}), "field 'a' has no data type"),
        ] {
            let mut request = body.clone();
            assert_eq!(converge("topic", &mut request, Some(Origin::Sample), Some(&stored)).as_deref(), Some(why));
            assert!(request.get("messageSchema").is_none() && request["partitions"] == 1, "{request}");
        }
        // Nothing stored, or no schema stored: the request as it is.
        let mut request = body.clone();
        assert_eq!(converge("topic", &mut request, Some(Origin::Sample), None), None);
        assert_eq!(converge("topic", &mut request, Some(Origin::Sample), Some(&json!({"messageSchema": null}))), None);
        assert_eq!(request, body);
    }

    #[test]
    fn listings_are_read_by_type_and_fqn_and_an_entity_without_id_is_refused() {
        let mut stored = Stored::default();
        assert_eq!(stored.listed("topic"), None);
        stored.add_page("topic", &[json!({"id": "1", "fullyQualifiedName": "s.a"})]).unwrap();
        assert_eq!(stored.id("topic", "s.a"), Some("1"));
        assert_eq!(stored.get("pipeline", "s.a"), None);
        assert_eq!(stored.listed("topic").unwrap(), [("1".to_string(), "s.a".to_string())]);
        assert!(stored.add_page("topic", &[json!({"fullyQualifiedName": "s.b"})]).is_err());
        stored.add_page("topic", &[json!({"id": "2", "fullyQualifiedName": "s.o", "owners": [{"id": "u"}]})]).unwrap();
        assert_eq!(stored.has_owners("topic", "s.o"), Some(true));
        assert_eq!(stored.has_owners("topic", "s.a"), Some(false));
        assert_eq!(stored.has_owners("topic", "s.new"), Some(false), "not in OpenMetadata: no owner");
        assert_eq!(stored.has_owners("pipeline", "s.a"), None, "not listed: unknown");
        assert_eq!(listing_fields("topic"), "tags,owners");
    }

    #[test]
    fn a_listing_answer_that_is_not_a_page_is_an_error_never_an_empty_page() {
        let page = json!({"data": [{"id": "1", "fullyQualifiedName": "s.a"}], "paging": {"after": "c2"}});
        let (data, after) = read_page(&page).unwrap();
        assert_eq!((data.len(), after.as_deref()), (1, Some("c2")));
        assert_eq!(read_page(&json!({"data": [], "paging": {}})).unwrap().1, None);
        for (answer, why) in [
            (json!("<html>502</html>"), "no `data` list"),
            (json!({"data": []}), "no `paging`"),
            (json!({"data": [{"id": "1"}], "paging": {}}), "an entity without `id` or `fullyQualifiedName`"),
        ] {
            assert_eq!(read_page(&answer).unwrap_err(), why);
        }
    }
}
