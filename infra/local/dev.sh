#!/usr/bin/env bash
# `make dev`: the whole system on this machine until Ctrl-C.
#
# moto on MOTO_PORT (5005) holding the template's table, queues, secrets and verified
# sender (the auth function's signing keys are .local/signing-key, the roster sync's
# Wonde token .local/wonde-token; its Wonde URL points at WONDE_PORT (5006), where no
# fake Wonde runs yet), the demo school,
# every function under `cargo lambda watch` on API_PORT (9000) at the same /v1 paths
# as API Gateway (reloading on code changes), and the event pump feeding the job
# functions. Prints the base URL and demo tokens. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/local/lib.sh

MOTO_PORT="${MOTO_PORT:-5005}"
API_PORT="${API_PORT:-9000}"
KEY_DIR=".local"

trap stop_services EXIT
trap 'exit 130' INT TERM

if [[ ! -s "$KEY_DIR/jwks.json" || ! -s "$KEY_DIR/signing-key" ]]; then
  say "token signing keys"
  "${DEVKIT[@]}" keygen --dir "$KEY_DIR"
fi

say "local AWS emulator on port $MOTO_PORT"
use_local_aws "http://127.0.0.1:$MOTO_PORT"
start_moto "$MOTO_PORT"
create_stack "$AWS_ENDPOINT_URL" .local/stack.env "$KEY_DIR"

say "demo school"
"${DEVKIT[@]}" seed-demo

say "building the functions"
cargo build -q --workspace --bins

say "functions on port $API_PORT"
start_functions "$API_PORT"
start_pump "http://127.0.0.1:$API_PORT"

# Real access tokens live 15 minutes; the demo's last a working day.
teacher_token="$("${DEVKIT[@]}" token --role teacher --minutes 720 --key "$CLASSLIGHTS_SIGNING_KEY_FILE")"
slt_token="$("${DEVKIT[@]}" token --role slt --minutes 720 --key "$CLASSLIGHTS_SIGNING_KEY_FILE")"
# Kept for scripts and the README's curl session; they expire with the tokens.
printf '%s\n' "$teacher_token" >"$KEY_DIR/teacher.token"
printf '%s\n' "$slt_token" >"$KEY_DIR/slt.token"

cat <<EOF

Classlights is running.

  API            http://127.0.0.1:$API_PORT/v1

  demo logins (POST /v1/auth/login; every role is in the README):
    teacher      tess.brown@riverside.example    demo teacher lights
    senior lead  helen.marsh@riverside.example   demo slt lights
    admin        alan.price@riverside.example    demo admin lights
    parent       jo.carter@home.example          demo parent lights

  ready tokens   $KEY_DIR/teacher.token and $KEY_DIR/slt.token (valid 12 hours)
  try:  curl -H "Authorization: Bearer \$(cat $KEY_DIR/teacher.token)" http://127.0.0.1:$API_PORT/v1/lessons/7A-ma/lights
  logs: $LOG_DIR/{moto,watch,pump}.log    emulator: $AWS_ENDPOINT_URL/moto-api/
  roster sync    send {"schoolId":"...","kind":"delta"} to $ROSTER_SYNC_QUEUE_URL
                 (Wonde: $WONDE_API_URL, where no fake Wonde runs yet)

Ctrl-C stops everything.
EOF

while true; do
  check_services
  sleep 1
done
