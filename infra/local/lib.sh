# shellcheck shell=bash
# Shared by dev.sh, test.sh and bench.sh: start, watch and stop the local stack.
#
# Every service runs in its own process group with a log file under .local/logs/;
# stop_services (run from an EXIT trap) ends the groups this shell started and
# nothing else. Source it from the repository root with .venv/bin first on PATH.

LOG_DIR="${LOG_DIR:-.local/logs}"
LOG_PREFIX="${LOG_PREFIX:-}"
REGION="eu-west-2"
TOKEN_ISSUER="classlights-local"
TOKEN_AUDIENCE="classlights-api"
# The roster sync's Wonde: the token the local stack stores in WondeTokenSecret and the
# API root it is sent to. dev.sh serves the demo school there (start_fake_wonde).
LOCAL_WONDE_TOKEN="classlights-local-wonde-token"
# The shared secret the local stack stores in WondeWebhookSecret: a local Wonde webhook
# is POST $API/integrations/wonde?secret=$LOCAL_WONDE_WEBHOOK_SECRET (letters and digits,
# as the template generates it). create_stack exports it for the tests.
LOCAL_WONDE_WEBHOOK_SECRET="classlightsLocalWondeWebhookSecret0123456789"
WONDE_PORT="${WONDE_PORT:-5006}"
# shellcheck disable=SC2034  # used by the scripts that source this file
DEVKIT=(cargo run -q -p testkit --bin devkit --)

