//! Every dependency a workspace crate declares is used by its code: a dependency nothing uses
//! costs build time on every machine and CI run, and hides what a crate really needs. The
//! check reads as `cargo machete` does (a crate's Rust files mention the library), and honours
//! its `[package.metadata.cargo-machete] ignored = [...]` for a dependency declared only for
//! its features.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The workspace's crates: the members of the root manifest, and the excluded ones.
fn crates(root: &Path) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut dirs = Vec::new();
    for key in ["members", "exclude"] {
        let line = manifest.lines().find(|l| l.starts_with(&format!("{key} ="))).unwrap();
        dirs.extend(line.split('"').skip(1).step_by(2).map(|d| root.join(d)));
    }
    dirs
}

/// (section, dependency name, its library's name) of a crate's manifest; the ignored names.
fn declared(manifest: &str) -> (Vec<(String, String, String)>, BTreeSet<String>) {
    let mut section = String::new();
    let mut out = Vec::new();
    let mut ignored = BTreeSet::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        if section == "package.metadata.cargo-machete" && line.starts_with("ignored") {
            ignored.extend(line.split('"').skip(1).step_by(2).map(str::to_string));
        }
        if !section.ends_with("dependencies") || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap().trim().to_string();
        // A renamed package is used by its key; a package's library name may differ.
        let library = match name.as_str() {
            "md-5" => "md5".to_string(),
            other => other.replace('-', "_"),
        };
        out.push((section.clone(), name, library));
    }
    (out, ignored)
}

/// The directory of a library whose `[lib] path` lies outside its crate (a fixture built from
/// another's source).
fn library_dir(dir: &Path, manifest: &str) -> Option<PathBuf> {
    let mut in_lib = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_lib = line == "[lib]";
        } else if in_lib && line.starts_with("path") {
            let path = line.split('"').nth(1)?;
            return dir.join(path).parent()?.canonicalize().ok();
        }
    }
    None
}

/// The Rust files of a crate, without those of crates nested in it.
fn rust_files(dir: &Path, crates: &[PathBuf], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_string_lossy();
            if name == "target" || name.starts_with('.') || name == "node_modules" || crates.contains(&path) {
                continue;
            }
            rust_files(&path, crates, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn mentions(code: &str, library: &str) -> bool {
    [format!("{library}::"), format!("use {library}"), format!("{library}!"), format!("extern crate {library}")]
        .iter()
        .any(|pattern| code.contains(pattern.as_str()))
}

#[test]
fn every_declared_dependency_is_used() {
    let root = e2e::workspace();
    let crates = crates(&root);
    assert!(crates.len() >= 8, "the workspace's crates were not found: {crates:?}");
    let mut unused = Vec::new();
    for dir in &crates {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let (dependencies, ignored) = declared(&manifest);
        let mut files = Vec::new();
        rust_files(dir, &crates, &mut files);
        let own = dir.canonicalize().unwrap();
        if let Some(library) = library_dir(dir, &manifest).filter(|l| !l.starts_with(&own)) {
            rust_files(&library, &crates, &mut files);
        }
        let code: String = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
        for (section, name, library) in dependencies {
            if !ignored.contains(&name) && !mentions(&code, &library) {
                unused.push(format!("{}: [{section}] {name}", dir.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(unused.is_empty(), "declared but not used (remove them, or list one kept for its features under [package.metadata.cargo-machete] ignored):\n{}", unused.join("\n"));
}

#[test]
fn the_check_sees_an_unused_dependency_and_the_ignore_list() {
    let (dependencies, ignored) = declared(
        "[package]\nname = \"x\"\n[dependencies]\nserde.workspace = true\nmd-5 = \"0.10\"\n\
         [dev-dependencies]\naws-sdk-kinesis = { version = \"1\" }\n[package.metadata.cargo-machete]\nignored = [\"serde\"]\n",
    );
    let libraries: Vec<&str> = dependencies.iter().map(|(_, _, l)| l.as_str()).collect();
    assert_eq!(libraries, ["serde", "md5", "aws_sdk_kinesis"]);
    assert_eq!(ignored, BTreeSet::from(["serde".to_string()]));
    assert!(mentions("use md5::Digest;", "md5"));
    assert!(mentions("let c = aws_sdk_kinesis::Client::new(&c);", "aws_sdk_kinesis"));
    assert!(!mentions("// md5 of the body", "md5"));
}
