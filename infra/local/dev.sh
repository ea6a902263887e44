#!/usr/bin/env bash
# `make dev`: the whole system on this machine until Ctrl-C.
#
# moto on MOTO_PORT (5005) holding the template's table, queues, secrets and verified
# sender (the auth function's signing keys are .local/signing-key, the roster sync's
# Wonde token .local/wonde-token); a fake Wonde on WONDE_PORT (5006) serving the demo
# school, Riverside Academy, with the demo staff room on its roster; every function
# under `cargo lambda watch` on API_PORT (9000) at the same /v1 paths as API Gateway
# (reloading on code changes), and the event pump feeding the job functions. The demo
# school joins as a real one does: Wonde's approval webhook creates it and queues its
# first full sync, the pump runs the sync against the fake Wonde, and the demo accounts
# are opened on the roster it wrote. Prints the base URL, the demo logins and tokens.
# Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/local/lib.sh

MOTO_PORT="${MOTO_PORT:-5005}"
API_PORT="${API_PORT:-9000}"
# The demo school's id in Wonde (Wonde's ids look like this).
DEMO_WONDE_SCHOOL="A1930499544"
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

say "building the functions"
cargo build -q --workspace --bins

say "fake Wonde on port $WONDE_PORT"
start_fake_wonde "$WONDE_PORT" "$KEY_DIR/wonde-token" --school-id "$DEMO_WONDE_SCHOOL"

say "functions on port $API_PORT"
start_functions "$API_PORT"
start_pump "http://127.0.0.1:$API_PORT"

say "the demo school approves Classlights in Wonde"
approval="$(curl -fsS -X POST -H 'content-type: application/json' \
  --data "{\"payload_type\": \"schoolApproved\", \"school_id\": \"$DEMO_WONDE_SCHOOL\", \"school_name\": \"Riverside Academy\"}" \
  "http://127.0.0.1:$API_PORT/v1/integrations/wonde?secret=$LOCAL_WONDE_WEBHOOK_SECRET")" ||
  fail "the Wonde webhook refused the demo school's approval (see $LOG_DIR/watch.log)"
school="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["schoolId"])' <<<"$approval")"

say "its first roster sync, through the queue and the pump (log: $LOG_DIR/pump.log)"
"${DEVKIT[@]}" wait-sync --school "$school" --seconds 900 || {
  show_service_logs all
  fail "the demo school's first roster sync did not complete"
}

say "the demo accounts, on the roster the sync wrote"
"${DEVKIT[@]}" demo-accounts --school "$school" >"$KEY_DIR/demo-users"
demo_user() { sed -n "s/^$1=//p" "$KEY_DIR/demo-users"; }

# Real access tokens live 15 minutes; the demo's last a working day.
teacher_token="$("${DEVKIT[@]}" token --role teacher --school "$school" --user "$(demo_user teacher)" --minutes 720 --key "$CLASSLIGHTS_SIGNING_KEY_FILE")"
slt_token="$("${DEVKIT[@]}" token --role slt --school "$school" --user "$(demo_user slt)" --minutes 720 --key "$CLASSLIGHTS_SIGNING_KEY_FILE")"
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

  demo school    $school (Wonde school $DEMO_WONDE_SCHOOL, served by the fake Wonde at $WONDE_API_URL)
  ready tokens   $KEY_DIR/teacher.token and $KEY_DIR/slt.token (valid 12 hours)
  try:  curl -H "Authorization: Bearer \$(cat $KEY_DIR/teacher.token)" http://127.0.0.1:$API_PORT/v1/classes
  logs: $LOG_DIR/{moto,wonde,watch,pump}.log    emulator: $AWS_ENDPOINT_URL/moto-api/
  roster sync    every 5 minutes in the school day; or send {"schoolId":"$school","kind":"delta"}
                 to $ROSTER_SYNC_QUEUE_URL

Ctrl-C stops everything.
EOF

while true; do
  check_services
  sleep 1
done