SERVICE_NAMES=()
SERVICE_PIDS=()
SERVICE_LOGS=()

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_in_use() {
  python3 - "$1" <<'PY'
import socket, sys
with socket.socket() as s:
    sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

# start_service NAME COMMAND...: run COMMAND in a new process group, logging to $LOG_DIR/NAME.log.
start_service() {
  local name="$1"; shift
  local log="$LOG_DIR/$name.log"
  mkdir -p "$LOG_DIR"
  setsid "$@" >"$log" 2>&1 </dev/null &
  SERVICE_NAMES+=("$name"); SERVICE_PIDS+=("$!"); SERVICE_LOGS+=("$log")
  say "started $name (pid $!, log $log)"
}

service_alive() { kill -0 "$1" 2>/dev/null; }

show_log_tail() {
  printf '\n---- last lines of %s ----\n' "$1" >&2
  tail -n "${2:-40}" "$1" >&2 || true
  printf -- '---- end of %s ----\n' "$1" >&2
}

# Print the log of every service that died, or of all of them when $1 is "all".
show_service_logs() {
  local i
  for i in "${!SERVICE_PIDS[@]}"; do
    if [[ "${1:-}" == all ]] || ! service_alive "${SERVICE_PIDS[$i]}"; then
      show_log_tail "${SERVICE_LOGS[$i]}"
    fi
  done
}

# Fail, with its log, if any service has exited.
check_services() {
  local i
  for i in "${!SERVICE_PIDS[@]}"; do
    if ! service_alive "${SERVICE_PIDS[$i]}"; then
      show_log_tail "${SERVICE_LOGS[$i]}"
      fail "${SERVICE_NAMES[$i]} exited"
    fi
  done
}

stop_services() {
  local pid i
  for pid in "${SERVICE_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for i in $(seq 50); do
    local alive=0
    for pid in "${SERVICE_PIDS[@]}"; do service_alive "$pid" && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for pid in "${SERVICE_PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  SERVICE_NAMES=(); SERVICE_PIDS=(); SERVICE_LOGS=()
}

# wait_for_http URL SECONDS WHAT [LOG] [METHOD]: until URL answers with a status below 500
# that is not cargo-lambda's own "no such function" reply (a POST sends `{}`). Fails early
# if a service exits, or if LOG shows that a function process exited (its request would
# never return).
wait_for_http() {
  local url="$1" seconds="$2" what="$3" log="${4:-}" method="${5:-GET}" deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    check_services
    if [[ -n "$log" ]] && grep -q "ERROR command exited" "$log"; then
      show_log_tail "$log" 60
      fail "$what exited while starting (see its output above)"
    fi
    if python3 - "$url" "$method" <<'PY'
import sys, urllib.error, urllib.request
url, method = sys.argv[1], sys.argv[2]
body = b"{}" if method in ("POST", "PUT", "PATCH") else None
request = urllib.request.Request(url, data=body, method=method, headers={"content-type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        status, body = response.status, response.read()
except urllib.error.HTTPError as error:
    status, body = error.code, error.read()
except OSError:
    sys.exit(1)
sys.exit(0 if status < 500 and status != 408 and b"Default function disabled" not in body and b"Missing function" not in body else 1)
PY
    then
      return 0
    fi
    sleep 0.5
  done
  show_service_logs all
  fail "$what did not answer at $url within ${seconds}s"
}

# start_moto PORT: the emulator (moto, see emulator.py), empty.
start_moto() {
  port_in_use "$1" && fail "port $1 is busy: stop whatever listens there, or choose another port"
  start_service "$LOG_PREFIX"moto python3 infra/local/emulator.py --host 127.0.0.1 --port "$1"
  wait_for_http "http://127.0.0.1:$1/moto-api/data.json" 30 "moto"
}

# create_stack ENDPOINT ENV_FILE KEY_DIR: the template's tables, queues, secrets and mail
# identities, given the parameters a deploy is given (the public keys of KEY_DIR, the
# local token issuer, the local Wonde URL), the signing keys of KEY_DIR (devkit keygen)
# as the auth function's secret, LOCAL_WONDE_TOKEN as the roster sync's and
# LOCAL_WONDE_WEBHOOK_SECRET as the Wonde webhook's; exports the env file,
# CLASSLIGHTS_SIGNING_KEY_FILE and CLASSLIGHTS_WONDE_WEBHOOK_SECRET.
create_stack() {
  local keys="$3"
  [[ -s "$keys/signing-key" ]] || fail "$keys/signing-key is missing: devkit keygen did not write it"
  [[ -s "$keys/jwks.json" ]] || fail "$keys/jwks.json is missing: devkit keygen did not write it"
  (umask 077 && printf '%s\n' "$LOCAL_WONDE_TOKEN" >"$keys/wonde-token")
  (umask 077 && printf '%s\n' "$LOCAL_WONDE_WEBHOOK_SECRET" >"$keys/wonde-webhook-secret")
  local parameters=(
    --parameter "AccessTokenJwks=$(cat "$keys/jwks.json")"
    --parameter "AccessTokenIssuer=$TOKEN_ISSUER"
    --parameter "AccessTokenAudience=$TOKEN_AUDIENCE"
    --parameter "WondeApiUrl=http://127.0.0.1:$WONDE_PORT/v1.0/"
  )
  if [[ -n "${RUST_LOG:-}" ]]; then parameters+=(--parameter "LogLevel=$RUST_LOG"); fi
  python3 infra/local/stack.py up --endpoint "$1" --env-file "$2" "${parameters[@]}" \
    --secret "SigningKeysSecret=$keys/signing-key" \
    --secret "WondeTokenSecret=$keys/wonde-token" \
    --secret "WondeWebhookSecret=$keys/wonde-webhook-secret"
  set -a
  # shellcheck disable=SC1090
  . "$2"
  set +a
  export CLASSLIGHTS_SIGNING_KEY_FILE; CLASSLIGHTS_SIGNING_KEY_FILE="$(cd "$keys" && pwd)/signing-key"
  export CLASSLIGHTS_WONDE_WEBHOOK_SECRET="$LOCAL_WONDE_WEBHOOK_SECRET"
}

# use_local_aws ENDPOINT: point every SDK at the emulator with fake keys; never a real account.
use_local_aws() {
  unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
  export AWS_ENDPOINT_URL="$1"
  export AWS_REGION="$REGION" AWS_DEFAULT_REGION="$REGION"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
  export AWS_EC2_METADATA_DISABLED=true
  export CLASSLIGHTS_TEMPLATE="$PWD/infra/template.yaml"
}

# start_functions PORT [cargo lambda watch flags...]: every function binary on the API paths;
# returns once each HTTP function has started and answered one of its routes.
start_functions() {
  local port="$1"; shift
  port_in_use "$port" && fail "port $port is busy: stop whatever listens there, or choose another port"
  start_service "$LOG_PREFIX"watch cargo lambda watch -A 127.0.0.1 -P "$port" "$@"
  local probes method path binary
  probes="$(python3 infra/local/stack.py probes)" || fail "stack.py probes failed"
  # The first request to a function waits for `cargo run` to start it.
  while read -r method path binary; do
    wait_for_http "http://127.0.0.1:$port$path" 600 "the $binary function" \
      "$LOG_DIR/${LOG_PREFIX}watch.log" "$method"
    say "the $binary function answers $method $path"
  done <<<"$probes"
}

# start_fake_wonde PORT TOKEN_FILE [devkit fake-wonde flags...]: the demo school served
# as Wonde serves a school (testkit's FakeWonde), answering only the token in TOKEN_FILE.
start_fake_wonde() {
  local port="$1" token_file="$2"; shift 2
  port_in_use "$port" && fail "port $port is busy: stop whatever listens there, or choose another WONDE_PORT"
  start_service "$LOG_PREFIX"wonde "${DEVKIT[@]}" fake-wonde --port "$port" --token-file "$token_file" "$@"
  wait_for_http "http://127.0.0.1:$port/v1.0/schools" 300 "the fake Wonde"
}

# start_pump INVOKE_URL: queue consumers and schedules from the template.
start_pump() {
  start_service "$LOG_PREFIX"pump python3 infra/local/pump.py --endpoint "$AWS_ENDPOINT_URL" --invoke-url "$1"
}
