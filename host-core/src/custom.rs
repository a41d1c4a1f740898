//! A plugin's configuration from an OpenMetadata *custom* connection (`CustomMessaging`,
//! `CustomPipeline`), as OpenMetadata's own framework hands it to a custom source: the plugin's
//! connection fields as extra fields of the connection, or as `connectionOptions` strings (what
//! OpenMetadata's UI offers: flat names, numbers and booleans as text, lists and objects as
//! JSON text); the plugin's source options that OpenMetadata's `sourceConfig` model refuses,
//! the same two ways. The result is the `source` block the plugin reads, and a map back from
//! its paths to where the user wrote each value, so that every problem names the user's field.

use serde_json::{Map, Value};

use crate::validate::Violation;

/// The connection's own fields, which OpenMetadata or the host read and the plugin does not:
/// the class, the plugin a generic class runs, the options, the host's deletion limit.
const FRAMEWORK_FIELDS: [&str; 4] = ["sourcePythonClass", "plugin", "connectionOptions", "maxDeleteShare"];

/// A plugin's `source` block, and where each of its values came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    pub source: Value,
    /// (JSON pointer in `source`, the user's dotted path), most specific last.
    origins: Vec<(String, String)>,
}

impl Translated {
    /// Where the user wrote what `pointer` (a JSON pointer into `source`) holds, as
    /// OpenMetadata's workflow shows it: `serviceConnection.config.connectionOptions.awsRegion`.
    pub fn user_path(&self, pointer: &str) -> String {
        user_path(&self.origins, pointer)
    }
}

fn user_path(origins: &[(String, String)], pointer: &str) -> String {
    {
        let best = origins
            .iter()
            .filter(|(p, _)| pointer == p || pointer.strip_prefix(p.as_str()).is_some_and(|r| r.starts_with('/')))
            .max_by_key(|(p, _)| p.len());
        match best {
            Some((p, user)) => format!("{user}{}", dotted(&pointer[p.len()..])),
            None if pointer == "/" || pointer.is_empty() => "source".into(),
            None => dotted(pointer).trim_start_matches('.').to_string(),
        }
    }
}

fn dotted(pointer: &str) -> String {
    pointer
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| format!(".{}", s.replace("~1", "/").replace("~0", "~")))
        .collect()
}

fn pointer_of(parts: &[&str]) -> String {
    parts.iter().map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1"))).collect()
}

/// Where a setting goes in the plugin's `source` block: its pointer parts and its schema.
struct Place<'s> {
    parts: Vec<&'s str>,
    schema: &'s Value,
}

/// The plugin's settings by name: the connection's fields, the fields of the connection's
/// objects (`awsConfig.awsRegion`, as the UI offers them flat), the source options.
struct Settings<'s> {
    connection: &'s Map<String, Value>,
    source_options: &'s Map<String, Value>,
}

impl<'s> Settings<'s> {
    fn of(schema: &'s Value) -> Settings<'s> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        let empty = EMPTY.get_or_init(Map::new);
        let props = |pointer: &str| schema.pointer(pointer).and_then(Value::as_object).unwrap_or(empty);
        Settings {
            connection: props("/properties/serviceConnection/properties/config/properties"),
            source_options: props("/properties/sourceConfig/properties/config/properties"),
        }
    }

    fn locate(&self, name: &'s str) -> Option<Place<'s>> {
        if let Some(s) = self.connection.get(name) {
            return Some(Place { parts: vec!["serviceConnection", "config", name], schema: s });
        }
        for (object, s) in self.connection {
            if let Some(inner) = s.pointer("/properties").and_then(Value::as_object).and_then(|p| p.get(name)) {
                return Some(Place {
                    parts: vec!["serviceConnection", "config", object.as_str(), name],
                    schema: inner,
                });
            }
        }
        self.source_options.get(name).map(|s| Place { parts: vec!["sourceConfig", "config", name], schema: s })
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (name, s) in self.connection {
            match s.pointer("/properties").and_then(Value::as_object) {
                Some(inner) if !inner.is_empty() => names.extend(inner.keys().cloned()),
                _ if name != "type" => names.push(name.clone()),
                _ => {}
            }
        }
        names.extend(self.source_options.keys().filter(|n| *n != "type").cloned());
        names
    }
}

/// The JSON type a schema asks for (the first that is not null).
fn json_type(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => ["anyOf", "oneOf"]
            .iter()
            .filter_map(|k| schema.get(*k).and_then(Value::as_array))
            .flatten()
            .find_map(|s| json_type(s).filter(|t| *t != "null")),
    }
}

