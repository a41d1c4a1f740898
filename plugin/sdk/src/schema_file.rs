//! The checked-in JSON Schema of a plugin's configuration (`schema/`) against what its code
//! generates: the test every plugin has, written once.

/// Fails when `path` (from the workspace root, e.g. `schema/kinesis-plugin-config.schema.json`)
/// is not what `schema` prints; with `UPDATE_SCHEMA` set, writes it first. `manifest_dir` is the
/// calling crate's `CARGO_MANIFEST_DIR`, `package` its name, for the message.
pub fn assert_current(manifest_dir: &str, path: &str, schema: &serde_json::Value, package: &str) {
    let file = std::path::Path::new(manifest_dir).join("../..").join(path);
    let generated = serde_json::to_string_pretty(schema).expect("a schema is JSON") + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&file, &generated).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{path} differs from the code; regenerate it with `UPDATE_SCHEMA=1 cargo test -p {package}`"
    );
}
