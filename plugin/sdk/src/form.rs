//! The form a person fills in from a connector's config schema: react-jsonschema-form's
//! uiSchema, served beside the JSON Schema (the named function
//! [`plugin_abi::CONFIG_UI_SCHEMA`], `host-example schema --ui`). In it:
//! - the fields a person fills first (the region, the credentials, what to ingest), then the
//!   tuning options in the order their types declare them (`ui:order`);
//! - an example in each empty field that has a shape (`ui:placeholder`);
//! - what each field expects, in a person's words, for every way its value can be refused
//!   (`ui:options.errorMessages`, by the validator's keyword: `pattern`, `minimum`, …), where a
//!   stock form would show `must match pattern "^[a-z]{2}(-[a-z]+)+-[0-9]+$"`. A form shows
//!   them through react-jsonschema-form's `transformErrors`, which is handed the uiSchema.
//!
//! Numbers and lengths are put into words from the schema itself; a pattern's meaning cannot
//! be, so every field with a pattern (or a `uri` format) must be given its words ([`Field`]),
//! and [`ui_schema`] refuses a form that leaves one out.

use serde_json::{json, Map, Value};

/// A part of a connector's form: its connection's, its pipeline settings', the `source`
/// block's own ([`SOURCE`]).
pub struct Form {
    /// Per object (its JSON pointer within the `source` block), the fields a person fills
    /// first, in that order; the object's other fields follow in declaration order.
    pub first: &'static [(&'static str, &'static [&'static str])],
    /// Fields whose expected value needs words.
    pub fields: &'static [Field],
}

/// One field's words.
pub struct Field {
    /// Its JSON pointer within the `source` block (`/serviceConnection/config/awsConfig/awsRegion`;
    /// an array's item is `items`: `/sourceConfig/config/schemaRegistryMapping/items/streamName`).
    pub path: &'static str,
    /// What a value must be, as a noun phrase: `a region such as eu-west-1`.
    pub expects: &'static str,
    /// An example shown in the empty field, if any.
    pub example: Option<&'static str>,
}

/// The `source` block's own fields.
pub const SOURCE: Form = Form {
    first: &[("", &["type", "serviceName", "serviceConnection", "sourceConfig"])],
    fields: &[Field { path: "/serviceName", expects: "a name that is not blank", example: None }],
};

/// The uiSchema of `schema` laid out by `parts`: an error names a field that needs words and has
/// none, or a part that names a field the schema does not have.
pub fn ui_schema(schema: &Value, parts: &[&Form]) -> Result<Value, String> {
    let mut problems = Vec::new();
    for part in parts {
        for (object, names) in part.first {
            for name in *names {
                if at(schema, &format!("{object}/{name}")).is_none() {
                    problems.push(format!("{object}/{name}: listed first, but the schema has no such field"));
                }
            }
        }
        for field in part.fields {
            if at(schema, field.path).is_none() {
                problems.push(format!("{}: given words, but the schema has no such field", field.path));
            }
        }
    }
    let mut ui = Map::new();
    lay_out(schema, "", parts, &mut ui, &mut problems);
    if problems.is_empty() {
        Ok(Value::Object(ui))
    } else {
        Err(problems.join("; "))
    }
}

/// The uiSchema of a schema no connector laid out (a configuration that is not the SDK's `source`
/// block): no order, numbers and lengths in words, patterns left to the form's own words.
pub fn plain(schema: &Value) -> Value {
    let mut ui = Map::new();
    let mut unworded = Vec::new();
    lay_out(schema, "", &[], &mut ui, &mut unworded);
    Value::Object(ui)
}

/// The schema of the field at `path` (object properties and `items`).
fn at<'a>(schema: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').skip(1).try_fold(schema, |s, part| match part {
        "items" => s.get("items"),
        name => s.get("properties")?.get(name),
    })
}

/// The uiSchema of the object `schema` at `path`, into `ui`.
fn lay_out(schema: &Value, path: &str, parts: &[&Form], ui: &mut Map<String, Value>, problems: &mut Vec<String>) {
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let first: Vec<&str> =
        parts.iter().flat_map(|p| p.first).filter(|(o, _)| *o == path).flat_map(|(_, n)| n.iter().copied()).collect();
    if !first.is_empty() {
        let rest = properties.keys().map(String::as_str).filter(|k| !first.contains(k));
        ui.insert("ui:order".into(), json!(first.iter().copied().chain(rest).collect::<Vec<_>>()));
    }
    for (name, field) in properties {
        let field_path = format!("{path}/{name}");
        let mut node = Map::new();
        lay_out(field, &field_path, parts, &mut node, problems);
        if let Some(items) = field.get("items") {
            let mut item = Map::new();
            lay_out(items, &format!("{field_path}/items"), parts, &mut item, problems);
            if !item.is_empty() {
                node.insert("items".into(), Value::Object(item));
            }
        }
        let words = parts.iter().flat_map(|p| p.fields).find(|f| f.path == field_path);
        put_into_words(field, &field_path, words, &mut node, problems);
        if !node.is_empty() {
            ui.insert(name.clone(), Value::Object(node));
        }
    }
}

