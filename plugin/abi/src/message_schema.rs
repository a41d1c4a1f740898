//! The text of a message schema inferred from samples, drawn from its field tree (OpenMetadata's
//! FieldModel list: `name`, `dataType`, `dataTypeDisplay`, `children`). A plugin draws it for the
//! fields it inferred; a host that merges those fields with the ones OpenMetadata holds draws it
//! again for the merged ones: one drawing, so that the same fields always give the same text,
//! byte for byte (a text that differs is a change, and a new version, on the server).

use serde_json::{json, Map, Value};

/// The JSON Schema document (2020-12) for `fields`, with `title` and `description`, as pretty
/// JSON. Properties follow the fields' order. Types come from `dataTypeDisplay` where it says
/// more than `dataType` (`array<record>`, `union<null,int,string>`); a record's properties from
/// the field's children. A type this drawing does not know is left open (`{}`).
pub fn inferred_schema_text(title: &str, description: &str, fields: &[Value]) -> String {
    let mut document = Map::new();
    document.insert("$schema".into(), "https://json-schema.org/draft/2020-12/schema".into());
    document.insert("title".into(), title.into());
    document.insert("description".into(), description.into());
    document.insert("type".into(), "object".into());
    document.insert("properties".into(), properties(fields));
    serde_json::to_string_pretty(&Value::Object(document)).expect("JSON")
}

/// The title and description of an inferred schema's text, for drawing it again.
pub fn title_and_description(schema_text: &str) -> Option<(String, String)> {
    let document: Value = serde_json::from_str(schema_text).ok()?;
    let text = |key: &str| document.get(key).and_then(Value::as_str).map(str::to_string);
    Some((text("title")?, text("description").unwrap_or_default()))
}

fn properties(fields: &[Value]) -> Value {
    let mut properties = Map::new();
    for field in fields {
        let Some(name) = field.get("name").and_then(Value::as_str) else { continue };
        properties.insert(name.to_string(), field_schema(field));
    }
    Value::Object(properties)
}

fn field_schema(field: &Value) -> Value {
    let data_type = field.get("dataType").and_then(Value::as_str).unwrap_or_default();
    let display = field.get("dataTypeDisplay").and_then(Value::as_str).unwrap_or(data_type);
    let children = field.get("children").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    match TypeExpr::parse(display) {
        Some(expr) if expr.name.eq_ignore_ascii_case(data_type) => expr.schema(children),
        // A display that does not describe the type: the type alone.
        _ => TypeExpr { name: data_type.to_ascii_lowercase(), args: Vec::new() }.schema(children),
    }
}

/// A type as OpenMetadata displays it: `int`, `array<record>`, `union<null,array<int>>`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    /// Lower case: `int`, `array`, `union`, `record`.
    pub name: String,
    pub args: Vec<TypeExpr>,
}

impl TypeExpr {
    /// `None` when the text is not a type expression (unbalanced brackets, an empty name).
    pub fn parse(text: &str) -> Option<TypeExpr> {
        let (expr, rest) = Self::parse_prefix(text.trim())?;
        rest.trim().is_empty().then_some(expr)
    }

    fn parse_prefix(text: &str) -> Option<(TypeExpr, &str)> {
        let end = text.find(['<', '>', ',']).unwrap_or(text.len());
        let name = text[..end].trim().to_ascii_lowercase();
        if name.is_empty() {
            return None;
        }
        let mut rest = &text[end..];
        let mut args = Vec::new();
        if let Some(inner) = rest.strip_prefix('<') {
            rest = inner;
            loop {
                let (arg, after) = Self::parse_prefix(rest.trim_start())?;
                args.push(arg);
                let after = after.trim_start();
                if let Some(next) = after.strip_prefix(',') {
                    rest = next;
                } else if let Some(done) = after.strip_prefix('>') {
                    rest = done;
                    break;
                } else {
                    return None;
                }
            }
        }
        Some((TypeExpr { name, args }, rest))
    }

