//! Inferring a topic's message schema from its sample: when the sampled messages are JSON
//! objects, their merged structure becomes the Topic's `messageSchema` (a JSON Schema document
//! as `schemaText`, and the field tree with OpenMetadata's data types as `schemaFields`).

use std::collections::BTreeMap;

use plugin_abi::message_schema::inferred_schema_text;
use serde_json::{json, Value};

/// OpenMetadata's limit on a field name's length.
const MAX_FIELD_NAME: usize = 128;

/// The merged shape of the values seen at one place.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Null,
    Boolean,
    Int,
    Long,
    Double,
    String,
    /// Items' shape; `None` when every array seen was empty.
    Array(Option<Box<Shape>>),
    Record(Record),
    /// Shapes that disagree, each at most once, in a stable order.
    Union(Vec<Shape>),
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Record {
    /// Each field's shape, by name (so in a fixed order, whatever the messages' order).
    fields: BTreeMap<String, Shape>,
}

impl Shape {
    fn of(value: &Value) -> Shape {
        match value {
            Value::Null => Shape::Null,
            Value::Bool(_) => Shape::Boolean,
            Value::Number(n) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => Shape::Int,
                Some(_) => Shape::Long,
                None if n.as_u64().is_some() => Shape::Long,
                None => Shape::Double,
            },
            Value::String(_) => Shape::String,
            Value::Array(items) => Shape::Array(items.iter().map(Shape::of).reduce(Shape::merge).map(Box::new)),
            Value::Object(map) => {
                Shape::Record(Record { fields: map.iter().map(|(k, v)| (k.clone(), Shape::of(v))).collect() })
            }
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Shape::Null => 0,
            Shape::Boolean => 1,
            Shape::Int | Shape::Long | Shape::Double => 2,
            Shape::String => 3,
            Shape::Array(_) => 4,
            Shape::Record(_) => 5,
            Shape::Union(_) => 6,
        }
    }

    fn merge(self, other: Shape) -> Shape {
        use Shape::*;
        match (self, other) {
            (a, b) if a == b && !matches!(a, Record(_)) => a,
            // Numbers widen: INT < LONG < DOUBLE.
            (Int, Long) | (Long, Int) => Long,
            (Double, Int | Long) | (Int | Long, Double) => Double,
            (Array(a), Array(b)) => Array(match (a, b) {
                (Some(a), Some(b)) => Some(Box::new(a.merge(*b))),
                (a, b) => a.or(b),
            }),
            (Record(mut a), Record(b)) => {
                for (name, shape) in b.fields {
                    let merged = match a.fields.remove(&name) {
                        Some(mine) => mine.merge(shape),
                        None => shape,
                    };
                    a.fields.insert(name, merged);
                }
                Record(a)
            }
            (Union(members), other) | (other, Union(members)) => {
                let mut result = members;
                let others = match other {
                    Union(more) => more,
                    single => vec![single],
                };
                for shape in others {
                    match result.iter().position(|m| m.rank() == shape.rank()) {
                        Some(i) => {
                            let existing = result.remove(i);
                            result.insert(i, existing.merge(shape));
                        }
                        None => result.push(shape),
                    }
                }
                result.sort_by_key(Shape::rank);
                Union(result)
            }
            (a, b) => {
                let mut members = vec![a, b];
                members.sort_by_key(Shape::rank);
                Union(members)
            }
        }
    }

    fn data_type(&self) -> &'static str {
        match self {
            Shape::Null => "NULL",
            Shape::Boolean => "BOOLEAN",
            Shape::Int => "INT",
            Shape::Long => "LONG",
            Shape::Double => "DOUBLE",
            Shape::String => "STRING",
            Shape::Array(_) => "ARRAY",
            Shape::Record(_) => "RECORD",
            Shape::Union(_) => "UNION",
        }
    }

    /// `array<record>`, `union<null,string>`: how OpenMetadata shows complex types.
    fn display(&self) -> String {
        match self {
            Shape::Array(Some(items)) => format!("array<{}>", items.display()),
            Shape::Array(None) => "array<unknown>".into(),
            Shape::Union(members) => {
                format!("union<{}>", members.iter().map(Shape::display).collect::<Vec<_>>().join(","))
            }
            other => other.data_type().to_ascii_lowercase(),
        }
    }

    /// The fields below this shape, as OpenMetadata's FieldModel children.
    fn children(&self) -> Option<Vec<Value>> {
        match self {
            Shape::Record(record) => Some(fields(record)),
            Shape::Array(Some(items)) => items.children(),
            Shape::Union(members) => members.iter().find_map(Shape::children),
            _ => None,
        }
    }
}

fn fields(record: &Record) -> Vec<Value> {
    record
        .fields
        .iter()
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, shape)| {
            let mut field = json!({"name": field_name(name), "dataType": shape.data_type()});
            if matches!(shape, Shape::Array(_) | Shape::Union(_)) {
                field["dataTypeDisplay"] = shape.display().into();
            }
            if let Some(children) = shape.children() {
                field["children"] = Value::Array(children);
            }
            field
        })
        .collect()
}

