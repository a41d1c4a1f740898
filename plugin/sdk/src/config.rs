//! Reading a workflow's `source` block: its filter patterns, and deserializing with
//! errors that name the field by its JSON path and never quote a secret.

use plugin_abi::PluginError;
use serde::de::DeserializeOwned;

pub use crate::filter::FilterPattern;
use crate::filter::NameFilter;

/// Where the pipeline settings live in the workflow, for error messages.
pub const SOURCE_CONFIG_PATH: &str = "/sourceConfig/config";
/// Where the connection lives in the workflow, for error messages.
pub const CONNECTION_PATH: &str = "/serviceConnection/config";

/// The filter a run applies, from the pipeline's own pattern (`sourceConfig.config.{option}`),
/// else the connection's default one (`serviceConnection.config.{option}`), else none; an
/// invalid pattern is an error naming its place. `noun` is what it filters, for messages.
pub fn filter(
    pipeline: Option<&FilterPattern>,
    connection: Option<&FilterPattern>,
    option: &str,
    noun: &str,
) -> Result<NameFilter, PluginError> {
    let (pattern, at) = match (pipeline, connection) {
        (Some(p), _) => (p, format!("{SOURCE_CONFIG_PATH}/{option}")),
        (None, Some(p)) => (p, format!("{CONNECTION_PATH}/{option}")),
        (None, None) => return Ok(NameFilter::default().named(option, noun)),
    };
    NameFilter::new(pattern)
        .map(|f| f.named(option, noun))
        .map_err(|e| PluginError::config(format!("{at}/{}", e.field), e.message))
}

/// Every invalid pattern of both places, each naming its place.
pub fn filter_problems(
    pipeline: Option<&FilterPattern>,
    connection: Option<&FilterPattern>,
    option: &str,
) -> Vec<PluginError> {
    [(pipeline, SOURCE_CONFIG_PATH), (connection, CONNECTION_PATH)]
        .into_iter()
        .filter_map(|(pattern, at)| pattern.map(|p| (p, at)))
        .flat_map(|(p, at)| {
            NameFilter::problems(p)
                .into_iter()
                .map(move |e| PluginError::config(format!("{at}/{option}/{}", e.field), e.message))
        })
        .collect()
}

/// The JSON as a `T`; an error names the field by its JSON path and, for a field named in
/// `secret_fields`, never quotes its value.
pub fn deserialize<T: DeserializeOwned>(json: &str, secret_fields: &[&str]) -> Result<T, PluginError> {
    let mut de = serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = json_pointer(&e.path().to_string());
        let message = if secret_fields.iter().any(|f| path.ends_with(f)) {
            "invalid value (a secret: its value is not shown)".to_string()
        } else {
            e.inner().to_string()
        };
        PluginError::config(path, message)
    })
}

/// `serviceConnection.config.awsConfig` → `/serviceConnection/config/awsConfig`.
pub fn json_pointer(serde_path: &str) -> String {
    if serde_path == "." || serde_path.is_empty() {
        return "/".to_string();
    }
    serde_path
        .split('.')
        .map(|seg| {
            // serde_path_to_error writes list indices as `[3]`.
            let seg = seg.replace('[', "/").replace(']', "");
            format!("/{}", seg.trim_start_matches('/'))
        })
        .collect()
}

/// Serde defaults of OpenMetadata's optional flags.
pub fn some_true() -> Option<bool> {
    Some(true)
}
pub fn some_false() -> Option<bool> {
    Some(false)
}
pub fn default_true() -> bool {
    true
}

/// A range check on a numeric setting of `sourceConfig.config`.
pub fn out_of_range(field: &str, value: u64, min: u64, max: u64) -> Option<PluginError> {
    (value < min || value > max).then(|| {
        PluginError::config(
            format!("{SOURCE_CONFIG_PATH}/{field}"),
            format!("{value} is out of range: must be between {min} and {max}"),
        )
    })
}

/// Reads a workflow's `source` block: deserialized (an error names the field, never quoting a
/// secret), then the first of `problems` (what the schema cannot express), if any.
pub fn read<T: DeserializeOwned>(
    json: &str,
    secret_fields: &[&str],
    problems: impl Fn(&T) -> Vec<PluginError>,
) -> Result<T, PluginError> {
    let source: T = deserialize(json, secret_fields)?;
    match problems(&source).into_iter().next() {
        Some(first) => Err(first),
        None => Ok(source),
    }
}

/// Every problem of a `source` block found without connecting, each naming its field: the one
/// that keeps it from being read at all, else every one of `problems`.
pub fn check_all<T: DeserializeOwned>(
    json: &str,
    secret_fields: &[&str],
    problems: impl Fn(&T) -> Vec<PluginError>,
) -> Vec<PluginError> {
    match deserialize::<T>(json, secret_fields) {
        Ok(source) => problems(&source),
        Err(e) => vec![e],
    }
}

/// `overrideMetadata: true` asks OpenMetadata to replace what people curated (description,
/// tags, owners) with the source's. The plugins send only what the source knows and rely on the
/// server keeping curated fields, so they cannot honour it: refused, rather than ignored.
pub fn override_metadata_problem(value: Option<bool>) -> Option<PluginError> {
    (value == Some(true)).then(|| {
        PluginError::config(
            format!("{SOURCE_CONFIG_PATH}/overrideMetadata"),
            "true is not supported: runs keep what people curated in OpenMetadata (description, tags, owners); \
             leave it out or set it to false",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_paths_become_json_pointers() {
        assert_eq!(json_pointer("serviceConnection.config.awsConfig"), "/serviceConnection/config/awsConfig");
        assert_eq!(json_pointer("a.includes[3]"), "/a/includes/3");
        assert_eq!(json_pointer("."), "/");
    }

    #[test]
    fn the_pipeline_pattern_wins_over_the_connection_default() {
        let p = |s: &str| FilterPattern { includes: Some(vec![s.into()]), excludes: None };
        let f = filter(Some(&p("pay")), Some(&p("orders")), "pipelineFilterPattern", "delivery stream").unwrap();
        assert!(f.keeps("payments").unwrap() && !f.keeps("orders").unwrap());
        let f = filter(None, Some(&p("orders")), "pipelineFilterPattern", "delivery stream").unwrap();
        assert!(f.keeps("orders").unwrap());
        let e = filter(None, Some(&p("(")), "pipelineFilterPattern", "delivery stream").unwrap_err();
        assert_eq!(e.field.unwrap().as_str(), "/serviceConnection/config/pipelineFilterPattern/includes/0");
        let problems = filter_problems(Some(&p("(")), Some(&p("[")), "pipelineFilterPattern");
        assert_eq!(problems.len(), 2);
    }
}