    /// As OpenMetadata displays it.
    pub fn display(&self) -> String {
        if self.args.is_empty() {
            self.name.clone()
        } else {
            format!("{}<{}>", self.name, self.args.iter().map(TypeExpr::display).collect::<Vec<_>>().join(","))
        }
    }

    /// The JSON Schema of a value of this type; `children` are the record's fields, wherever
    /// the record sits in the type (an array's items, a union's member).
    fn schema(&self, children: &[Value]) -> Value {
        match self.name.as_str() {
            "null" => json!({"type": "null"}),
            "boolean" => json!({"type": "boolean"}),
            "int" | "long" => json!({"type": "integer"}),
            "double" | "float" => json!({"type": "number"}),
            "string" => json!({"type": "string"}),
            "record" => json!({"type": "object", "properties": properties(children)}),
            "array" => match self.args.first() {
                Some(items) if items.name != "unknown" => json!({"type": "array", "items": items.schema(children)}),
                _ => json!({"type": "array"}),
            },
            "union" => json!({"anyOf": self.args.iter().map(|m| m.schema(children)).collect::<Vec<_>>()}),
            _ => json!({}),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(fields: Value) -> Value {
        serde_json::from_str(&inferred_schema_text("t", "d", fields.as_array().unwrap())).unwrap()
    }

    #[test]
    fn records_arrays_and_unions_are_drawn_from_the_fields() {
        let d = doc(json!([
            {"name": "id", "dataType": "INT"},
            {"name": "user", "dataType": "RECORD", "children": [{"name": "city", "dataType": "STRING"}]},
            {"name": "items", "dataType": "ARRAY", "dataTypeDisplay": "array<record>", "children": [{"name": "qty", "dataType": "DOUBLE"}]},
            {"name": "v", "dataType": "UNION", "dataTypeDisplay": "union<null,int,array<string>>"},
            {"name": "e", "dataType": "ARRAY", "dataTypeDisplay": "array<unknown>"},
            {"name": "m", "dataType": "MAP"}
        ]));
        assert_eq!(d["title"], "t");
        assert_eq!(d["properties"]["id"], json!({"type": "integer"}));
        assert_eq!(d["properties"]["user"]["properties"]["city"], json!({"type": "string"}));
        assert_eq!(d["properties"]["items"]["items"]["properties"]["qty"], json!({"type": "number"}));
        assert_eq!(
            d["properties"]["v"]["anyOf"],
            json!([{"type": "null"}, {"type": "integer"}, {"type": "array", "items": {"type": "string"}}])
        );
        assert_eq!(d["properties"]["e"], json!({"type": "array"}));
        assert_eq!(d["properties"]["m"], json!({}));
        let order: Vec<&String> = d["properties"].as_object().unwrap().keys().collect();
        assert_eq!(order, ["id", "user", "items", "v", "e", "m"], "the fields' order");
    }

    #[test]
    fn the_same_fields_draw_the_same_text_and_the_title_comes_back() {
        let fields = [json!({"name": "a", "dataType": "LONG"})];
        let text = inferred_schema_text("orders", "from samples", &fields);
        assert_eq!(text, inferred_schema_text("orders", "from samples", &fields));
        assert_eq!(title_and_description(&text), Some(("orders".into(), "from samples".into())));
        assert_eq!(title_and_description("not json"), None);
    }

    #[test]
    fn type_expressions_parse_and_display_back() {
        for text in ["int", "array<record>", "union<null,array<union<int,string>>,record>"] {
            assert_eq!(TypeExpr::parse(text).unwrap().display(), text);
        }
        assert_eq!(TypeExpr::parse("Array< INT >").unwrap().display(), "array<int>");
        for bad in ["", "array<", "array<int", "a>b", "union<int,>"] {
            assert_eq!(TypeExpr::parse(bad), None, "{bad}");
        }
    }
}
