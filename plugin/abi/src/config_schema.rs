//! How a plugin describes its configuration: JSON Schema draft-07, as OpenMetadata's own
//! connection schemas are, shaped so that a form renders from it as a person expects
//! (react-jsonschema-form with its stock Ajv validator, the way UIs render connector forms):
//! fields in the order the types declare them, no `$ref`s, no "null" alternatives (a form shows
//! each as a pointless picker, or a number as text), no number formats Ajv does not know
//! (`uint32`, `double`). A value that is absent and one that is null mean the same to plugins,
//! so hosts drop nulls before validating (see [`without_nulls`]).

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{Map, Value};

/// The config schema of `T`, for [`crate::SourcePlugin::config_schema`].
pub fn config_schema<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft07();
    settings.inline_subschemas = true;
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = serde_json::to_value(schema).expect("a schema is JSON");
    for_forms(&mut value);
    value
}

/// Formats schemars writes for Rust's number types; JSON Schema knows none of them.
const NUMBER_FORMATS: &[&str] =
    &["int", "uint", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float", "double"];

/// Rewrites a schema (and every schema within it) as described in the module's comment.
fn for_forms(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // `anyOf: [S, {type: null}]` (an optional object or enum) becomes S itself.
            let nullable = map.get("anyOf").and_then(Value::as_array).and_then(|alternatives| {
                let (nulls, others): (Vec<&Value>, Vec<&Value>) =
                    alternatives.iter().partition(|a| a.get("type").and_then(Value::as_str) == Some("null"));
                (nulls.len() == 1 && others.len() == 1).then(|| others[0].clone())
            });
            if let Some(Value::Object(inner)) = nullable {
                map.remove("anyOf");
                for (k, v) in inner {
                    // The outer title and description (the field's) win over the type's.
                    map.entry(k).or_insert(v);
                }
            }
            // `type: [T, "null"]` becomes `type: T`.
            if let Some(Value::Array(types)) = map.get("type") {
                let kept: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
                let replacement = if kept.len() == 1 { kept[0].clone() } else { Value::Array(kept) };
                map.insert("type".into(), replacement);
            }
            // `enum: [..., null]` loses its null.
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.retain(|v| !v.is_null());
            }
            // A choice of documented constants (`oneOf: [{const, type, description}, …]`, an enum
            // whose variants have doc comments) states its type itself: without one a form
            // cannot render it ("unknown field type").
            if !map.contains_key("type") {
                if let Some(Value::Array(alternatives)) = map.get("oneOf") {
                    let types: Vec<Option<&Value>> = alternatives.iter().map(|a| a.get("type")).collect();
                    let all_const = alternatives.iter().all(|a| a.get("const").is_some());
                    if all_const && types.first().is_some_and(|t| t.is_some() && types.iter().all(|u| u == t)) {
                        let common = types[0].cloned().unwrap_or_default();
                        map.insert("type".into(), common);
                    }
                }
            }
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if map.get("format").and_then(Value::as_str).is_some_and(|f| NUMBER_FORMATS.contains(&f)) {
                map.remove("format");
            }
            map.values_mut().for_each(for_forms);
        }
        Value::Array(items) => items.iter_mut().for_each(for_forms),
        _ => {}
    }
}

/// `value` without its null members (at any depth): what a config means once nulls are read as
/// absent, as plugins read them (OpenMetadata's Python models do the same).
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    /// Declared in an order that is not alphabetical.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Inner {
        /// Zeta.
        zeta: Option<String>,
        alpha: u32,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    enum Kind {
        Only,
    }

    /// A choice whose values are documented.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    #[serde(rename_all = "lowercase")]
    enum Masking {
        /// Nothing.
        None,
        /// Everything.
        All,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Outer {
        kind: Option<Kind>,
        masking: Option<Masking>,
        /// The inner one.
        inner: Option<Inner>,
        rate: Option<f64>,
    }

    #[test]
    fn a_schema_is_draft_07_in_declaration_order_without_refs_nulls_or_number_formats() {
        let s = config_schema::<Outer>();
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        let text = s.to_string();
        for absent in ["$ref", "$defs", "definitions", "\"null\"", "anyOf", "uint32", "double"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        let keys: Vec<&String> = s["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["kind", "masking", "inner", "rate"]);
        // A choice of documented constants says it is a string, so that a form renders a picker.
        assert_eq!(s["properties"]["masking"]["type"], "string", "{}", s["properties"]["masking"]);
        let inner: Vec<&String> = s["properties"]["inner"]["properties"].as_object().unwrap().keys().collect();
        assert_eq!(inner, ["zeta", "alpha"]);
        assert_eq!(s["properties"]["inner"]["description"], "The inner one.");
        assert_eq!(s["properties"]["rate"]["type"], "number");
        assert_eq!(s["properties"]["kind"]["enum"], json!(["Only"]));
    }

    #[test]
    fn nulls_are_dropped_at_any_depth() {
        let v = json!({"a": null, "b": {"c": null, "d": 1}, "e": [{"f": null}]});
        assert_eq!(without_nulls(&v), json!({"b": {"d": 1}, "e": [{}]}));
    }
}
