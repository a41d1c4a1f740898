#!/usr/bin/env bash
# The test command: installs the pinned Kinesis emulator, builds the workspace, runs every test
# (unit tests beside the code, end-to-end tests in tests/ that start their own emulators).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
install_emulator
cargo build --workspace --locked
cargo test --workspace --locked
