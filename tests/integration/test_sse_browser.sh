#!/usr/bin/env bash
# An EventSource in headless Chromium (the browser's own reconnect and Last-Event-ID, not
# ours) through an API restart, on SQLite and on PostgreSQL: changes committed before, while
# the API is down and after it is back all reach the page, each once, in id order — exactly
# the rows of the events table.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/browser.sh"
browser_available || { skip "EventSource in a browser: $BROWSER_WHY"; finish; }
SEED=$ROOT/$BUILD/apiseed
start_postgres || { not_ok "postgres starts"; finish; }

sql() {
  if [ "$BE" = sqlite ]; then sqlite3 -batch -noheader -cmd ".timeout 5000" "$DBFILE" "$1"
  else "$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U lamda "$PGDB" -c "$1"; fi
}
jblob() { if [ "$BE" = sqlite ]; then printf "X'%064x'" "$1"; else printf "'\\\\x%064x'::bytea" "$1"; fi; }
cancel() { sql "UPDATE jobs SET status = 'cancelled', updated_at = 1 WHERE job_id = $(jblob "$1")" >/dev/null; }
start_api() {
  LAMDA_DOTENV=/nonexistent DATABASE_URL=$URL API_PORT=$PORT API_RATE_LIMIT=0 LOG_LEVEL=warn \
    "$LAMDA" api-gateway >>"$H_TMP/api-$BE.log" 2>&1 7>&- & # not the driver's fifo
  API_PID=$!
  track $API_PID
  wait_port "$PORT" 20
}
events_seen() { grep -c '^event ' "$OUT_FILE" 2>/dev/null; }

for BE in sqlite pg; do
  if [ $BE = sqlite ]; then DBFILE=$H_TMP/es.db URL=sqlite:$DBFILE
  else PGDB=es; "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda $PGDB; URL=postgres://lamda@127.0.0.1:$PG_PORT/$PGDB; fi
  "$SEED" "$URL" 2 20 >/dev/null || { not_ok "$BE: seed"; continue; }
  START=$(sql "SELECT max(id) FROM events")
  PORT=$(free_port); U=http://127.0.0.1:$PORT
  start_api || { not_ok "$BE: api-gateway starts"; continue; }
  OUT_FILE=$H_TMP/es-$BE.out
  mkfifo "$H_TMP/es-$BE.in"
  node "$BROWSER_JS" eventsource "$U" <"$H_TMP/es-$BE.in" >"$OUT_FILE" 2>"$H_TMP/es-$BE.err" &
  BPID=$!
  track $BPID
  exec 7>"$H_TMP/es-$BE.in" # the driver runs until this closes
  if ! wait_for_open=$(for _ in $(seq 300); do grep -q '^open' "$OUT_FILE" && echo y && break; sleep 0.1; done) || [ -z "$wait_for_open" ]; then
    not_ok "$BE: the page's EventSource opens" "$(head -3 "$OUT_FILE" "$H_TMP/es-$BE.err")"
    exec 7>&-; kill -TERM $API_PID; wait $API_PID; continue
  fi
  ok "$BE: the page's EventSource opens"
  for j in 1 2 3; do cancel $j; done
  for _ in $(seq 100); do [ "$(events_seen)" -ge 3 ] && break; sleep 0.1; done
  check_eq "$BE: 3 live events before the restart" "$(events_seen)" 3
  kill -TERM $API_PID; wait $API_PID
  for j in 4 5 6 7 8; do cancel $j; done # committed while no API runs
  sleep 1.5                             # the browser retries (retry: 1000) against a closed port
  start_api || not_ok "$BE: api-gateway restarts"
  for j in 9 10; do cancel $j; done
  for _ in $(seq 150); do [ "$(events_seen)" -ge 10 ] && break; sleep 0.1; done
  exec 7>&-
  wait $BPID
  got=$(sed -n 's/^event \([0-9]*\) .*/\1/p' "$OUT_FILE" | tr '\n' ' ')
  want=$(sql "SELECT id FROM events WHERE id > $START ORDER BY id" | tr '\n' ' ')
  check_eq "$BE: the page got every event of the table once, in order, across the restart" "$got" "$want"
  check_eq "$BE: ...10 of them" "$(events_seen)" 10
  check "$BE: the browser reconnected by itself (2 opens)" test "$(grep -c '^open' "$OUT_FILE")" -ge 2
  check "$BE: ...after seeing the connection drop" grep -q '^error' "$OUT_FILE"
  kill -TERM $API_PID; wait $API_PID
done
finish
