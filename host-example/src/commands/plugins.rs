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

/// `schema CONNECTOR`.
pub fn schema(dir: &Path, flag_level: Option<LogLevel>, connector: &str) -> Result<Exit> {
    logging::init(flag_level.unwrap_or(LogLevel::Warn));
    let found = load_dir(dir).bad_input()?;
    let plugin = pick(&found, &[connector])?;
    println!("{}", plugin.module.config_schema()().into_result().run_failed()?);
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