/// A field's example and error messages.
fn put_into_words(
    field: &Value,
    path: &str,
    words: Option<&Field>,
    node: &mut Map<String, Value>,
    problems: &mut Vec<String>,
) {
    let mut messages = Map::new();
    let mut say = |keywords: &[&str], text: &str| {
        for keyword in keywords.iter().filter(|k| **k == "type" || field.get(**k).is_some()) {
            messages.insert((*keyword).into(), format!("expected {text}").into());
        }
    };
    let format = field.get("format").and_then(Value::as_str);
    let shaped = field.get("pattern").is_some() || format == Some("uri");
    match words {
        Some(words) => {
            say(&["pattern"], words.expects);
            if format == Some("uri") {
                say(&["format"], words.expects);
            }
            if let Some(example) = words.example {
                node.insert("ui:placeholder".into(), example.into());
            }
        }
        None if shaped => problems.push(format!("{path}: has a pattern or format, and no words for it")),
        None => {}
    }
    if let Some(length) = length(field) {
        say(&["minLength", "maxLength"], &length);
    }
    if let Some(range) = range(field) {
        say(&["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "type"], &range);
    }
    if !messages.is_empty() {
        node.insert("ui:options".into(), json!({"errorMessages": messages}));
    }
}

/// `1 to 256 characters`, `at least 2 characters`.
fn length(field: &Value) -> Option<String> {
    let min = field.get("minLength").and_then(Value::as_u64);
    let max = field.get("maxLength").and_then(Value::as_u64);
    Some(match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max} characters"),
        (Some(min), None) => format!("at least {min} characters"),
        (None, Some(max)) => format!("at most {max} characters"),
        (None, None) => return None,
    })
}

/// `a whole number from 1 to 1000`, `a number of at least 0.1`.
fn range(field: &Value) -> Option<String> {
    let noun = match field.get("type").and_then(Value::as_str)? {
        "integer" => "a whole number",
        "number" => "a number",
        _ => return None,
    };
    let bound = |k: &str| field.get(k).and_then(Value::as_f64).map(|n| n.to_string());
    Some(match (bound("minimum"), bound("maximum")) {
        (Some(min), Some(max)) => format!("{noun} from {min} to {max}"),
        (Some(min), None) => format!("{noun} of at least {min}"),
        (None, Some(max)) => format!("{noun} of at most {max}"),
        (None, None) => noun.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "name": {"type": "string", "pattern": "\\S", "minLength": 1, "maxLength": 9},
            "conn": {"type": "object", "properties": {
                "zeta": {"type": "integer", "minimum": 1, "maximum": 10},
                "region": {"type": "string", "pattern": "^[a-z]+$"},
                "rate": {"type": "number", "minimum": 0.1},
                "plain": {"type": "boolean"}
            }},
            "list": {"type": "array", "items": {"type": "object", "properties": {
                "stream": {"type": "string", "pattern": "^s"}
            }}}
        }})
    }

    const FORM: Form = Form {
        first: &[("/conn", &["region"])],
        fields: &[
            Field { path: "/name", expects: "a name", example: None },
            Field { path: "/conn/region", expects: "a region such as eu", example: Some("eu") },
            Field { path: "/list/items/stream", expects: "a stream", example: None },
        ],
    };

    #[test]
    fn the_first_fields_lead_and_the_rest_keep_their_order() {
        let ui = ui_schema(&schema(), &[&FORM]).unwrap();
        assert_eq!(ui["conn"]["ui:order"], json!(["region", "zeta", "rate", "plain"]));
        assert!(ui.get("ui:order").is_none(), "{ui}");
    }

    #[test]
    fn every_refusal_has_words_numbers_and_lengths_from_the_schema() {
        let ui = ui_schema(&schema(), &[&FORM]).unwrap();
        let messages = |p: &str| ui.pointer(p).unwrap()["ui:options"]["errorMessages"].clone();
        assert_eq!(messages("/conn/region")["pattern"], "expected a region such as eu");
        assert_eq!(ui["conn"]["region"]["ui:placeholder"], "eu");
        assert_eq!(messages("/conn/zeta")["maximum"], "expected a whole number from 1 to 10");
        assert_eq!(messages("/conn/rate")["minimum"], "expected a number of at least 0.1");
        assert_eq!(messages("/name")["minLength"], "expected 1 to 9 characters");
        assert_eq!(messages("/list/items/stream")["pattern"], "expected a stream");
        assert!(ui["conn"].get("plain").is_none(), "{ui}");
    }

    #[test]
    fn a_schema_no_connector_laid_out_gets_words_for_its_numbers_only() {
        let ui = plain(&schema());
        assert!(ui.get("ui:order").is_none() && ui["conn"].get("ui:order").is_none(), "{ui}");
        assert_eq!(
            ui["conn"]["zeta"]["ui:options"]["errorMessages"]["minimum"],
            "expected a whole number from 1 to 10"
        );
        assert!(ui["conn"].get("region").is_none(), "{ui}");
    }

    #[test]
    fn a_pattern_without_words_or_a_field_the_schema_lacks_is_refused() {
        let missing = Form { first: &[("/conn", &["regoin"])], fields: &[] };
        let e = ui_schema(&schema(), &[&missing]).unwrap_err();
        assert!(e.contains("/conn/regoin: listed first"), "{e}");
        assert!(e.contains("/conn/region: has a pattern"), "{e}");
        assert!(e.contains("/name: has a pattern"), "{e}");
    }
}