/// A `connectionOptions` string as the value its setting takes. The message never quotes the
/// text (it may be a secret).
fn from_text(text: &str, schema: &Value) -> Result<Value, String> {
    match json_type(schema) {
        Some("integer") => text.trim().parse::<i64>().map(Value::from).map_err(|_| "is not a whole number".to_string()),
        Some("number") => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| "is not a number".to_string()),
        Some("boolean") => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err("is not true or false".to_string()),
        },
        Some(kind @ ("array" | "object")) => {
            let what = if kind == "array" { "a list" } else { "an object" };
            match serde_json::from_str::<Value>(text) {
                Ok(v) if (kind == "array") == v.is_array() && (kind == "object") == v.is_object() => Ok(v),
                _ => Err(format!("is not {what} written as JSON text")),
            }
        }
        _ => Ok(Value::String(text.to_string())),
    }
}

fn put(source: &mut Value, parts: &[&str], value: Value) {
    let mut at = source;
    for part in &parts[..parts.len() - 1] {
        if !at.get(*part).is_some_and(Value::is_object) {
            at[*part] = Value::Object(Map::new());
        }
        at = &mut at[*part];
    }
    at[parts[parts.len() - 1]] = value;
}

/// The plugin's `source` block from the `source` block OpenMetadata's framework hands a custom
/// source (`om_source`, enums as their values). `schema` is the plugin's config schema;
/// `om_defaults` the defaults of OpenMetadata's `sourceConfig` model: a standard option at its
/// default is left to the plugin's own default (OpenMetadata's model writes every option, so a
/// default cannot be told from a choice). Every problem is reported at once.
pub fn from_custom(om_source: &Value, schema: &Value, om_defaults: &Value) -> Result<Translated, Vec<Violation>> {
    let default_of = |pointer: &str| schema.pointer(pointer).and_then(|s| s.get("default")).cloned();
    let source_type = default_of("/properties/type").unwrap_or(Value::Null);
    let connection_type = default_of("/properties/serviceConnection/properties/config/properties/type")
        .ok_or_else(|| vec![violation("/", "the plugin's schema names no connection type")])?;
    let source = serde_json::json!({
        "type": source_type,
        "serviceName": om_source.get("serviceName").cloned().unwrap_or(Value::Null),
        "serviceConnection": {"config": {"type": connection_type}},
        "sourceConfig": {"config": {}},
    });
    let mut block = Block { settings: Settings::of(schema), source, origins: Vec::new(), problems: Vec::new() };
    block.origins.push(("/serviceName".to_string(), "serviceName".to_string()));
    block.standard_options(om_source, om_defaults);
    let connection = om_source.pointer("/serviceConnection/config").and_then(Value::as_object);
    for (name, value) in connection.into_iter().flatten() {
        if name == "type" || FRAMEWORK_FIELDS.contains(&name.as_str()) || value.is_null() {
            continue;
        }
        block.field(name, format!("serviceConnection.config.{name}"), value.clone());
    }
    match connection.and_then(|c| c.get("connectionOptions")).filter(|o| !o.is_null()) {
        None => {}
        Some(Value::Object(options)) => block.connection_options(options),
        Some(_) => block
            .problems
            .push(violation("serviceConnection.config.connectionOptions", "is not a map of names to text")),
    }
    let Block { source, origins, problems, .. } = block;
    if problems.is_empty() {
        Ok(Translated { source, origins })
    } else {
        Err(problems)
    }
}

/// The plugin's `source` block as it is built: where each value came from, and every problem.
struct Block<'a> {
    settings: Settings<'a>,
    source: Value,
    origins: Vec<(String, String)>,
    problems: Vec<Violation>,
}

