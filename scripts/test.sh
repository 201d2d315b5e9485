#!/usr/bin/env bash
# Runs the whole test suite: installs moto (local AWS emulator) in a virtualenv, starts it on a
# free loopback port, runs `cargo test` against it, and stops it. Needs only Rust and Python 3.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${BRIDGE_VENV:-.venv}"
MOTO_VERSION="5.2.5"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bridge-target}"

if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(0 if moto.__version__ == '$MOTO_VERSION' else 1)" 2>/dev/null; then
  echo "==> installing moto[server]==$MOTO_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
LOG="$(mktemp -t moto.XXXXXX.log)"
# One request at a time, like DynamoDB's atomic conditional writes (see scripts/moto_serial.py).
"$VENV/bin/python" scripts/moto_serial.py 127.0.0.1 "$PORT" >"$LOG" 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true; wait $MOTO_PID 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" 2>/dev/null; then break; fi
  sleep 0.1
done
"$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" \
  || { echo "moto did not start:"; cat "$LOG"; exit 1; }
echo "==> moto server on 127.0.0.1:$PORT"

export BRIDGE_TEST_AWS_ENDPOINT="http://127.0.0.1:$PORT"
scripts/lint-template.sh
cargo test --workspace --locked "$@"
