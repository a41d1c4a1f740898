//! `test-connection -c FILE`: the plugin's connection steps, as a table or OpenMetadata's
//! TestConnectionResult.

use super::*;

pub fn run(dir: &Path, flag_level: Option<LogLevel>, config: &Path, json: bool) -> Result<Exit> {
    let (mut workflow, level) = load_workflow(config, flag_level)?;
    let found = load_dir(dir).bad_input()?;
    let plugin = pick_for(&found, &workflow)?;
    let schema = prepare(plugin, &mut workflow, config)?;
    let source = host_core::secrets::resolve(
        &workflow.source,
        &host_core::secrets::secret_keys(&schema),
        &workflow.workflow_config.open_metadata_server_config,
    )?;
    let (report, raw) = crate::test_connection::run(&source, plugin, level).run_failed()?;
    if json {
        println!("{raw}");
    } else {
        println!("{}", report.table());
    }
    Ok(if report.passed() { Exit::Success } else { Exit::RunFailed })
}
