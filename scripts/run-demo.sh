#!/usr/bin/env bash
# make run: the monitor on embedded SQLite plus a demo Chief daemon running the sample jobs.
# Secrets are generated on first use and kept in .demo/ (git-ignored); the admin password is
# new on every start and printed below — nothing is hard-coded.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_DIR=.demo
mkdir -p "$DEMO_DIR"
chmod 700 "$DEMO_DIR"
rand() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "${1:-32}"; }
[ -s "$DEMO_DIR/auth_secret" ] || rand 48 > "$DEMO_DIR/auth_secret"
[ -s "$DEMO_DIR/api_key" ] || rand 40 > "$DEMO_DIR/api_key"

PORT="${MONITOR_PORT:-7410}"
HOST="${MONITOR_HOST:-127.0.0.1}"
ADMIN_EMAIL="${MONITOR_AUTH_ADMIN_EMAIL:-admin@localhost.localdomain}"
ADMIN_PASSWORD="$(rand 20)"
API_KEY="$(cat "$DEMO_DIR/api_key")"
URL="http://${HOST}:${PORT}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

MONITOR_HOST="$HOST" MONITOR_PORT="$PORT" \
MONITOR_DB_PATH="$DEMO_DIR/monitor.sqlite" \
MONITOR_API_KEY="$API_KEY" \
MONITOR_AUTH_SECRET="$(cat "$DEMO_DIR/auth_secret")" \
MONITOR_AUTH_ADMIN_EMAIL="$ADMIN_EMAIL" \
MONITOR_AUTH_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
MONITOR_AUTH_ADMIN_RESET=true \
MONITOR_EVALUATOR_INTERVAL_SECONDS="${MONITOR_EVALUATOR_INTERVAL_SECONDS:-5}" \
  ./bin/monitor serve >"$DEMO_DIR/monitor.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  if MONITOR_HOST="$HOST" MONITOR_PORT="$PORT" ./bin/monitor healthcheck >/dev/null 2>&1; then break; fi
  if ! kill -0 "${pids[0]}" 2>/dev/null; then echo "The monitor failed to start:"; cat "$DEMO_DIR/monitor.log"; exit 1; fi
  sleep 0.1
done

./bin/gulag-chief daemon --config chief.yaml --run-on-start --monitor-endpoint "$URL" --monitor-api-key "$API_KEY" \
  >"$DEMO_DIR/chief.log" 2>&1 &
pids+=($!)

cat <<MSG

  Chief Monitor is running.

    Dashboard:  ${URL}/
    Sign in as: ${ADMIN_EMAIL}
    Password:   ${ADMIN_PASSWORD}      (new on every 'make run')

    API key for /v1 (x-api-key):  stored in ${DEMO_DIR}/api_key
    Logs:       ${DEMO_DIR}/monitor.log, ${DEMO_DIR}/chief.log
    A demo Chief daemon runs the sample jobs of chief.yaml against this monitor.

  Press Ctrl-C to stop both.

MSG
wait -n "${pids[@]}" || true
