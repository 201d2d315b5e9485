#!/usr/bin/env bash
# Runs the performance benches and prints their markdown tables (docs/performance.md explains
# each figure): cold start, idle RSS and size of every Lambda binary against two baselines
# (tools/lambda-bench), the per-message request counts (with and without the Planfix status
# scenario) and CPU (tools/flow-bench), and the relay's peak RSS on a 100 MiB file (tools/relay-bench).
#
#   scripts/bench.sh            # 20 interleaved cold starts per binary
#   scripts/bench.sh --quick    # 5, and a 20 MiB relay file
#
# Builds with the workspace release profile (fat LTO: several minutes from a cold cache);
# not part of CI. Needs Rust and Python 3; installs moto into .venv like scripts/test.sh and
# starts it on a free loopback port. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=20
RELAY_MIB=100
for arg in "$@"; do
  case "$arg" in
    --quick) RUNS=5; RELAY_MIB=20 ;;
    *) echo "usage: scripts/bench.sh [--quick]" >&2; exit 2 ;;
  esac
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bridge-target}"
REFERENCE="${BRIDGE_REFERENCE_DIR:-../shared/reference}"
[ -d "$REFERENCE" ] && export BRIDGE_REFERENCE_DIR="$(cd "$REFERENCE" && pwd)"

VENV=.venv
MOTO_VERSION="5.2.5"
if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(0 if moto.__version__ == '$MOTO_VERSION' else 1)" 2>/dev/null; then
  echo "==> installing moto[server]==$MOTO_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

echo "==> building the release binaries (workspace release profile)" >&2
PACKAGES=(-p lambda-bench -p provider-webhook -p planfix-webhook -p worker -p file-relay -p relay-bench)
HAVE_FLOW_BENCH=0
if [ -f tools/flow-bench/Cargo.toml ]; then
  HAVE_FLOW_BENCH=1
  PACKAGES+=(-p flow-bench)
fi
cargo build --release "${PACKAGES[@]}" >&2

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
LOG="$(mktemp -t moto.XXXXXX.log)"
"$VENV/bin/python" scripts/moto_serial.py 127.0.0.1 "$PORT" >"$LOG" 2>&1 &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true; wait $MOTO_PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" 2>/dev/null; then break; fi
  sleep 0.1
done
"$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/')" \
  || { echo "moto did not start:" >&2; cat "$LOG" >&2; exit 1; }
export BRIDGE_TEST_AWS_ENDPOINT="http://127.0.0.1:$PORT"

echo "# Bench results"
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(date -u +%Y-%m-%d)."
echo

"$CARGO_TARGET_DIR/release/lambda-bench" --runs "$RUNS" --moto "$BRIDGE_TEST_AWS_ENDPOINT"
echo

if [ "$HAVE_FLOW_BENCH" = 1 ]; then
  echo "## Requests per message (tools/flow-bench, \"task status changed\" scenario set up)"
  echo
  cargo run --quiet --release -p flow-bench -- --markdown
  echo
  echo "## Known text without that scenario (the fallback: the task's status is read first)"
  echo
  cargo run --quiet --release -p flow-bench -- --markdown --flows known-text --no-status-scenario
  echo
  echo "## CPU per inbound text (tools/flow-bench cpu-bench, against a bare parse of the same bytes)"
  echo
  cargo run --quiet --release -p flow-bench --bin cpu-bench -- --markdown
  echo
else
  echo "(tools/flow-bench is not in this tree: no flow section)"
  echo
fi

echo "## File relay peak RSS (tools/relay-bench, $RELAY_MIB MiB each way)"
echo
echo '```'
"$CARGO_TARGET_DIR/release/relay-bench" "$RELAY_MIB"
echo '```'
echo
echo "Goal: the relay process's peak RSS stays under 64 MiB relaying a 100 MiB file."