pub(crate) fn field_name(name: &str) -> String {
    let mut end = name.len().min(MAX_FIELD_NAME);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// The `messageSchema` of a topic whose messages are JSON objects; `None` when there are no
/// messages, or some message is neither a JSON object nor cut short (then it is no JSON topic).
/// Messages cut short by the size bound are left out of the inference. The text is drawn from
/// the fields (`plugin_abi::message_schema`) and says nothing about how many messages were
/// read, so that samples of the same shape give the same schema, byte for byte.
pub fn message_schema(topic: &str, messages: &[(&str, bool)]) -> Option<Value> {
    let mut merged: Option<Shape> = None;
    for (text, truncated) in messages {
        match serde_json::from_str::<Value>(text) {
            Ok(value @ Value::Object(_)) => {
                let shape = Shape::of(&value);
                merged = Some(match merged {
                    Some(m) => m.merge(shape),
                    None => shape,
                });
            }
            _ if *truncated => continue,
            _ => return None,
        }
    }
    let Shape::Record(record) = merged? else { return None };
    let fields = fields(&record);
    let description = format!("Inferred by the Kinesis plugin from sampled JSON records of stream '{topic}'.");
    Some(json!({
        "schemaType": "JSON",
        "schemaText": inferred_schema_text(topic, &description, &fields),
        "schemaFields": fields,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(messages: &[&str]) -> Option<Value> {
        let list: Vec<(&str, bool)> = messages.iter().map(|m| (*m, false)).collect();
        message_schema("t", &list)
    }

    fn field<'a>(fields: &'a Value, name: &str) -> &'a Value {
        fields
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no field {name} in {fields}"))
    }

    fn text(schema: &Value) -> Value {
        serde_json::from_str(schema["schemaText"].as_str().unwrap()).unwrap()
    }

    #[test]
    fn nested_objects_become_records_with_children() {
        let s = infer(&[r#"{"id": 1, "user": {"name": "a", "age": 30, "address": {"city": "x"}}}"#]).unwrap();
        assert_eq!(s["schemaType"], "JSON");
        let fields = &s["schemaFields"];
        assert_eq!(field(fields, "id")["dataType"], "INT");
        let user = field(fields, "user");
        assert_eq!(user["dataType"], "RECORD");
        assert_eq!(field(&user["children"], "name")["dataType"], "STRING");
        assert_eq!(field(&field(&user["children"], "address")["children"], "city")["dataType"], "STRING");
        let doc = text(&s);
        assert_eq!(doc["properties"]["user"]["properties"]["address"]["type"], "object");
        assert_eq!(doc["title"], "t");
    }

    #[test]
    fn arrays_of_objects_show_their_items_fields() {
        let s = infer(&[r#"{"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2.5}], "tags": ["x"]}"#]).unwrap();
        let items = field(&s["schemaFields"], "items");
        assert_eq!(items["dataType"], "ARRAY");
        assert_eq!(items["dataTypeDisplay"], "array<record>");
        assert_eq!(field(&items["children"], "qty")["dataType"], "DOUBLE");
        assert_eq!(field(&s["schemaFields"], "tags")["dataTypeDisplay"], "array<string>");
    }

    #[test]
    fn types_that_disagree_across_samples_become_unions_and_numbers_widen() {
        let s = infer(&[
            r#"{"v": 1, "n": 1, "w": 1}"#,
            r#"{"v": "one", "n": 9999999999, "w": 0.5}"#,
            r#"{"v": null, "n": 2, "w": 2}"#,
        ])
        .unwrap();
        let v = field(&s["schemaFields"], "v");
        assert_eq!(v["dataType"], "UNION");
        assert_eq!(v["dataTypeDisplay"], "union<null,int,string>");
        assert_eq!(field(&s["schemaFields"], "n")["dataType"], "LONG");
        assert_eq!(field(&s["schemaFields"], "w")["dataType"], "DOUBLE");
        assert_eq!(text(&s)["properties"]["v"]["anyOf"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn samples_of_the_same_shape_give_the_same_schema_whatever_their_number_and_order() {
        let one = infer(&[r#"{"a": 1, "b": true}"#, r#"{"a": 2}"#]).unwrap();
        let other = infer(&[r#"{"a": 7}"#, r#"{"b": false, "a": 3}"#, r#"{"a": 9}"#]).unwrap();
        assert_eq!(one, other);
        assert_eq!(field(&one["schemaFields"], "b")["dataType"], "BOOLEAN");
        assert!(text(&one).get("required").is_none(), "what a sample lacks says nothing");
    }

    #[test]
    fn empty_objects_give_a_schema_without_fields() {
        let s = infer(&["{}"]).unwrap();
        assert_eq!(s["schemaFields"], json!([]));
        assert_eq!(text(&s)["type"], "object");
    }

    #[test]
    fn top_level_arrays_scalars_and_text_give_no_schema() {
        assert!(infer(&["[1, 2]"]).is_none());
        assert!(infer(&["42"]).is_none());
        assert!(infer(&[r#"{"a": 1}"#, "plain text"]).is_none());
        assert!(infer(&[]).is_none());
    }

    #[test]
    fn truncated_messages_are_left_out() {
        let s = message_schema("t", &[(r#"{"a": 1}"#, false), (r#"{"a": 1, "b"… [truncated"#, true)]).unwrap();
        assert_eq!(s["schemaFields"], json!([{"name": "a", "dataType": "INT"}]));
    }

    #[test]
    fn an_inferred_schema_is_valid_in_a_create_topic_request() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/contract/createTopic.json");
        let contract: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let validator = jsonschema::validator_for(&contract).unwrap();
        let s = infer(&[r#"{"a": {"b": [{"c": null}]}, "d": [], "": 1}"#, r#"{"a": 5}"#]).unwrap();
        let request = json!({"name": "t", "service": "s", "partitions": 1, "messageSchema": s});
        let errors: Vec<String> = validator.iter_errors(&request).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
}
