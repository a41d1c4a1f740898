#!/usr/bin/env bash
# Side by side with OpenMetadata's own runner (a script, not a test): runs `metadata ingest`
# (openmetadata-ingestion, from ../shared/anchor) and this project's host with the same workflow
# against the same Kinesis emulator, each against its own OpenMetadata API stand-in that records
# the calls, and prints the calls one makes and the other does not (or makes a different
# number of times). docs/deploying.md explains each difference.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
anchor=$repo/../shared/anchor
if [ ! -f "$anchor/install.sh" ]; then
  echo "../shared/anchor is absent: the reference runner cannot be run, nothing to compare" >&2
  exit 0
fi
venv=$repo/tests/.venv-anchor
[ -x "$venv/bin/metadata" ] || bash "$anchor/install.sh" "$venv" >&2
install_emulator
cargo build --workspace --locked >&2
work=$repo/.compare
rm -rf "$work" && mkdir -p "$work"
trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT
mkdir -p "$work/plugins"
cp target/debug/libkinesis_plugin.so "$work/plugins/"
port=$(free_port)
start_emulator "$port"
target/debug/seed --endpoint "http://127.0.0.1:$port" --count 5 --records 5 >/dev/null
cat > "$work/workflow.yaml" <<YAML
source:
  type: kinesis
  serviceName: kinesis_compare
  serviceConnection:
    config:
      type: Kinesis
      awsConfig: {awsRegion: eu-west-1, awsAccessKeyId: compare, awsSecretAccessKey: compare-secret, endPointURL: "http://127.0.0.1:$port"}
  sourceConfig:
    config: {type: MessagingMetadata, generateSampleData: true, markDeletedTopics: true}
sink:
  type: metadata-rest
  config: {}
workflowConfig:
  loggerLevel: INFO
  openMetadataServerConfig:
    hostPort: \${OM_HOST_PORT}
    authProvider: openmetadata
    securityConfig: {jwtToken: compare-jwt}
YAML
set +e
target/debug/standin --token compare-jwt --calls-out "$work/reference.json" -- \
  "$venv/bin/metadata" ingest -c "$work/workflow.yaml" >"$work/reference.log" 2>&1
reference_exit=$?
target/debug/standin --token compare-jwt --calls-out "$work/ours.json" -- \
  target/debug/host-example --plugin-dir "$work/plugins" ingest -c "$work/workflow.yaml" >"$work/ours.log" 2>&1
ours_exit=$?
set -e
echo "metadata ingest exit code: $reference_exit; host-example exit code: $ours_exit"
python3 - "$work/reference.json" "$work/ours.json" <<'PY'
import json, re, sys
from collections import Counter
def calls(path):
    data = json.load(open(path))
    norm = lambda p: re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "{id}", p)
    return Counter(f"{m} {norm(p)}" for m, p in data["calls"]), data["puts"]
ref, ref_puts = calls(sys.argv[1])
ours, our_puts = calls(sys.argv[2])
print(f"calls: reference {sum(ref.values())}, ours {sum(ours.values())}")
print(f"{'call':<90} {'reference':>9} {'ours':>5}")
for call in sorted(set(ref) | set(ours)):
    mark = "" if ref[call] == ours[call] else "  <-- differs"
    print(f"{call:<90} {ref[call]:>9} {ours[call]:>5}{mark}")
def topic_fields(puts):
    bodies = [b for p, b in puts if p == "/v1/topics" and isinstance(b, dict)]
    bodies += [i for p, b in puts if p.startswith("/v1/topics/bulk") and isinstance(b, list) for i in b]
    return {b.get("name"): sorted(b) for b in bodies}
rf, of = topic_fields(ref_puts), topic_fields(our_puts)
for name in sorted(set(rf) | set(of)):
    ref_only = sorted(set(rf.get(name, [])) - set(of.get(name, [])))
    ours_only = sorted(set(of.get(name, [])) - set(rf.get(name, [])))
    if ref_only or ours_only:
        print(f"topic {name}: fields only the reference sends {ref_only}, only ours {ours_only}")
PY
echo "(logs: the reference's last lines)"
tail -5 "$work/reference.log"
