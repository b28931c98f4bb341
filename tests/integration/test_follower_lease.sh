#!/usr/bin/env bash
# One active writer: two node-registry processes on one database. Only one holds the lease
# (PostgreSQL advisory lock / SQLite flock); SIGKILL it while events keep coming → the other
# takes over within seconds and continues with no gap and no duplicate. On PostgreSQL also:
# the holder's connection is terminated by the server (a reconnect loses the advisory lock) →
# it must notice and stand by instead of applying without the lease.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
# Private copies: another engineer's rebuild must not pull a binary away in the middle of a run.
cp "$LAMDA" "$LAMDADEV" "$H_TMP/" && LAMDA=$H_TMP/lamda LAMDADEV=$H_TMP/lamdadev

start_chains_and_postgres

KEYS=($ANVIL_KEY1 $ANVIL_KEY3 $ANVIL_KEY4)
ADDRS=($ANVIL_ADDR1 $ANVIL_ADDR3 $ANVIL_ADDR4)
nr_send ${KEYS[0]} 'registerNode(string,uint256)' "RTX 4090" 24576
nr_send ${KEYS[1]} 'registerNode(string,uint256)' "A100" 81920
nr_send ${KEYS[2]} 'registerNode(string,uint256)' "H100" 81920

ledger_count() { db_q "select count(*) from ledger where chain_id = 5611"; }
ledger_grows() { [ "$(ledger_count)" -gt 8 ]; }
current() { local a b; a=$(ledger_count) b=$(followed_logs); [ -n "$a" ] && [ "$a" = "$b" ]; }
in_log() { grep -q "$2" "$H_TMP/$1.log"; }
n_in_log() { grep -c "$2" "$H_TMP/$1.log"; }
lost_without_commit() { # every "lease lost" of nr-pb came from the check before a commit
  [ "$(n_in_log nr-pb "not committing")" -ge 1 ]
}
pid_of() { local v=LAMDA_PID_${1//-/_}; echo "${!v}"; }
lock_holders() { psql_q "select count(*) from pg_locks where locktype = 'advisory' and granted"; }
lock_holder_pid() { psql_q "select pid from pg_locks where locktype = 'advisory' and granted"; }
now_ms() { date +%s%3N; }

# takeover BACKEND A B : A active, B standing by; SIGKILL A under traffic → B continues.
takeover() {
  local be=$1 a=$2 b=$3
  start_lamda "$a" node-registry
  wait_for "$a lease" 10 in_log "$a" "lease acquired" || { not_ok "$be: first instance takes the lease"; return; }
  start_lamda "$b" node-registry
  check "$be: second instance stands by" wait_for "$b standby" 10 in_log "$b" "standing by"
  nr_traffic "${KEYS[@]}" -- "${ADDRS[@]}" &
  local tp=$!
  track $tp
  local holders_ok=0 i
  for i in $(seq 10); do
    sleep 0.3
    if [ "$be" = postgres ]; then [ "$(lock_holders)" = 1 ] && holders_ok=$((holders_ok + 1)); else holders_ok=$((holders_ok + 1)); fi
  done
  check_eq "$be: while both run, exactly one instance acquired the lease" \
    "$(n_in_log "$a" "lease acquired")/$(n_in_log "$b" "lease acquired")" "1/0"
  [ "$be" = postgres ] && check_eq "$be: one advisory lock holder at every sample" "$holders_ok" 10
  check "$be: the active one is applying under traffic" wait_for "applying" 10 ledger_grows
  local t0; t0=$(now_ms)
  kill -KILL "$(pid_of "$a")"
  if wait_for "$b takes over" 10 in_log "$b" "lease acquired"; then
    ok "$be: the standby took over $(( $(now_ms) - t0 )) ms after the SIGKILL"
  else
    not_ok "$be: the standby takes over"
  fi
  sleep 3 # more events, applied by the new holder only
  kill "$tp" 2>/dev/null
  wait "$tp" 2>/dev/null
  sleep 0.5
  check "$be: ledger count equals chain count after the takeover ($(followed_logs) logs)" wait_for "current" 20 current
  check_eq "$be: no duplicate (tx_hash, log_index)" "$(db_q 'select count(*) from (select distinct tx_hash, log_index from ledger) t')" "$(ledger_count)"
  for i in 0 1 2; do
    local want got
    want=$(nr_call 'successfulJobsCount(address)' "${ADDRS[$i]}" --returns uint256)
    got=$(db_q "select total_jobs_completed from providers where $(addr_hex_sql address) = lower('${ADDRS[$i]#0x}')")
    check_eq "$be: job count of provider $i equals chain ($want)" "$got" "$want"
  done
}

export DATABASE_URL="sqlite:$H_TMP/lease.db"
takeover sqlite nr-sa nr-sb
kill -TERM "$(pid_of nr-sb)"

export DATABASE_URL=$PG_URL
takeover postgres nr-pa nr-pb

# The holder (nr-pb) loses its connection: the server terminates it. A third instance stands
# by; it gets the lock; nr-pb reconnects without the lock and must not keep applying.
start_lamda nr-pc node-registry
check "postgres: third instance stands by" wait_for "pc standby" 10 in_log nr-pc "standing by"
standbys_before=$(n_in_log nr-pb "standing by")
victim=$(lock_holder_pid)
psql_q "select pg_terminate_backend($victim)" >/dev/null
check "postgres: the standby takes the freed lock" wait_for "pc lease" 10 in_log nr-pc "lease acquired"
# No events for 2 s: the old holder's idle work (the offline sweep, once a second) meets the dead
# connection first and the store reconnects quietly; only then do events come.
sleep 2
nr_traffic "${KEYS[@]}" -- "${ADDRS[@]}" &
TP=$!
track $TP
check "postgres: the old holder notices it lost the lease" wait_for "pb lost" 10 in_log nr-pb "lease lost"
kill $TP 2>/dev/null
wait $TP 2>/dev/null
sleep 0.5
check "postgres: it refused to commit without the lease" lost_without_commit
check "postgres: ledger = chain after the connection loss" wait_for "current" 20 current
check_eq "postgres: one advisory lock holder" "$(lock_holders)" 1
check "postgres: the old holder stands by again" test "$(n_in_log nr-pb "standing by")" -gt "$standbys_before"
check_eq "postgres: no duplicate (tx_hash, log_index)" "$(db_q 'select count(*) from (select distinct tx_hash, log_index from ledger) t')" "$(ledger_count)"
finish
