//! The checked-in JSON Schema of a plugin's configuration and its form's uiSchema (`schema/`)
//! against what its code generates: the test every plugin has, written once.

/// Fails when `schema/{stem}.schema.json` or `schema/{stem}.ui-schema.json` is not what the
/// connector's code generates, or when its form does not fit its schema (a field with a pattern
/// and no words, a field listed that the schema lacks).
pub fn assert_config_files<K: crate::source::SourceKind>(manifest_dir: &str, stem: &str, package: &str) {
    let schema = crate::source::Settings::<K>::schema();
    assert_current(manifest_dir, &format!("schema/{stem}.schema.json"), &schema, package);
    let form = crate::source::Settings::<K>::form().unwrap_or_else(|e| panic!("the config form of {package}: {e}"));
    assert_current(manifest_dir, &format!("schema/{stem}.ui-schema.json"), &form, package);
}

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
