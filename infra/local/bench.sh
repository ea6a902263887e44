#!/usr/bin/env bash
# `make bench`: what logging behaviour and a large school's roster sync cost, measured
# on this machine.
#
# Starts moto on a free port for the benchmark alone, builds with cargo lambda the
# release bootstraps of the behaviour function and of the bench crate's hello-world
# (x86_64; arm64 through zig for the sizes, skipped with BENCH_ARM64=0) and of the
# sync-wonde function (x86_64 only), then runs `cargo run --release -p bench --bin
# bench`. The benchmark counts and times logs in-process against moto (emptying it
# between iterations), measures the bootstraps, cold-starts the x86_64 ones against a
# stand-in Lambda Runtime API, and runs the sync-wonde bootstrap the same way for three
# syncs of a 2,000-pupil school on a fake Wonde. It prints a report and writes
# .local/bench/report.json. Everything stops on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG_PREFIX="bench-"
. infra/local/lib.sh

RUN_DIR=".local/bench"
# The bootstraps, as <arch>/<function>/bootstrap and <arch>-zip/<function>/bootstrap.zip.
LAMBDA_DIR="target/lambda-bench"
BENCH_ARM64="${BENCH_ARM64:-1}"

cleanup() {
  local status=$?
  stop_services
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$RUN_DIR" "$LAMBDA_DIR"
mkdir -p "$RUN_DIR" "$LOG_DIR"

# build_bootstraps ARCH [cargo lambda flags...]: the behaviour function and hello, the
# same release profile for both, as binaries and as the zips Lambda is given (the zip
# pass compiles nothing more).
build_bootstraps() {
  local arch="$1"; shift
  local targets=(-p behaviour -p bench --bin behaviour --bin hello)
  cargo lambda build --release "$@" "${targets[@]}" --lambda-dir "$LAMBDA_DIR/$arch"
  cargo lambda build --release "$@" "${targets[@]}" --output-format zip --lambda-dir "$LAMBDA_DIR/$arch-zip"
}

moto_port="$(free_port)"
use_local_aws "http://127.0.0.1:$moto_port"
start_moto "$moto_port"
# The emulator is the benchmark's own, so it may empty it; its pid gives its memory.
export BENCH_MAY_RESET_EMULATOR=1 BENCH_EMULATOR_PID="${SERVICE_PIDS[0]}"
export BENCH_LAMBDA_DIR="$PWD/$LAMBDA_DIR"
export RUST_LOG="${RUST_LOG:-warn}"

say "building the bootstraps (release, x86_64)"
build_bootstraps x86_64 --x86-64
# The roster sync on its own, so that its features are those of its own deploy and
# those of the two above stay as they were.
sync_target=(-p sync-wonde --bin sync-wonde)
cargo lambda build --release --x86-64 "${sync_target[@]}" --lambda-dir "$LAMBDA_DIR/x86_64"
cargo lambda build --release --x86-64 "${sync_target[@]}" --output-format zip --lambda-dir "$LAMBDA_DIR/x86_64-zip"

BENCH_ARM64_FAILURE=""
if [[ "$BENCH_ARM64" == 1 ]]; then
  say "building the bootstraps (release, arm64, for their sizes; log in $RUN_DIR/build-arm64.log)"
  if ! build_bootstraps arm64 --arm64 >"$RUN_DIR/build-arm64.log" 2>&1; then
    reason="$(grep -m1 -iE '^error|error:' "$RUN_DIR/build-arm64.log" || tail -n1 "$RUN_DIR/build-arm64.log")"
    BENCH_ARM64_FAILURE="cargo lambda build --arm64 failed: ${reason} (see $RUN_DIR/build-arm64.log)"
    say "$BENCH_ARM64_FAILURE"
  fi
else
  BENCH_ARM64_FAILURE="skipped: BENCH_ARM64=$BENCH_ARM64"
fi
export BENCH_ARM64_FAILURE

say "building the benchmark (release)"
cargo build -q --release -p bench --bin bench
check_services

say "benchmark against the emulator at $AWS_ENDPOINT_URL"
cargo run -q --release -p bench --bin bench
