//! Finding and loading source plugins from a plugin directory.
//!
//! Each file is loaded with `lib_header_from_path` + `init_root_module` (abi_stable's
//! `load_from_directory` caches one module per root-module type, so it cannot load several
//! plugins of the same contract). A file that is not a compatible plugin is reported with the
//! reason and skipped; it never stops the others from loading.

use std::path::{Path, PathBuf};

use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::RStr;
use anyhow::{Context, Result};
use plugin_abi::{ErrorKind, HostContextRef, Manifest, SourcePluginRef};

/// The environment variable naming the plugin directory when `--plugin-dir` is not given.
pub const PLUGIN_DIR_ENV: &str = "OM_PLUGIN_DIR";

/// A plugin that loaded and answered its manifest.
pub struct Plugin {
    pub path: PathBuf,
    pub module: SourcePluginRef,
    pub manifest: Manifest,
}

impl Plugin {
    /// The config form's uiSchema (the named function `configUiSchema`, contract 2.3), or
    /// `None` for a plugin of an earlier contract, whose form is the schema as it is.
    pub fn config_ui_schema(&self, host: HostContextRef) -> Result<Option<serde_json::Value>> {
        let function = RStr::from_str(plugin_abi::CONFIG_UI_SCHEMA);
        match self.module.call()(function, RStr::from_str("{}"), host).into_result() {
            Ok(answer) => serde_json::from_str(&answer).map(Some).with_context(|| {
                format!("{}: the plugin's {} answer is not JSON", self.path.display(), plugin_abi::CONFIG_UI_SCHEMA)
            }),
            Err(e) if e.is(ErrorKind::Unsupported) => Ok(None),
            Err(e) => Err(anyhow::anyhow!("{}: {} failed: {e}", self.path.display(), plugin_abi::CONFIG_UI_SCHEMA)),
        }
    }
}

/// A file of the plugin directory that is not a usable plugin, and why.
#[derive(Debug)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// What a plugin directory holds.
pub struct PluginDir {
    pub dir: PathBuf,
    pub plugins: Vec<Plugin>,
    pub skipped: Vec<Skipped>,
}

impl PluginDir {
    /// The plugin whose connector type is `wanted` (case-insensitive).
    pub fn find(&self, wanted: &str) -> Option<&Plugin> {
        self.plugins.iter().find(|p| p.manifest.connector_type.eq_ignore_ascii_case(wanted))
    }

    /// The connector types on offer, for error messages.
    pub fn connector_types(&self) -> Vec<String> {
        self.plugins.iter().map(|p| p.manifest.connector_type.clone()).collect()
    }
}

/// `--plugin-dir`, else `$OM_PLUGIN_DIR`, else `./plugins`.
pub fn resolve_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os(PLUGIN_DIR_ENV).map(PathBuf::from)).unwrap_or_else(|| PathBuf::from("plugins"))
}

/// Loads every plugin of `dir`, in file-name order.
pub fn load_dir(dir: &Path) -> Result<PluginDir> {
    let entries = std::fs::read_dir(dir).with_context(|| {
        format!("cannot read the plugin directory {} (set it with --plugin-dir or ${PLUGIN_DIR_ENV})", dir.display())
    })?;
    let mut found = PluginDir { dir: dir.to_path_buf(), plugins: Vec::new(), skipped: Vec::new() };
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) if entry.path().is_file() => paths.push(entry.path()),
            Ok(_) => {}
            // An entry the directory listing could not read is named as skipped, not dropped.
            Err(e) => found
                .skipped
                .push(Skipped { path: dir.to_path_buf(), reason: format!("an entry could not be read: {e}") }),
        }
    }
    paths.sort();
    for path in paths {
        if path.extension().and_then(|e| e.to_str()) != Some(std::env::consts::DLL_EXTENSION) {
            found.skipped.push(Skipped {
                path,
                reason: format!("not a shared library (*.{})", std::env::consts::DLL_EXTENSION),
            });
            continue;
        }
        match load(&path) {
            Ok(plugin) => {
                let kind = plugin.manifest.connector_type.clone();
                if found.find(&kind).is_some() {
                    found.skipped.push(Skipped {
                        path,
                        reason: format!("another plugin for connector type '{kind}' was loaded first"),
                    });
                } else {
                    tracing::debug!(path = %path.display(), connector = %kind, "plugin loaded");
                    found.plugins.push(plugin);
                }
            }
            Err(reason) => found.skipped.push(Skipped { path, reason }),
        }
    }
    Ok(found)
}

/// Loads one file; the error is a one-line reason meant for users.
pub fn load(path: &Path) -> Result<Plugin, String> {
    let header = lib_header_from_path(path).map_err(|e| summarise(&e))?;
    let module = header.init_root_module::<SourcePluginRef>().map_err(|e| summarise(&e))?;
    let manifest = module.manifest()().into_result().map_err(|e| format!("its manifest failed: {e}"))?;
    let manifest: Manifest =
        serde_json::from_str(manifest.as_str()).map_err(|e| format!("its manifest is not readable: {e}"))?;
    Ok(Plugin { path: path.to_path_buf(), module, manifest })
}

/// A one-line reason for a load failure. abi_stable's own text can run to a thousand lines
/// (type layout diffs); the whole of it goes to the debug log.
fn summarise(err: &LibraryError) -> String {
    tracing::debug!("plugin load error: {err}");
    match err {
        LibraryError::OpenError { err, .. } => {
            format!("not a loadable library: {}", one_line(&err.to_string()))
        }
        LibraryError::GetSymbolError { .. } => "not a plugin (no abi_stable root module)".into(),
        LibraryError::InvalidAbiHeader(_) => "built with an incompatible abi_stable version".into(),
        LibraryError::InvalidCAbi { .. } => "built with an incompatible C ABI".into(),
        LibraryError::IncompatibleVersionNumber { expected_version, actual_version, .. } => {
            format!("built against plugin contract {actual_version}; this host speaks {expected_version}")
        }
        LibraryError::AbiInstability(_) => "not a source plugin of this contract, or built against an incompatible \
             version of it (type layouts differ; run with loggerLevel DEBUG for details)"
            .into(),
        LibraryError::RootModule { err, .. } => {
            format!("its root module failed to load: {}", one_line(&err.to_string()))
        }
        LibraryError::ParseVersionError(e) => format!("its version is not readable: {e}"),
        LibraryError::Many(errors) => errors.iter().map(summarise).collect::<Vec<_>>().join("; "),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
