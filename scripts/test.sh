#!/usr/bin/env bash
# The test command: installs the pinned emulators and OpenMetadata's ingestion framework, builds the
# workspace and the wheel, runs every test
# (unit tests beside the code, end-to-end tests in tests/ that start their own emulators).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
install_emulator
install_moto
install_browser
install_openmetadata
cargo build --workspace --locked
# The fixtures of a later 2.x contract: a crate of their own, so that its contract feature never
# reaches the workspace's plugins and host; same target directory, so dependencies are reused.
cargo build --manifest-path tests/newer-contract/Cargo.toml --target-dir target --locked
# The wheel, from the debug build, into OpenMetadata's ingestion environment: the framework tests
# (tests/tests/framework.rs) run the real `metadata ingest` with it.
wheel=$(bash scripts/wheel.sh --dev)
tests/.venv-om/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# Every suite runs, so that one failure does not hide the next.
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log" || status=$?
# One closing line for all the suites cargo ran (its own last line is the doc-test suite's).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit $status
