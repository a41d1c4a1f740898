//! The `source` block every OpenMetadata ingestion workflow has (its type, the service's name,
//! the connection and the pipeline settings, each of the last two wrapped in `config`), read
//! once for every connector: a connector says what its connection and pipeline settings are and
//! what it checks beyond their schema ([`SourceKind`]); [`Settings`] is the parsed, checked
//! block with its filter, and the connector's [`crate::connector::Connector::Settings`].

use std::fmt::Debug;

use plugin_abi::PluginError;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{self, FilterPattern};
use crate::filter::NameFilter;
use crate::form::Form;

/// A workflow's `source` block.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Source<C, P> {
    /// Source type: the connector's, in lower case.
    #[serde(rename = "type")]
    #[schemars(title = "Source Type")]
    pub source_type: String,
    /// Name of the service in OpenMetadata that the entities belong to (not blank).
    #[schemars(title = "Service Name", length(min = 1, max = 256), regex(pattern = r"\S"))]
    pub service_name: String,
    /// Connection to the service.
    #[schemars(title = "Service Connection")]
    pub service_connection: Wrapped<C>,
    /// What the ingestion does.
    #[schemars(title = "Source Config")]
    pub source_config: Wrapped<P>,
}

/// `{"config": …}`: how OpenMetadata wraps a connection and a pipeline's settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Wrapped<T> {
    pub config: T,
}

/// The filter option of a connector's pipeline settings (`topicFilterPattern`), which may also
/// stand in its connection as the default, and what it filters (for messages).
pub struct FilterOption {
    pub option: &'static str,
    pub noun: &'static str,
}

/// A connection's secrets.
pub trait ConnectionSecrets {
    /// The names of the fields that hold secrets, wherever they appear: an error about one
    /// never quotes its value.
    const SECRET_FIELDS: &'static [&'static str];
    /// Every secret value, scrubbed from anything the plugin emits.
    fn secrets(&self) -> Vec<String>;
}

/// What a connector's `source` block is.
pub trait SourceKind: 'static {
    /// `serviceConnection.config`.
    type Connection: DeserializeOwned + Serialize + JsonSchema + ConnectionSecrets + Clone + Debug + Send + Sync;
    /// `sourceConfig.config`.
    type Pipeline: DeserializeOwned + Serialize + JsonSchema + Clone + Debug + Send + Sync;
    /// `source.type` (`kinesis`).
    const SOURCE_TYPE: &'static str;
    /// The schema's title and description.
    const TITLE: &'static str;
    const DESCRIPTION: &'static str;
    const FILTER: FilterOption;
    /// The connector's parts of the config form (its connection's, its pipeline settings'):
    /// the fields a person fills first and the words for their values ([`crate::form`]).
    const FORM: &'static [&'static Form] = &[];
    /// The filter patterns of the pipeline, then of the connection (its default).
    fn filter_patterns(source: &Source<Self::Connection, Self::Pipeline>) -> [Option<&FilterPattern>; 2];
    /// Every problem of the connector's own settings that their schema cannot express.
    fn problems(source: &Source<Self::Connection, Self::Pipeline>) -> Vec<PluginError>;
}

/// A parsed and checked `source` block, ready to run.
pub struct Settings<K: SourceKind> {
    pub source: Source<K::Connection, K::Pipeline>,
    pub filter: NameFilter,
}

impl<K: SourceKind> Clone for Settings<K> {
    fn clone(&self) -> Self {
        Settings { source: self.source.clone(), filter: self.filter.clone() }
    }
}

impl<K: SourceKind> Debug for Settings<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings").field("source", &self.source).field("filter", &self.filter).finish()
    }
}

impl<K: SourceKind> Settings<K> {
    pub fn service_name(&self) -> &str {
        &self.source.service_name
    }

    pub fn connection(&self) -> &K::Connection {
        &self.source.service_connection.config
    }

    pub fn pipeline(&self) -> &K::Pipeline {
        &self.source.source_config.config
    }

    /// The JSON Schema of the `source` block, titled for the connector.
    pub fn schema() -> serde_json::Value {
        let mut schema = plugin_abi::config_schema::config_schema::<Source<K::Connection, K::Pipeline>>();
        schema["title"] = K::TITLE.into();
        schema["description"] = K::DESCRIPTION.into();
        let source_type = &mut schema["properties"]["type"];
        source_type["description"] = format!("Source type: `{}`.", K::SOURCE_TYPE).into();
        source_type["enum"] = serde_json::json!([K::SOURCE_TYPE]);
        source_type["default"] = K::SOURCE_TYPE.into();
        schema
    }

    /// The config form's uiSchema: the `source` block's layout and the connector's.
    pub fn form() -> Result<serde_json::Value, String> {
        let parts: Vec<&Form> = std::iter::once(&crate::form::SOURCE).chain(K::FORM.iter().copied()).collect();
        crate::form::ui_schema(&Self::schema(), &parts)
    }

