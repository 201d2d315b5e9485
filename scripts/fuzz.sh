#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ (libFuzzer through cargo-fuzz) for N seconds each — default
# 30, the first argument overrides — and fails if any of them crashes; the input that crashed it
# is left in fuzz/artifacts/<target>/ (replay: RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <file>).
# Installs cargo-fuzz when absent. Needs Rust and a C++ compiler (libFuzzer is built from source).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-30}"
if ! [[ "$SECONDS_EACH" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [seconds per target, default 30]" >&2
  exit 2
fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bridge-target}"
# cargo fuzz builds with nightly-only compiler flags (-Zsanitizer=address, sanitizer coverage);
# this makes the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

mapfile -t TARGETS < <(cargo fuzz list)
if [ "${#TARGETS[@]}" -eq 0 ]; then
  echo "no fuzz targets found in fuzz/" >&2
  exit 1
fi
echo "==> building the fuzz targets: ${TARGETS[*]}"
cargo fuzz build

CRASHED=()
for target in "${TARGETS[@]}"; do
  # Inputs that once crashed a target must pass before new ones are searched for.
  if [ -d "fuzz/regressions/$target" ]; then
    echo "==> $target: replaying fuzz/regressions/$target"
    if ! cargo fuzz run "$target" fuzz/regressions/"$target"/* -- -runs=1; then
      CRASHED+=("$target")
      continue
    fi
  fi
  # The hand-written seeds (committed) join the corpus (not committed).
  mkdir -p "fuzz/corpus/$target"
  [ -d "fuzz/seeds/$target" ] && cp -n fuzz/seeds/"$target"/* "fuzz/corpus/$target/" 2>/dev/null || true
  echo "==> fuzzing $target for ${SECONDS_EACH}s"
  if ! cargo fuzz run "$target" -- -max_total_time="$SECONDS_EACH"; then
    CRASHED+=("$target")
  fi
done

if [ "${#CRASHED[@]}" -gt 0 ]; then
  echo "==> crashed: ${CRASHED[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "==> ${#TARGETS[@]} fuzz targets ran ${SECONDS_EACH}s each without a crash"
