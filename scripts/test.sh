#!/usr/bin/env bash
# The test command: installs the pinned emulators and OpenMetadata's ingestion framework, builds the
# workspace and the wheel, runs every test
# (unit tests beside the code, end-to-end tests in tests/ that start their own emulators).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
# The installs (network and disk) run while the workspace builds (CPU); their output follows.
(install_emulator && install_moto && install_browser && install_openmetadata) >"$log/install.txt" 2>&1 &
installing=$!
cargo build --workspace --locked --message-format=json-render-diagnostics >"$log/build.json"
if ! wait "$installing"; then
  cat "$log/install.txt" >&2
  echo "error: installing what the tests use failed (above)" >&2
  exit 1
fi
cat "$log/install.txt" >&2
# The fixtures of a later 2.x contract: a crate of their own, so that its contract feature never
# reaches the workspace's plugins and host; same target directory, so dependencies are reused.
cargo build --manifest-path tests/newer-contract/Cargo.toml --target-dir target --locked
# The wheel, from the debug build, into OpenMetadata's ingestion environment: the framework tests
# (tests/tests/it/framework.rs) run the real `metadata ingest` with it.
wheel=$(bash scripts/wheel.sh --dev)
tests/.venv-om/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel" >&2
# The tests' build reuses every dependency the workspace's build compiled: a feature that only
# tests turn on (a dev-dependency's) would split the graph and build the AWS SDK twice.
cargo test --workspace --locked --no-run --message-format=json-render-diagnostics >"$log/tests.json"
python3 scripts/same_dependencies.py "$log/build.json" "$log/tests.json"
echo "test.sh: installed and built in ${SECONDS} s" >&2
status=0
# Every suite runs, so that one failure does not hide the next.
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log/tests.txt" || status=$?
# One closing line for all the suites cargo ran (its own last line is the doc-test suite's).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log/tests.txt"
echo "test.sh: ${SECONDS} s in all" >&2
exit $status
