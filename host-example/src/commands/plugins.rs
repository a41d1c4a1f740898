//! `plugins`: what the plugin directory holds; `schema`: a connector's configuration schema.

use super::*;
use crate::logging;

/// `plugins`.
pub fn list(dir: &Path, flag_level: Option<LogLevel>) -> Result<Exit> {
    logging::init(flag_level.unwrap_or(LogLevel::Info));
    let found = load_dir(dir).bad_input()?;
    print_plugins(&found);
    Ok(Exit::Success)
}

/// `schema CONNECTOR [--ui]`.
pub fn schema(dir: &Path, flag_level: Option<LogLevel>, connector: &str, ui: bool) -> Result<Exit> {
    let level = flag_level.unwrap_or(LogLevel::Warn);
    logging::init(level);
    let found = load_dir(dir).bad_input()?;
    let plugin = pick(&found, &[connector])?;
    if !ui {
        println!("{}", plugin.module.config_schema()().into_result().run_failed()?);
        return Ok(Exit::Success);
    }
    match plugin.config_ui_schema(logging::host_context(level)).run_failed()? {
        Some(ui) => println!("{}", serde_json::to_string_pretty(&ui).expect("JSON")),
        None => {
            // An empty uiSchema is a valid one: the form renders the schema as it is.
            eprintln!(
                "note: {} (contract {}) does not lay out its form (that came with contract 2.3); \
                 the form is the schema as it is",
                plugin.manifest.connector_type, plugin.manifest.contract_version
            );
            println!("{{}}");
        }
    }
    Ok(Exit::Success)
}

fn print_plugins(found: &PluginDir) {
    println!("Plugins in {}:", found.dir.display());
    if found.plugins.is_empty() {
        println!("  (none)");
    }
    for p in &found.plugins {
        let m = &p.manifest;
        let entity_types: Vec<&str> = m.entity_types.iter().map(|e| e.entity_type.as_str()).collect();
        println!(
            "  {} ({} service), plugin {}, contract {}, payload format {}, entity types: {}, features: {}  [{}]",
            m.connector_type,
            m.service_kind,
            m.plugin_version,
            m.contract_version,
            m.payload_format_version,
            entity_types.join(", "),
            m.features.join(", "),
            p.path.display()
        );
    }
    if !found.skipped.is_empty() {
        println!("Skipped:");
        for s in &found.skipped {
            println!("  {}: {}", s.path.display(), s.reason);
        }
    }
}
