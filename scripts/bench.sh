#!/usr/bin/env bash
# The benchmark (not a test): the host with the plugin beside OpenMetadata's own Python
# connector on the same kinesis-local, plain / 20 ms latency / AWS limits enforced.
# Usage: scripts/bench.sh [--streams N --shards S --records R --settings plain,latency,region,throttled,sink,tags,framework,scale,integrations,converge,classify]
# (`sink`: the writes to OpenMetadata, ours against `metadata ingest`, at 20 ms per call;
# `framework`: the same, with `metadata ingest` running our plugin from the wheel as well;
# `scale`: 300 and 10,000 streams metadata only, and a 100-shard against a 2-shard sample;
# `integrations`: the integrations plugin's calls per kind in a 1,000-stream account, on moto;
# `converge`: 1,000 sampled topics written twice to the OpenMetadata stand-in, nothing changed
# in between: calls and versions of each run; `classify`: the sampled run with classification
# off and on, three of each)
# The reference comes from ../shared/anchor (installed into tests/.venv-anchor); without it,
# only the plugin's figures are printed, and this says so.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
install_emulator
[[ " $* " != *integrations* ]] || install_moto
# The whole workspace, the bench binary (tests/) included: one feature set, shared with
# scripts/wheel.sh (building `-p e2e` alone would resolve other features and rebuild the plugin).
cargo build --release --locked --workspace
reference=()
anchor=$repo/../shared/anchor
if [ -f "$anchor/anchor_python.py" ]; then
  venv=$repo/tests/.venv-anchor
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import metadata" 2>/dev/null; then
    echo "installing the reference connector (../shared/anchor/install.sh)…" >&2
    bash "$anchor/install.sh" "$venv" >&2
  fi
  reference=(--reference-python "$venv/bin/python" --reference-script "$anchor/anchor_python.py"
    --reference-metadata "$venv/bin/metadata")
else
  echo "note: ../shared/anchor is absent: the reference connector is not run, only the plugin's figures are printed" >&2
fi
if [[ " $* " == *framework* ]]; then
  # The wheel (release) in OpenMetadata's ingestion environment; that environment's own
  # Kinesis connector is the reference when ../shared/anchor is absent.
  wheel=$(bash scripts/wheel.sh)
  tests/.venv-om/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheel" >&2
  reference+=(--wheel-metadata "$repo/tests/.venv-om/bin/metadata")
  [ -f "$anchor/anchor_python.py" ] || reference+=(--reference-metadata "$repo/tests/.venv-om/bin/metadata")
fi
exec "$repo/target/release/bench" --host "$repo/target/release/host-example" --plugin "$repo/target/release/libkinesis_plugin.so" \
  --integrations-plugin "$repo/target/release/libkinesis_integrations_plugin.so" "${reference[@]}" "$@"