impl<'a> Block<'a> {
    /// The standard source options, but those at OpenMetadata's defaults.
    fn standard_options(&mut self, om_source: &Value, om_defaults: &Value) {
        if let Some(config) = om_source.pointer("/sourceConfig/config").and_then(Value::as_object) {
            for (name, value) in config {
                if value.is_null() || om_defaults.get(name) == Some(value) && name != "type" {
                    continue;
                }
                self.source["sourceConfig"]["config"][name] = value.clone();
            }
        }
        self.origins.push(("/sourceConfig".to_string(), "sourceConfig".to_string()));
    }

    /// A field of the custom connection, where the plugin's schema has it (`user` is where
    /// the user wrote it).
    fn field(&mut self, name: &'a str, user: String, value: Value) {
        match self.settings.locate(name) {
            Some(at) => self.place(at.parts, user, value),
            None => self.not_a_setting(user),
        }
    }

    /// The connection options: text, read as the plugin's schema types each setting.
    fn connection_options(&mut self, options: &'a Map<String, Value>) {
        for (name, value) in options {
            let user = format!("serviceConnection.config.connectionOptions.{name}");
            if FRAMEWORK_FIELDS.contains(&name.as_str()) {
                continue;
            }
            let Some(at) = self.settings.locate(name) else {
                self.not_a_setting(user);
                continue;
            };
            let value = match value {
                Value::String(text) => from_text(text, at.schema),
                other => Ok(other.clone()),
            };
            match value {
                Ok(v) => self.place(at.parts, user, v),
                Err(why) => self.problems.push(Violation { path: user, message: why }),
            }
        }
    }

    fn place(&mut self, parts: Vec<&str>, user: String, value: Value) {
        let pointer = pointer_of(&parts);
        if self.source.pointer(&pointer).is_some_and(|v| !v.is_null()) {
            let first = user_path(&self.origins, &pointer);
            self.problems.push(Violation { path: user, message: format!("given twice: also as {first}") });
            return;
        }
        put(&mut self.source, &parts, value);
        self.origins.push((pointer, user));
    }

    fn not_a_setting(&mut self, user: String) {
        let message = format!("not a setting of this connector (its settings: {})", self.settings.names().join(", "));
        self.problems.push(Violation { path: user, message });
    }
}

