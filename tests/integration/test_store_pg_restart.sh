#!/usr/bin/env bash
# PostgreSQL restarts in the middle of a run: the writer (build/storeprobe) sees the connection
# drop, rolls back, reconnects by itself and retries its unit of work; afterwards every unit is
# present exactly once and nothing written before the restart is lost.
source "$(dirname "$0")/../lib/harness.sh"
PROBE=${STOREPROBE:-$ROOT/$BUILD/storeprobe}
N=600
start_postgres || { not_ok "start postgres"; finish; }
"$PROBE" write "$PG_URL" $N 10 >"$H_TMP/probe.out" 2>"$H_TMP/probe.err" &
probe=$!
track $probe
# let it write a while, then take the server away under it
for _ in $(seq 50); do
  n=$(psql_q "SELECT count(*) FROM jobs" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 100 ] && break
  sleep 0.1
done
before=$(psql_q "SELECT count(*) FROM jobs")
check "some rows written before the restart ($before)" test "${before:-0}" -ge 100
stop_postgres
sleep 2
restart_postgres
check "postgres back" wait_port "$PG_PORT" 20
wait $probe; rc=$?
check_eq "writer finished after the restart" "$rc" 0
grep -q 'retries' "$H_TMP/probe.out" && r=$(sed -n 's/.*units, \([0-9]*\) retries/\1/p' "$H_TMP/probe.out")
check "writer had to retry at least once (${r:-?})" test "${r:-0}" -ge 1
after=$(psql_q "SELECT count(*) FROM jobs")
check_eq "every unit present once" "$after" "$N"
check "nothing lost: jobs, ledger, cursor all complete" "$PROBE" check "$PG_URL" $N
check_eq "no duplicate ledger rows" "$(psql_q "SELECT count(*) - count(DISTINCT tx_hash) FROM ledger")" 0
[ -s "$H_TMP/probe.err" ] && sed 's/^/  probe: /' "$H_TMP/probe.err" | head -5 >&2
finish
