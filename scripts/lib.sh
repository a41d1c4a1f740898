# Shared by the project's scripts: install the pinned emulator, start it on a free port.
# Sourced, not run.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Installs kinesis-local (pinned by tests/emulator/package-lock.json) unless it is there.
install_emulator() {
  command -v node >/dev/null || { echo "error: Node.js and npm are needed for the Kinesis emulator (apt-get install nodejs npm)" >&2; return 1; }
  if [ ! -f "$repo/tests/emulator/node_modules/kinesis-local/main.js" ]; then
    echo "installing kinesis-local (npm ci)…" >&2
    npm ci --prefix "$repo/tests/emulator" --no-audit --no-fund --loglevel=error >&2
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_emulator PORT: starts kinesis-local in the background (EMULATOR_PID) and waits for it.
start_emulator() {
  local port=$1
  (cd "$repo/tests/emulator/node_modules/kinesis-local" &&
    KINESIS_MOCK_PLAIN_PORT=$port KINESIS_MOCK_TLS_PORT=$(free_port) AWS_REGION=${AWS_REGION:-eu-west-1} \
    LOG_LEVEL=WARN SHARD_LIMIT=100000 ON_DEMAND_STREAM_COUNT_LIMIT=1000 \
    CREATE_STREAM_DURATION=0ms DELETE_STREAM_DURATION=0ms UPDATE_SHARD_COUNT_DURATION=0ms \
    exec node main.js >/dev/null 2>&1) &
  EMULATOR_PID=$!
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$EMULATOR_PID" 2>/dev/null || { echo "error: kinesis-local exited at start" >&2; return 1; }
    sleep 0.2
  done
  echo "error: kinesis-local did not answer on port $port" >&2
  return 1
}

# Installs moto (PyPI moto[server], pinned) into tests/.venv-moto unless it is there: the STS
# emulator of the assume-role tests.
install_moto() {
  local venv=$repo/tests/.venv-moto
  if [ ! -x "$venv/bin/moto_server" ]; then
    echo "installing moto_server (pip)…" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo/tests/moto-requirements.txt" >&2
  fi
}

# Under CI=true nothing may be skipped: what cannot be installed fails the caller.
skip_or_fail() {
  if [ "${CI:-}" = true ]; then
    echo "error: $1 (CI=true: nothing is skipped)" >&2
    return 1
  fi
  echo "note: $1; the test that needs it will be skipped" >&2
}

# Installs what the config-form test drives: Debian's Chromium (no browser download) and the
# page's npm packages (pinned by tests/form/package-lock.json). Where Chromium cannot be
# installed (not root, no package), says so: the test then skips itself with a message, except
# under CI=true, where this fails.
install_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing chromium (apt-get)…" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1; } ||
        skip_or_fail "chromium could not be installed"
    else
      skip_or_fail "chromium is not installed and this is not root"
    fi
  fi
  if [ ! -d "$repo/tests/form/node_modules/@rjsf/core" ]; then
    echo "installing the config-form page's packages (npm ci)…" >&2
    npm ci --prefix "$repo/tests/form" --no-audit --no-fund --loglevel=error >&2 ||
      skip_or_fail "the config-form page's packages could not be installed"
  fi
}

# Installs OpenMetadata's own ingestion framework (openmetadata-ingestion 2.0.7, the pinned set
# in tests/openmetadata-requirements.txt, installed as it is: its declared dependencies do not
# resolve from PyPI alone) and maturin (pinned) into tests/.venv-om unless they are there.
# A failed install fails the caller: the framework tests never pass without running.
install_openmetadata() {
  local venv=$repo/tests/.venv-om
  if [ ! -x "$venv/bin/metadata" ] || [ ! -x "$venv/bin/maturin" ]; then
    echo "installing openmetadata-ingestion 2.0.7 and maturin (pip)…" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$repo/tests/openmetadata-requirements.txt" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "maturin==1.16.0" >&2
  fi
}

# Installs ruff, the Python linter and formatter CI runs over host-python, pinned, into
# tests/.venv-ruff unless it is there.
RUFF_VERSION=0.17.6
install_ruff() {
  local venv=$repo/tests/.venv-ruff
  if ! "$venv/bin/ruff" --version 2>/dev/null | grep -qx "ruff $RUFF_VERSION"; then
    echo "installing ruff $RUFF_VERSION (pip)…" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "ruff==$RUFF_VERSION" >&2
  fi
}
