#!/usr/bin/env bash
# DATABASE_READ_URL: the API reads from a streaming hot standby, writes and readiness stay on
# the primary, and a client reads its own write by sending back the write's Lamda-Commit-LSN as
# Lamda-Min-LSN. The standby's replay is paused to make the lag visible: a plain read shows the
# standby's (old) state, a read with the position shows the write, served by the primary.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
SEED=$ROOT/$BUILD/apiseed
start_postgres && start_pg_standby || { not_ok "primary and standby start"; finish; }
read -r P1 J1 < <("$SEED" "$PG_URL" 3 5) || { not_ok "seed the primary"; finish; }
sq() { "$PG_BIN/psql" -X -A -t -q "$PG_STANDBY_URL" -c "$1" 2>/dev/null; }
standby_jobs_are() { [ "$(sq 'select count(*) from jobs')" = "$1" ]; }
check "the standby replicates the seeded jobs" bash -c "for i in \$(seq 100); do [ \"\$($PG_BIN/psql -X -A -t -q '$PG_STANDBY_URL' -c 'select count(*) from jobs' 2>/dev/null)\" = 5 ] && exit 0; sleep 0.1; done; exit 1"

out=$(LAMDA_DOTENV=/nonexistent DATABASE_READ_URL=mysql://x "$LAMDA" config 2>&1)
check "a DATABASE_READ_URL of another kind is refused" grep -q '^lamda: configuration error: DATABASE_READ_URL' <<<"$out"

PORT=$(free_port) TOKEN=replica-test-token
DATABASE_URL=$PG_URL DATABASE_READ_URL=$PG_STANDBY_URL API_PORT=$PORT API_ADMIN_TOKEN=$TOKEN API_RATE_LIMIT=0 \
  LAMDA_DOTENV=/nonexistent NODE_REPUTATION_CONTRACT_ADDRESS= OPBNB_RPC_URL=http://127.0.0.1:1 \
  "$LAMDA" api-gateway >"$H_TMP/api.log" 2>&1 &
track $!
wait_port "$PORT" || { not_ok "api-gateway listens"; finish; }
U=http://127.0.0.1:$PORT
status_of() { curl -s "$@" "$U/api/jobs/$J1" | jq -r .data.status; }

check_eq "a read through the replica" "$(status_of)" created
sq "select pg_wal_replay_pause()" >/dev/null
code=$(curl -s -D "$H_TMP/h" -o "$H_TMP/b" -w '%{http_code}' -X PUT -H "authorization: Bearer $TOKEN" \
  -H 'content-type: application/json' -d '{"status":"running"}' "$U/api/jobs/$J1/status")
check_eq "a write goes to the primary" "$code" 200
LSN=$(sed -n 's/^lamda-commit-lsn: *\([0-9A-Fa-f]*\/[0-9A-Fa-f]*\).*/\1/ip' "$H_TMP/h")
check "the write answers with its commit position (Lamda-Commit-LSN)" test -n "$LSN"
check_eq "the primary has the write" "$("$PG_BIN/psql" -X -A -t -q "$PG_URL" -c "select status from jobs where job_id = decode('${J1#0x}', 'hex')")" running
check_eq "a plain read is served by the paused standby: the old state" "$(status_of)" created
check_eq "a read with Lamda-Min-LSN sees the write (the primary answers)" "$(status_of -H "lamda-min-lsn: $LSN")" running
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'lamda-min-lsn: not-a-position' "$U/api/jobs/$J1")
check_eq "a malformed Lamda-Min-LSN is read from the primary, not refused" "$code" 200
sq "select pg_wal_replay_resume()" >/dev/null
check "once the standby replays, a plain read sees the write" \
  bash -c "for i in \$(seq 50); do [ \"\$(curl -s $U/api/jobs/$J1 | jq -r .data.status)\" = running ] && exit 0; sleep 0.1; done; exit 1"
check_eq "with the position replayed the standby answers it too" "$(status_of -H "lamda-min-lsn: $LSN")" running
check_eq "readiness is the primary's" "$(curl -s -o /dev/null -w '%{http_code}' "$U/ready")" 200

pg_as "$PG_BIN/pg_ctl" -D "$PG_STANDBY_DATA" -m fast -w stop >/dev/null
# The first read after the standby died fails (503, "retry later") and drops the connection;
# from then on the primary answers until the replica can be reached again.
first=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/jobs/$J1")
echo "# first read after the standby stopped: HTTP $first"
fallback() { for _ in $(seq 30); do [ "$(status_of)" = running ] && return 0; sleep 0.1; done; return 1; }
check "with the standby down, reads fall back to the primary" fallback
# Each API thread retries its replica at most once a second and logs the failure: keep reading
# until one has (a loaded machine may take a few seconds).
logged() { status_of >/dev/null; grep -q "read replica unavailable" "$H_TMP/api.log"; }
check "the fallback is logged" wait_for "the fallback logged" 10 logged
finish