fn violation(path: &str, message: &str) -> Violation {
    Violation { path: path.into(), message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"properties": {
            "type": {"type": "string", "default": "kinesis"},
            "serviceName": {"type": "string"},
            "serviceConnection": {"properties": {"config": {"properties": {
                "type": {"type": "string", "default": "Kinesis"},
                "awsConfig": {"type": "object", "properties": {
                    "awsRegion": {"type": "string"}, "awsSecretAccessKey": {"type": "string", "format": "password"},
                    "enabled": {"type": "boolean"}}},
                "topicFilterPattern": {"type": "object"}
            }}}},
            "sourceConfig": {"properties": {"config": {"properties": {
                "type": {"type": "string", "default": "MessagingMetadata"},
                "generateSampleData": {"type": "boolean"}, "markDeletedTopics": {"type": "boolean"},
                "sampleSize": {"type": "integer"}, "apiBudgetShare": {"type": "number"},
                "schemaRegistryMapping": {"type": "array"}
            }}}}
        }})
    }

    fn om_defaults() -> Value {
        json!({"type": "MessagingMetadata", "topicFilterPattern": null, "generateSampleData": false, "markDeletedTopics": true, "overrideMetadata": false})
    }

    fn om_source(connection: Value) -> Value {
        let mut config = json!({"type": "CustomMessaging", "sourcePythonClass": "openmetadata_plugins.KinesisSource",
            "topicFilterPattern": null, "supportsMetadataExtraction": null});
        config.as_object_mut().unwrap().extend(connection.as_object().unwrap().clone());
        json!({"type": "customMessaging", "serviceName": "svc", "serviceConnection": {"config": config},
            "sourceConfig": {"config": {"type": "MessagingMetadata", "topicFilterPattern": null,
                "generateSampleData": true, "markDeletedTopics": true, "overrideMetadata": false}}})
    }

    #[test]
    fn extra_fields_and_connection_options_give_the_same_source() {
        let extra = om_source(json!({"awsConfig": {"awsRegion": "eu-west-1", "awsSecretAccessKey": "s"},
            "sampleSize": 5, "schemaRegistryMapping": [{"streamName": "a"}]}));
        let options = om_source(json!({"connectionOptions": {"awsRegion": "eu-west-1", "awsSecretAccessKey": "s",
            "sampleSize": "5", "schemaRegistryMapping": "[{\"streamName\": \"a\"}]"}}));
        let a = from_custom(&extra, &schema(), &om_defaults()).unwrap();
        let b = from_custom(&options, &schema(), &om_defaults()).unwrap();
        assert_eq!(a.source, b.source);
        assert_eq!(
            a.source,
            json!({"type": "kinesis", "serviceName": "svc",
                "serviceConnection": {"config": {"type": "Kinesis", "awsConfig": {"awsRegion": "eu-west-1", "awsSecretAccessKey": "s"}}},
                "sourceConfig": {"config": {"type": "MessagingMetadata", "generateSampleData": true,
                    "sampleSize": 5, "schemaRegistryMapping": [{"streamName": "a"}]}}})
        );
        assert_eq!(
            b.user_path("/serviceConnection/config/awsConfig/awsRegion"),
            "serviceConnection.config.connectionOptions.awsRegion"
        );
        assert_eq!(
            a.user_path("/serviceConnection/config/awsConfig/awsRegion"),
            "serviceConnection.config.awsConfig.awsRegion"
        );
        assert_eq!(
            b.user_path("/sourceConfig/config/sampleSize"),
            "serviceConnection.config.connectionOptions.sampleSize"
        );
        assert_eq!(
            a.user_path("/sourceConfig/config/schemaRegistryMapping/0/registryName"),
            "serviceConnection.config.schemaRegistryMapping.0.registryName"
        );
        assert_eq!(a.user_path("/sourceConfig/config/generateSampleData"), "sourceConfig.config.generateSampleData");
        assert_eq!(a.user_path("/"), "source");
    }

    #[test]
    fn every_problem_is_named_at_once_and_no_value_is_quoted() {
        let bad = om_source(json!({"awsRegoin": "x", "connectionOptions": {"sampleSize": "fifty",
            "awsSecretAccessKey": "hunter2", "enabled": "maybe", "apiBudgetShare": "lots", "schemaRegistryMapping": "{}"},
            "awsConfig": {"awsSecretAccessKey": "again"}}));
        let problems = from_custom(&bad, &schema(), &om_defaults()).unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        let expect = [
            "serviceConnection.config.awsRegoin: not a setting of this connector",
            "serviceConnection.config.connectionOptions.sampleSize: is not a whole number",
            "serviceConnection.config.connectionOptions.enabled: is not true or false",
            "serviceConnection.config.connectionOptions.apiBudgetShare: is not a number",
            "serviceConnection.config.connectionOptions.schemaRegistryMapping: is not a list written as JSON text",
        ];
        for e in expect {
            assert!(text.iter().any(|t| t.starts_with(e)), "{e} not in {text:#?}");
        }
        // A nested object given as an extra field is placed whole; the same setting as an option
        // too is named as given twice.
        assert!(text.iter().any(|t| t.starts_with(
            "serviceConnection.config.connectionOptions.awsSecretAccessKey: given twice: also as \
             serviceConnection.config.awsConfig.awsSecretAccessKey"
        )));
        assert!(text.iter().all(|t| !t.contains("hunter2") && !t.contains("again")), "{text:#?}");
        assert!(text[0].contains("awsRegion"), "the settings on offer are listed: {}", text[0]);
    }

    #[test]
    fn a_setting_given_twice_is_refused() {
        let twice = om_source(json!({"sampleSize": 5, "connectionOptions": {"sampleSize": "6"}}));
        let problems = from_custom(&twice, &schema(), &om_defaults()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, "serviceConnection.config.connectionOptions.sampleSize");
        assert!(problems[0].message.contains("serviceConnection.config.sampleSize"));
        // A standard option that is not at OpenMetadata's default, given again as an option.
        let twice = om_source(json!({"connectionOptions": {"generateSampleData": "false"}}));
        let problems = from_custom(&twice, &schema(), &om_defaults()).unwrap_err();
        assert_eq!(problems[0].message, "given twice: also as sourceConfig.config.generateSampleData");
    }
}
