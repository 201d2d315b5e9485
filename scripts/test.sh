#!/usr/bin/env bash
# Runs the whole test suite: checks formatting and clippy, installs moto (local AWS emulator) in
# a virtualenv, starts it on a free loopback port, runs `cargo test` against it, and stops it.
# Needs only Rust and Python 3, and the reference material beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests check the bridge against the Planfix spec and real provider payloads: without them
# they would prove nothing, so their absence is a failure, not a skip.
REFERENCE="${BRIDGE_REFERENCE_DIR:-../shared/reference}"
if [ ! -f "$REFERENCE/planfix/swagger.json" ] || [ ! -d "$REFERENCE/providers/meta" ]; then
  echo "error: the reference material must be at $REFERENCE (planfix/swagger.json, providers/meta/);" >&2
  echo "       put it there or set BRIDGE_REFERENCE_DIR to the folder that holds it." >&2
  exit 1
fi
export BRIDGE_REFERENCE_DIR="$(cd "$REFERENCE" && pwd)"

VENV="${BRIDGE_VENV:-.venv}"
MOTO_VERSION="5.2.5"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bridge-target}"

echo "==> cargo fmt --check"
cargo fmt --all --check
echo "==> cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

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
# The fuzz targets are a workspace of their own (fuzz/): type-check them on stable so they cannot
# rot unnoticed; running them is scripts/fuzz.sh.
cargo check --locked --manifest-path fuzz/Cargo.toml --bins
cargo test --workspace --locked "$@"
