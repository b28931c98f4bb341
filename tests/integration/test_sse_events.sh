#!/usr/bin/env bash
# Server-Sent Events (issue 20), with curl, on SQLite and on PostgreSQL: one event per state
# change written by another process (sqlite3 / psql, straight into the database: the triggers
# emit, whoever the writer), the job, provider/renter and node filters, Last-Event-ID resumes
# across an API restart with the changes made while it was down, holes in PostgreSQL's ids
# (a transaction committing after a later one; a rollback), the reset event for an id past
# retention, heartbeats, a stream outliving API_REQUEST_TIMEOUT, and the connection caps.
source "$(dirname "$0")/../lib/harness.sh"
SEED=$ROOT/$BUILD/apiseed
start_postgres || { not_ok "postgres starts"; finish; }

# sql BACKEND STATEMENTS — run SQL as a separate process, as another service would commit it.
sql() {
  if [ "$1" = sqlite ]; then sqlite3 -cmd ".timeout 5000" "$DBFILE" "$2" >/dev/null
  else "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U lamda "$PGDB" -c "$2" >/dev/null; fi
}
jid() { printf '0x%064x' "$1"; }
jblob() { if [ "$BE" = sqlite ]; then printf "X'%064x'" "$1"; else printf "'\\\\x%064x'::bytea" "$1"; fi; }
cancel() { sql "$BE" "UPDATE jobs SET status = 'cancelled', updated_at = 1 WHERE job_id = $(jblob "$1")"; }
ids() { sed -n 's/^id: //p' "$1" | tr '\n' ' ' | sed 's/ $//'; }
wait_lines() { # file pattern count seconds
  for _ in $(seq $(( $4 * 20 ))); do [ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0; sleep 0.05; done; return 1; }

start_api() {
  LAMDA_DOTENV=/nonexistent DATABASE_URL=$URL API_PORT=$PORT API_THREADS=2 API_RATE_LIMIT=0 \
    SSE_HEARTBEAT=1s SSE_MAX_PER_IP=4 API_REQUEST_TIMEOUT=2s LOG_LEVEL=${SSE_LOG_LEVEL:-warn} \
    "$LAMDA" api-gateway >>"$H_TMP/api-$BE.log" 2>&1 &
  API_PID=$!
  track $API_PID
  wait_port "$PORT" 20
  # The event reader has read the table once when the summary shows its head.
  for _ in $(seq 100); do curl -s -m 1 "$U/api/dashboard/summary" | grep -q '"last_event_id":[0-9]' && return 0; sleep 0.1; done
  return 1
}
stop_api() { kill -TERM "$API_PID"; wait "$API_PID" 2>/dev/null; }
stream() { # name path [curl args] — background curl into $H_TMP/NAME.sse
  curl -sN -m 30 "$@" "$U$2" >"$H_TMP/$1.sse" 2>/dev/null &
  STREAM_PID=$!
  track $STREAM_PID
}

for BE in ${SSE_BACKENDS:-sqlite pg}; do
  if [ $BE = sqlite ]; then DBFILE=$H_TMP/sse.db URL=sqlite:$DBFILE
  else PGDB=sse; "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda $PGDB; URL=postgres://lamda@127.0.0.1:$PG_PORT/$PGDB; fi
  "$SEED" "$URL" 3 40 >/dev/null || { not_ok "$BE: seed"; continue; }
  PORT=$(free_port); U=http://127.0.0.1:$PORT
  start_api || { not_ok "$BE: api-gateway serves event streams"; cat "$H_TMP/api-$BE.log"; continue; }
  ok "$BE: api-gateway serves event streams"

  stream all-$BE /api/events; P_ALL=$STREAM_PID
  stream job-$BE "/api/jobs/$(jid 2)/events"; P_JOB=$STREAM_PID
  stream nodes-$BE /api/nodes/events; P_NODES=$STREAM_PID
  sleep 0.5
  cancel 1; cancel 2; cancel 3
  sql $BE "UPDATE providers SET is_online = 0 WHERE total_jobs_completed >= 0 AND address = (SELECT address FROM providers ORDER BY address LIMIT 1)"
  sql $BE "UPDATE providers SET last_seen = last_seen + 1" # a heartbeat: no event
  check "$BE: the open stream gets one event per change (3 jobs, 1 node)" wait_lines "$H_TMP/all-$BE.sse" '^id: ' 4 5
  check "$BE: job events carry status and previous status" grep -q '"status":"cancelled","previous_status":"created"' "$H_TMP/all-$BE.sse"
  check "$BE: the job stream has that job's change only" wait_lines "$H_TMP/job-$BE.sse" '^event: job' 1 3
  check_eq "$BE: ...and no other job's" "$(grep -c '^id: ' "$H_TMP/job-$BE.sse")" 1
  check "$BE: the nodes stream has the provider going offline" wait_lines "$H_TMP/nodes-$BE.sse" '"is_online":false' 1 3
  check_eq "$BE: ...and no job events" "$(grep -c '^event: job' "$H_TMP/nodes-$BE.sse")" 0
  check "$BE: heartbeat comments on a quiet stream" wait_lines "$H_TMP/job-$BE.sse" '^: keep-alive' 2 4
  # API_REQUEST_TIMEOUT=2s: the stream is a response in progress, not a request being read.
  sleep 1; cancel 4
  check "$BE: a stream outlives API_REQUEST_TIMEOUT (event 3 s after connecting)" wait_lines "$H_TMP/all-$BE.sse" '^id: ' 5 5
  LAST=$(sed -n 's/^id: //p' "$H_TMP/all-$BE.sse" | tail -1)

  # Connection caps: 3 open from this address; SSE_MAX_PER_IP=4 admits one more.
  stream extra-$BE /api/events; P_EXTRA=$STREAM_PID
  sleep 0.3
  code=$(curl -s -o "$H_TMP/refused.json" -m 3 -w '%{http_code}' "$U/api/events")
  check_eq "$BE: the 5th stream from one address is refused (SSE_MAX_PER_IP=4)" "$code" 429
  m=$(curl -s "$U/metrics")
  check "$BE: metric lamda_sse_connections = 4" grep -q '^lamda_sse_connections 4$' <<<"$m"
  check "$BE: metric lamda_sse_refused_total{reason=\"per_ip\"} = 1" grep -q '^lamda_sse_refused_total{reason="per_ip"} 1$' <<<"$m"
  kill $P_EXTRA $P_JOB $P_NODES 2>/dev/null

  # Restart: changes committed while the API is down are delivered on resume, none missed.
  stop_api
  kill $P_ALL 2>/dev/null
  for j in 5 6 7 8 9; do cancel $j; done
  start_api || not_ok "$BE: api-gateway restarts"
  sleep 0.2
  cancel 10
  stream resume-$BE /api/events -H "Last-Event-ID: $LAST"
  check "$BE: after a restart, Last-Event-ID $LAST resumes with the 6 later changes" wait_lines "$H_TMP/resume-$BE.sse" '^id: ' 6 5
  want=$(seq $((LAST + 1)) $((LAST + 6)) | tr '\n' ' ' | sed 's/ $//')
  check_eq "$BE: ...in order, without a gap or a repeat" "$(ids "$H_TMP/resume-$BE.sse")" "$want"
  check_eq "$BE: ...the jobs changed while it was down" \
    "$(grep -o '"job_id":"0x0*[0-9a-f]*"' "$H_TMP/resume-$BE.sse" | sed 's/.*0x0*//; s/"//' | tr '\n' ' ')" "5 6 7 8 9 a "
  q=$(curl -s -m 2 "$U/api/events?last_event_id=$LAST" | grep -c '^id: ')
  check_eq "$BE: ?last_event_id= resumes as the header does" "$q" 6

  if [ $BE = pg ]; then
    # A transaction that takes an id first but commits last: its event must come first.
    P0=$(sed -n 's/^id: //p' "$H_TMP/resume-$BE.sse" | tail -1)
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U lamda $PGDB -c \
      "BEGIN; UPDATE jobs SET status = 'cancelled' WHERE job_id = $(jblob 11); SELECT pg_sleep(1.5); COMMIT;" >/dev/null &
    slow=$!
    sleep 0.4
    cancel 12
    wait $slow
    # A rolled-back change leaves a hole that must not stall the stream.
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U lamda $PGDB -c "BEGIN; UPDATE jobs SET status = 'cancelled' WHERE job_id = $(jblob 13); ROLLBACK;" >/dev/null
    cancel 14
    check "pg: events behind an open transaction and a rollback arrive" wait_lines "$H_TMP/resume-$BE.sse" '^id: ' 9 5
    order=$(sed -n "s/^data: .*\"job_id\":\"0x0*\([0-9a-f]*\)\".*/\1/p" "$H_TMP/resume-$BE.sse" | tail -3 | tr '\n' ' ')
    check_eq "pg: in id order: the long transaction's job (b) before the one committed first (c), then e" "$order" "b c e "
    got=$(ids "$H_TMP/resume-$BE.sse" | tr ' ' '\n' | tail -3 | tr '\n' ' ')
    check_eq "pg: ids ascending, the rolled-back id skipped" "$got" "$((P0 + 1)) $((P0 + 2)) $((P0 + 4))"
  fi

  # An id from before the retention window (pruned): a reset event, then the live stream.
  sql $BE "DELETE FROM events WHERE id <= $LAST"
  r=$(curl -s -m 2 "$U/api/events" -H "Last-Event-ID: 1")
  check "$BE: a pruned Last-Event-ID gets a reset event" grep -q '^event: reset' <<<"$r"
  code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$U/api/events" -H "Last-Event-ID: x1")
  check_eq "$BE: a malformed Last-Event-ID is a 400" "$code" 400
  stop_api
done
finish