    /// Reads the JSON the host passes and checks what the schema cannot express; the error is
    /// the first problem, naming its field by JSON path and never quoting a secret.
    pub fn parse(json: &str) -> Result<Self, PluginError> {
        let source = config::read(json, <K::Connection as ConnectionSecrets>::SECRET_FIELDS, Self::problems)?;
        let [pipeline, connection] = K::filter_patterns(&source);
        let filter = config::filter(pipeline, connection, K::FILTER.option, K::FILTER.noun)?;
        Ok(Settings { source, filter })
    }

    /// Every problem that can be found without connecting, each naming its field: the first
    /// that keeps the block from being read at all, else every check that fails.
    pub fn check_all(json: &str) -> Vec<PluginError> {
        config::check_all(json, <K::Connection as ConnectionSecrets>::SECRET_FIELDS, Self::problems)
    }

    pub fn secrets(&self) -> Vec<String> {
        self.connection().secrets()
    }

    /// The type and service name, the connector's own checks, then every filter pattern.
    fn problems(source: &Source<K::Connection, K::Pipeline>) -> Vec<PluginError> {
        let mut problems = Vec::new();
        if !source.source_type.eq_ignore_ascii_case(K::SOURCE_TYPE) {
            problems.push(PluginError::config(
                "/type",
                format!("this plugin reads '{}' sources; the source type is '{}'", K::SOURCE_TYPE, source.source_type),
            ));
        }
        if source.service_name.trim().is_empty() {
            problems.push(PluginError::config("/serviceName", "the service name is empty"));
        }
        problems.extend(K::problems(source));
        let [pipeline, connection] = K::filter_patterns(source);
        problems.extend(config::filter_problems(pipeline, connection, K::FILTER.option));
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Connection {
        token: Option<String>,
        default_filter: Option<FilterPattern>,
    }

    #[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Pipeline {
        #[serde(default)]
        filter: Option<FilterPattern>,
        #[serde(default)]
        size: u32,
    }

    struct Example;

    impl SourceKind for Example {
        type Connection = Connection;
        type Pipeline = Pipeline;
        const SOURCE_TYPE: &'static str = "example";
        const TITLE: &'static str = "Example source";
        const DESCRIPTION: &'static str = "An example.";
        const FILTER: FilterOption = FilterOption { option: "filter", noun: "thing" };
        fn filter_patterns(source: &Source<Connection, Pipeline>) -> [Option<&FilterPattern>; 2] {
            [source.source_config.config.filter.as_ref(), source.service_connection.config.default_filter.as_ref()]
        }
        fn problems(source: &Source<Connection, Pipeline>) -> Vec<PluginError> {
            config::out_of_range("size", source.source_config.config.size.into(), 0, 10).into_iter().collect()
        }
    }

    impl ConnectionSecrets for Connection {
        const SECRET_FIELDS: &'static [&'static str] = &["token"];
        fn secrets(&self) -> Vec<String> {
            self.token.iter().cloned().collect()
        }
    }

    fn block() -> serde_json::Value {
        json!({"type": "Example", "serviceName": "svc", "serviceConnection": {"config": {"token": "t0k3n"}},
               "sourceConfig": {"config": {"filter": {"includes": ["^a"]}}}})
    }

    #[test]
    fn a_block_parses_with_its_filter_and_secrets() {
        let s = Settings::<Example>::parse(&block().to_string()).unwrap();
        assert_eq!(s.service_name(), "svc");
        assert!(s.filter.keeps("abc").unwrap() && !s.filter.keeps("b").unwrap());
        assert_eq!(s.secrets(), ["t0k3n"]);
        assert_eq!(s.pipeline().size, 0);
        assert_eq!(s.connection().token.as_deref(), Some("t0k3n"));
    }

    #[test]
    fn every_problem_is_named_in_order_and_secrets_are_not_quoted() {
        let mut v = block();
        v["type"] = json!("other");
        v["serviceName"] = json!(" ");
        v["sourceConfig"]["config"]["size"] = json!(11);
        v["serviceConnection"]["config"]["defaultFilter"] = json!({"excludes": ["("]});
        let paths: Vec<String> =
            Settings::<Example>::check_all(&v.to_string()).into_iter().map(|e| e.field.unwrap().to_string()).collect();
        assert_eq!(
            paths,
            ["/type", "/serviceName", "/sourceConfig/config/size", "/serviceConnection/config/filter/excludes/0"]
        );
        let e = Settings::<Example>::parse(&v.to_string()).unwrap_err();
        assert_eq!(e.field.unwrap().as_str(), "/type");
        let mut v = block();
        v["serviceConnection"]["config"]["token"] = json!(4242);
        let e = Settings::<Example>::parse(&v.to_string()).unwrap_err();
        assert!(!e.message.contains("4242"), "{}", e.message);
    }

    #[test]
    fn the_schema_is_titled_for_the_connector() {
        let schema = Settings::<Example>::schema();
        assert_eq!(schema["title"], "Example source");
        assert_eq!(schema["properties"]["type"]["enum"], json!(["example"]));
        assert_eq!(schema["properties"]["type"]["default"], "example");
        assert_eq!(schema["properties"]["serviceConnection"]["properties"]["config"]["additionalProperties"], false);
    }
}
