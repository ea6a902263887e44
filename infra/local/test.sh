#!/usr/bin/env bash
# `make test`: every test, from nothing started to everything stopped.
#
#  1. cfn-lint the template; check the local router serves the template's routes;
#  2. fresh token signing keys; moto on a free port with the template's table, queues,
#     secrets (the signing keys among them) and verified sender;
#  3. unit and integration tests (they create their own tables and queues there);
#  4. the functions under `cargo lambda watch` on a free port, plus the event pump,
#     exactly as `make dev` runs them, with the demo school;
#  5. the end-to-end tests against that API (one of them serves a fake Wonde on the
#     stack's Wonde port and follows a school from approval to revocation);
#  6. schemathesis against infra/openapi.yaml with a teacher's token, and the admin
#     and policy routes again with an admin's.
# Whatever it started is stopped on exit; any failure exits non-zero, with the log
# of the service concerned. Debug builds only. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
LOG_PREFIX="test-"
. infra/local/lib.sh

E2E_PACKAGE="${E2E_PACKAGE:-e2e}"
OPENAPI="infra/openapi.yaml"
SCHEMATHESIS_EXAMPLES="${SCHEMATHESIS_EXAMPLES:-50}"
# A fixed seed makes every run ask the same questions, so CI is repeatable; set
# SCHEMATHESIS_SEED to explore others. One worker: hypothesis on Python 3.11 can
# fail inside itself when two generate at once.
SCHEMATHESIS_SEED="${SCHEMATHESIS_SEED:-1}"
RUN_DIR=".local/test"

