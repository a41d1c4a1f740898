#!/usr/bin/env bash
# The main job on a fresh machine: starts the Kinesis emulator, seeds a few demo streams, and
# ingests them through the plugin (loaded at run time by the host) into a file sink.
# Output: .demo/topics.jsonl (one OpenMetadata request per line).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$repo"
install_emulator
cargo build --workspace --locked
demo=$repo/.demo
mkdir -p "$demo/plugins"
cp "target/debug/libkinesis_plugin.so" "$demo/plugins/"
port=$(free_port)
start_emulator "$port"
trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT
endpoint=http://127.0.0.1:$port
target/debug/seed --endpoint "$endpoint" --records 20
cat > "$demo/workflow.yaml" <<YAML
source:
  type: kinesis
  serviceName: local_kinesis
  serviceConnection:
    config:
      type: Kinesis
      awsConfig:
        awsRegion: eu-west-1
        awsAccessKeyId: demo
        awsSecretAccessKey: demo-secret
        endPointURL: $endpoint
  sourceConfig:
    config:
      type: MessagingMetadata
      generateSampleData: true
      sampleSize: 5
sink:
  type: file
  config:
    filename: $demo/topics.jsonl
workflowConfig:
  openMetadataServerConfig:
    hostPort: http://localhost:8585/api
    authProvider: openmetadata
YAML
status=0
target/debug/host-example --plugin-dir "$demo/plugins" ingest -c "$demo/workflow.yaml" || status=$?
echo
echo "Requests written to $demo/topics.jsonl:"
cut -c1-200 "$demo/topics.jsonl"
exit $status
