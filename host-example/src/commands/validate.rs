//! `validate -c FILE`: the workflow checked against the plugin's schema and its own checks,
//! without connecting anywhere but to the OpenMetadata server when the connection is stored there.

use super::*;
use crate::sink;

pub fn run(dir: &Path, flag_level: Option<LogLevel>, config: &Path, json: bool) -> Result<Exit> {
    let (mut workflow, _) = load_workflow(config, flag_level)?;
    let found = load_dir(dir).bad_input()?;
    let plugin = pick_for(&found, &workflow)?;
    if json {
        let schema = plugin_schema(plugin)?;
        stored_connection::complete(&mut workflow, plugin, &schema, std::time::Duration::from_secs(60))?;
        let mut violations = violations(plugin, &workflow, &schema)?;
        if let Err(e) = sink::SinkConfig::from_workflow(&workflow) {
            violations.push(Violation { path: "sink".into(), message: format!("{e:#}") });
        }
        let list: Vec<serde_json::Value> =
            violations.iter().map(|v| serde_json::json!({"path": v.path, "message": v.message})).collect();
        let valid = list.is_empty();
        println!(
            "{}",
            serde_json::json!({"valid": valid, "connector": plugin.manifest.connector_type, "violations": list})
        );
        return Ok(if valid { Exit::Success } else { Exit::BadInput });
    }
    prepare(plugin, &mut workflow, config)?;
    sink::SinkConfig::from_workflow(&workflow).bad_input()?;
    println!("{} is a valid {} workflow", config.display(), plugin.manifest.connector_type);
    Ok(Exit::Success)
}