KEY_DIR=""
cleanup() {
  local status=$?
  stop_services
  [[ -n "$KEY_DIR" ]] && rm -rf "$KEY_DIR"
  if ((status != 0)); then
    printf '\nmake test FAILED (exit %d); service logs are in %s/%s*.log\n' "$status" "$LOG_DIR" "$LOG_PREFIX" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# on_failure_show_logs COMMAND...: run COMMAND; if it fails, show the services' logs and stop.
on_failure_show_logs() {
  local status=0
  "$@" || status=$?
  if ((status != 0)); then
    show_service_logs all
    show_test_failures
    fail "$* failed (exit $status)"
  fi
}

# show_test_failures: what made cargo test fail, last, so that the tail of a CI log
# names it: compile errors, the panics of failed tests and the list of them.
show_test_failures() {
  local log="$RUN_DIR/cargo-test.log"
  [[ -f "$log" ]] || return 0
  printf '\n---- what failed in cargo test ----\n' >&2
  grep -E -A12 '^error(\[E[0-9]+\])?: ' "$log" | head -n 80 >&2 || true
  grep -E -A8 "^thread '.*' .*panicked at" "$log" | head -n 120 >&2 || true
  grep -E '^test .* FAILED$|^    [a-z_:0-9]+$' "$log" | sort -u | head -n 40 >&2 || true
  printf -- '---- end of what failed ----\n' >&2
}

rm -rf "$RUN_DIR"
mkdir -p "$RUN_DIR" "$LOG_DIR"

say "cfn-lint infra/template.yaml"
cfn-lint infra/template.yaml
python3 infra/local/stack.py check-routes

KEY_DIR="$(mktemp -d)"
say "token signing keys in $KEY_DIR"
"${DEVKIT[@]}" keygen --dir "$KEY_DIR"

moto_port="$(free_port)"
# The stack's Wonde: the end-to-end tests serve their own fake school there.
WONDE_PORT="$(free_port)"
export CLASSLIGHTS_WONDE_PORT="$WONDE_PORT" CLASSLIGHTS_WONDE_TOKEN="$LOCAL_WONDE_TOKEN"
say "local AWS emulator on port $moto_port"
use_local_aws "http://127.0.0.1:$moto_port"
start_moto "$moto_port"
create_stack "$AWS_ENDPOINT_URL" "$RUN_DIR/stack.env" "$KEY_DIR"

say "unit and integration tests"
# cargo_test ARGS...: cargo test, its output also kept for the closing tally.
cargo_test() { cargo test "$@" 2>&1 | tee -a "$RUN_DIR/cargo-test.log"; }
on_failure_show_logs cargo_test --workspace --exclude "$E2E_PACKAGE"

cargo metadata -q --no-deps --format-version 1 |
  python3 -c 'import json, sys; sys.exit(0 if sys.argv[1] in {p["name"] for p in json.load(sys.stdin)["packages"]} else 1)' \
    "$E2E_PACKAGE" || fail "no package named $E2E_PACKAGE in the workspace: the end-to-end tests cannot run"

say "demo school"
"${DEVKIT[@]}" seed-demo

say "building the functions"
cargo build -q --workspace --bins

api_port="$(free_port)"
say "functions on port $api_port"
# No --timeout: cargo-lambda applies it to the functions' own wait for their next
# event too, so an idle function would get a 408 there and crash.
start_functions "$api_port" --ignore-changes
start_pump "http://127.0.0.1:$api_port"
export CLASSLIGHTS_API_URL="http://127.0.0.1:$api_port"

say "end-to-end tests against $CLASSLIGHTS_API_URL"
# One test at a time: `cargo lambda watch` runs one instance of each function, as a
# Lambda sandbox does, and two requests racing for it have been seen to get a 500 from
# the local router; concurrency is covered in-process by the integration tests.
on_failure_show_logs cargo_test -p "$E2E_PACKAGE" -- --test-threads=1

say "API contract (schemathesis) against $OPENAPI"
[[ -f "$OPENAPI" ]] || fail "$OPENAPI does not exist: the API contract test cannot run"
teacher_token="$("${DEVKIT[@]}" token --role teacher --key "$CLASSLIGHTS_SIGNING_KEY_FILE")"
[[ -n "$teacher_token" ]] || fail "devkit token --role teacher printed nothing"
# infra/schemathesis.toml (when present) holds the per-operation expectations and
# keeps schemathesis's cache under .local; hypothesis's own files go there too.
# --origin keeps the schema's own base path (its servers entry, e.g. /v1).
# unsupported_method is left out: for a method with no route, API Gateway (and the
# local router) answers 404 itself, so the function never gets to say 405.
# run_schemathesis ROLE [schemathesis run flags...]: as the role whose token is in
# SCHEMATHESIS_TOKEN, which stays out of the command line a failure prints.
# A response may take as long as API Gateway waits for a function (29 s of its
# 30): the emulator is slow under load, and a hang still fails. A request the
# local stack never answers is sent again, twice at most: two of seven runs here
# saw one stall for some 40 s in `cargo lambda watch` (not in the emulator, which
# goes on answering, nor in an AWS call, which gives up after 8 s); a stall that
# outlasts the retries still fails the run.
run_schemathesis() {
  shift
  local config=()
  [[ -f infra/schemathesis.toml ]] && config=(--config-file infra/schemathesis.toml)
  HYPOTHESIS_STORAGE_DIRECTORY="$RUN_DIR/hypothesis" schemathesis "${config[@]}" run "$OPENAPI" \
    --origin "$CLASSLIGHTS_API_URL" \
    -H "Authorization: Bearer $SCHEMATHESIS_TOKEN" \
    --checks all \
    --exclude-checks unsupported_method \
    --max-examples "$SCHEMATHESIS_EXAMPLES" \
    --request-timeout 30 \
    --request-retries 2 \
    --max-response-time 29 \
    --workers 1 \
    --seed "$SCHEMATHESIS_SEED" \
    --generation-database none \
    --report junit --report-dir "$RUN_DIR/schemathesis" \
    --no-color \
    "$@"
}
SCHEMATHESIS_TOKEN="$teacher_token" on_failure_show_logs run_schemathesis teacher
# The teacher may not use the admin routes nor change the policy, so those get a
# second run as the demo school's admin, to reach past the door. Every policy change
# it generates is refused (no If-Match it can guess names the demo school's version),
# so the demo policy stays usable. One run for both keeps the links between their
# operations in it, which its stateful phase needs.
say "API contract (schemathesis) of the admin and policy routes, as an admin"
admin_token="$("${DEVKIT[@]}" token --role admin --user staff-admin --key "$CLASSLIGHTS_SIGNING_KEY_FILE")"
SCHEMATHESIS_TOKEN="$admin_token" on_failure_show_logs run_schemathesis admin --include-path-regex '^/v1/(admin|policy)(/|$)'

say "all tests passed"
# One closing line that counts every Rust test run above.
python3 - "$RUN_DIR/cargo-test.log" <<'PY'
import re, sys
results = re.findall(r"test result: \w+\. (\d+) passed; (\d+) failed", open(sys.argv[1]).read())
print(f"tests: {sum(int(p) for p, _ in results)} passed, {sum(int(f) for _, f in results)} failed")
PY
