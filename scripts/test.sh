#!/usr/bin/env bash
# The test command: installs the pinned Kinesis emulator, builds the workspace, runs every test
# (unit tests beside the code, end-to-end tests in tests/ that start their own emulators).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
install_emulator
install_moto
cargo build --workspace --locked
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked 2>&1 | tee "$log" || status=$?
# One closing line for all the suites cargo ran (its own last line is the doc-test suite's).
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit $status
