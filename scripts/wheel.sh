#!/usr/bin/env bash
# Builds the Python package `openmetadata_plugins` (host-python) into target/wheels/: an abi3
# wheel (CPython >= 3.10) carrying the three plugins, so that `pip install` is the whole
# installation. `--dev` builds it from the debug profile (what the tests install).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
profile=release
dir=release
if [ "${1:-}" = "--dev" ]; then
  profile=dev
  dir=debug
fi
install_openmetadata
# The whole workspace, as scripts/test.sh and scripts/bench.sh build it: one feature set, so the
# plugins' dependencies are built once per profile, not once per command.
cargo build --locked --profile "$profile" --workspace >&2
plugins=host-python/python/openmetadata_plugins/plugins
rm -rf "$plugins" && mkdir -p "$plugins"
# The libraries of the connectors the package declares (host-python/python/openmetadata_plugins/connectors.py).
for library in $(python3 host-python/python/openmetadata_plugins/connectors.py); do
  cp "target/$dir/$library" "$plugins/"
done
rm -f target/wheels/openmetadata_plugins-*.whl
# Only the sources: bytecode is compiled where the wheel is installed.
find host-python/python -name __pycache__ -type d -prune -exec rm -rf {} +
"$repo/tests/.venv-om/bin/maturin" build --quiet --manifest-path host-python/Cargo.toml --profile "$profile" \
  --out target/wheels --locked >&2
ls target/wheels/openmetadata_plugins-*.whl
