#!/usr/bin/env bash
# The PostgreSQL failover drill: `lamda all` runs on a primary that streams to a hot standby;
# jobs are created and confirmed; the primary is killed mid-traffic (immediate stop: no
# shutdown checkpoint, like a machine failure); the standby is promoted and lamda is pointed at
# it. Replication is asynchronous, so the last commits may be lost with the primary — the
# follower re-applies them from the chain, the stream drops re-published jobs by Msg-Id, and
# the reputation service settles increments already on chain. Asserted: the agent gets every
# job (a copy whose delivery record was lost is handed over again; with synchronous replication
# none is), each confirmation increments exactly once, and the promoted database equals a
# `lamda rebuild` from the chain.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
AGENTSIM=$ROOT/$BUILD/agentsim
N1=${N1:-20} N2=${N2:-40}
now_ms() { date +%s%3N; }

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats && start_postgres || { not_ok "parts start"; finish; }
start_pg_standby || { not_ok "a streaming hot standby starts (pg_basebackup)"
MODE=${PG_FAILOVER_MODE:-async}
if [ "$MODE" = sync ]; then
  check "synchronous replication is on" pg_synchronous_standby
  check_eq "the primary waits for the standby" "$(psql_q 'select sync_state from pg_stat_replication')" sync
  check_eq "lamda's sessions commit synchronously" "$(psql_q 'show synchronous_commit')" on
fi; finish; }
ok "a streaming hot standby starts (pg_basebackup)"
MODE=${PG_FAILOVER_MODE:-async}
if [ "$MODE" = sync ]; then
  check "synchronous replication is on" pg_synchronous_standby
  check_eq "the primary waits for the standby" "$(psql_q 'select sync_state from pg_stat_replication')" sync
  check_eq "lamda's sessions commit synchronously" "$(psql_q 'show synchronous_commit')" on
fi
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export JOB_ID_FROM_CID=true DEFAULT_DOCKER_IMAGE=ghcr.io/lamda/worker:1.0
export ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 API_PORT=$(free_port) DATABASE_URL=$PG_URL
PROV=$ANVIL_ADDR3

q_on() { "$PG_BIN/psql" -X -A -t -q "$1" -c "$2" 2>/dev/null; }
increments() { "$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented; }
increments_are() { [ "$(increments)" = "$1" ]; }
sent_is() { [ "$(q_on "$DATABASE_URL" "select count(*) from outbox where sent_at is not null")" = "$1" ]; }
standby_jobs_are() { [ "$(q_on "$PG_STANDBY_URL" "select count(*) from jobs")" = "$1" ]; }

# The provider's agent: it reports on agent.status, so a copy whose fate a SIGKILL left unknown
# ("maybe delivered") goes out again after JOB_ACK_WAIT unless the agent reported it.
export JOB_ACK_WAIT=10s
"$AGENTSIM" --address "$PROV" --count 100000 --timeout 600 --work-ms 10 >"$H_TMP/sub.out" 2>&1 &
track $!
wait_for "agent" 10 grep -q ready "$H_TMP/sub.out"
start_lamda all-primary all

# --- phase 1: on the primary, replicated to the standby ---------------------------------------
create_confirm "$N1" "$ANVIL_KEY1" "$PROV"
check "primary: $N1 jobs dispatched" wait_for "outbox" 60 sent_is "$N1"
check "primary: $N1 increments mined" wait_for "increments" 60 increments_are "$N1"
check "the standby has every job (streaming replication)" wait_for "standby" 20 standby_jobs_are "$N1"
out=$("$PG_BIN/psql" -X -A -t -q "$PG_STANDBY_URL" -c "delete from jobs" 2>&1)
check "the standby is read-only while it is a standby" grep -q "read-only transaction" <<<"$out"

# --- phase 2: the primary dies mid-traffic; the standby is promoted -------------------------
create_confirm "$N2" "$ANVIL_KEY1" "$PROV" &
WORK=$!
sleep 1
t0=$(now_ms)
kill_postgres
check "the primary is down" bash -c "! $PG_BIN/pg_isready -q -h 127.0.0.1 -p $PG_PORT"
promote_pg_standby
t1=$(now_ms)
check "the standby is promoted and accepts writes" \
  bash -c "$PG_BIN/psql -X -A -t -q '$PG_STANDBY_URL' -c 'select pg_is_in_recovery()' | grep -qx f"
echo "# primary killed → standby promoted: $((t1 - t0)) ms"
# The services are pointed at the new primary (a restart with the new DATABASE_URL, as an
# operator or an orchestrator does; a DNS name or pgbouncer in front would move without one).
kill -KILL "$LAMDA_PID_all_primary" 2>/dev/null
wait "$LAMDA_PID_all_primary" 2>/dev/null
export DATABASE_URL=$PG_STANDBY_URL
start_lamda all-promoted all
wait $WORK
TOTAL=$((N1 + N2))
check "promoted: all $TOTAL jobs recorded and dispatched" wait_for "outbox" 90 sent_is "$TOTAL" ||
  echo "# jobs=$(q_on "$DATABASE_URL" 'select count(*) from jobs') sent=$(q_on "$DATABASE_URL" 'select count(*) from outbox where sent_at is not null')"
increments_at_least() { [ "$(increments)" -ge "$1" ]; }
check "promoted: every confirmed job incremented ($TOTAL)" wait_for "increments" 90 increments_at_least "$TOTAL"
sleep 2 # anything sent twice would arrive by now
# Asynchronous or not, the increments the lost commits had sent are on chain and settled, not
# sent again (services/reputation.c, vet_pending).
check_eq "$MODE: no increment sent twice" "$(increments)" "$TOTAL"
received_distinct() { sed -n 's/^recv \(0x[0-9a-f]*\) .*/\1/p' "$H_TMP/sub.out" | sort -u | wc -l; }
all_received() { [ "$(received_distinct)" -ge "$TOTAL" ]; }
wait_for "the agent receives every job" 40 all_received
check_eq "$MODE: the agent got every job (distinct)" "$(received_distinct)" "$TOTAL"
copies=$(grep -c '^recv ' "$H_TMP/sub.out")
echo "# $MODE: $copies copies for $TOTAL jobs ($((copies - TOTAL)) handed over again after their delivery record was lost)"
if [ "$MODE" = sync ]; then check_eq "sync: the agent got each job exactly once" "$copies" "$TOTAL"; fi
lost=$(q_on "$DATABASE_URL" "select count(*) from reputation_updates where last_error like 'already counted on chain%'")
echo "# increments whose database rows were lost with the primary and settled from the chain: ${lost:-0}"

kill -TERM "$LAMDA_PID_all_promoted"; wait "$LAMDA_PID_all_promoted"
check_eq "lamda all on the promoted database stops cleanly" "$?" 0
"$LAMDA" rebuild "sqlite:$H_TMP/rebuilt.db" >"$H_TMP/rebuild.log" 2>&1
check_eq "lamda rebuild from the chain succeeds" "$?" 0
"$ROOT/scripts/dbcompare.sh" "$DATABASE_URL" "sqlite:$H_TMP/rebuilt.db" >"$H_TMP/compare.out" 2>&1
rc=$?
check_eq "the promoted database equals lamda rebuild" "$rc" 0
[ $rc = 0 ] || cat "$H_TMP/compare.out" >&2
finish
