//! The bad-input corpus (`tests/fixtures/bad/`): each workflow holds one mistake a user makes,
//! and its first line says what the error must name (`# expect: <path or words>`). Each is
//! refused before the run starts: exit code 2, the field named, no secret shown, no output file.

use e2e::Sandbox;

#[test]
fn every_bad_workflow_is_refused_with_exit_2_naming_the_field_and_writing_nothing() {
    let sandbox = Sandbox::new().unwrap();
    let dir = e2e::workspace().join("tests/fixtures/bad");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 50, "the corpus has {} files", files.len());
    let mut wrong = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let expect = text.lines().next().and_then(|l| l.strip_prefix("# expect: ")).expect("an expect line");
        let run = sandbox.host(&["ingest", "-c", file.to_str().unwrap()]).unwrap();
        let name = file.file_name().unwrap().to_string_lossy();
        let output = format!("{}{}", run.stdout, run.stderr);
        if run.code != 2 {
            wrong.push(format!("{name}: exit code {} (not 2):\n{output}", run.code));
        } else if !run.stderr.contains(expect) {
            wrong.push(format!("{name}: the error does not name `{expect}`:\n{}", run.stderr));
        }
        if output.contains("bad-corpus-secret-canary") {
            wrong.push(format!("{name}: a secret was shown:\n{output}"));
        }
        for written in ["out.jsonl", "out.jsonl.partial"] {
            if sandbox.path(written).exists() {
                wrong.push(format!("{name}: {written} was created"));
                let _ = std::fs::remove_file(sandbox.path(written));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {} files:\n{}", wrong.len(), files.len(), wrong.join("\n\n"));
}
