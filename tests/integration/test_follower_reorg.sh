#!/usr/bin/env bash
# Reorgs: anvil_reorg replaces recent blocks with DIFFERENT events while node-registry follows
# at confirmation depth 0 → the database matches the new canonical chain (orphaned provider
# gone, an orphaned heartbeat and job count re-derived back to their previous values, the new
# events applied, ledger = canonical logs, cursor hash = chain's). Once while the service runs,
# once while it is down (the walk-back then relies on the persisted block hashes). The same
# chain is followed by two services at once, one on SQLite and one on PostgreSQL.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
# Private copies: another engineer's rebuild must not pull a binary away in the middle of a run.
cp "$LAMDA" "$LAMDADEV" "$ROOT/$BUILD/rpcproxy" "$H_TMP/" && LAMDA=$H_TMP/lamda LAMDADEV=$H_TMP/lamdadev

start_chains_and_postgres

ANVIL_ADDR2=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
SQ="sqlite:$H_TMP/reorg.db"
BACKENDS=("sqlite|$SQ" "postgres|$PG_URL")

# on URL CMD... : run a chain.sh database helper against one backend.
on() { local DATABASE_URL=$1; shift; "$@"; }
prov() { on "$1" db_q "select $3 from providers where $(on "$1" addr_hex_sql address) = lower('${2#0x}')"; }
nprov() { on "$1" db_q "select count(*) from providers"; }
ledger_count() { on "$1" db_q "select count(*) from ledger where chain_id = 5611"; }
last_hb() { # newest heartbeat time of ADDR on the canonical chain
  "$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" | grep "^NodeHeartbeat .*provider=$1" | tail -1 |
    sed 's/.*timestamp=\([0-9]*\).*/\1/'
}
chain_hash() { rpc "$OPBNB_RPC" eth_getBlockByNumber "[\"$(printf '0x%x' "$1")\",false]" | jq -r .result.hash; }
cursor_ok() { # the cursor block's hash equals the chain's and the cursor is at the head
  local url=$1 b h
  b=$(on "$url" db_q "select block_number from cursors where chain_id = 5611")
  h=$(on "$url" db_q "select $(on "$url" addr_hex_sql block_hash) from cursors where chain_id = 5611")
  [ -n "$b" ] && [ "0x$h" = "$(chain_hash "$b")" ] && [ "$b" = "$(($(rpc "$OPBNB_RPC" eth_blockNumber | jq -r .result)))" ]
}
all_match() { # wait condition: every backend equals the chain on ledger count and cursor
  local be want; want=$(followed_logs)
  for be in "${BACKENDS[@]}"; do
    [ "$(ledger_count "${be#*|}")" = "$want" ] && cursor_ok "${be#*|}" || return 1
  done
}
both_eq() { # wait condition: ADDR COLUMN VALUE on every backend
  local be
  for be in "${BACKENDS[@]}"; do [ "$(prov "${be#*|}" "$1" "$2" 2>/dev/null)" = "$3" ] || return 1; done
}
tx() { # tx object for anvil_reorg: FROM SIGNATURE ARGS...
  local from=$1; shift
  printf '{"from":"%s","to":"%s","data":"%s"}' "$from" "$NR" "$("$LAMDADEV" calldata "$@")"
}
start_all() {
  local be
  for be in "${BACKENDS[@]}"; do DATABASE_URL=${be#*|} start_lamda "nr-${be%%|*}" node-registry; done
}
stop_all() { # SIGKILL: the worst case for the persisted state
  kill -KILL "$LAMDA_PID_nr_sqlite" "$LAMDA_PID_nr_postgres" 2>/dev/null
  wait "$LAMDA_PID_nr_sqlite" "$LAMDA_PID_nr_postgres" 2>/dev/null
}

start_all

# Canonical history that stays: provider 1 registers and beats at T1.
nr_send $ANVIL_KEY1 'registerNode(string,uint256)' "RTX 4090" 24576
nr_send $ANVIL_KEY1 'sendHeartbeat()'
T1=$(last_hb $ANVIL_ADDR1)
check "provider 1 applied on both backends" wait_for "T1" 20 both_eq $ANVIL_ADDR1 last_seen "$T1"

# History to be orphaned: provider 4 registers, provider 1 beats at T2 > T1, gets a job.
rpc "$OPBNB_RPC" evm_increaseTime '[100]' >/dev/null
nr_send $ANVIL_KEY4 'registerNode(string,uint256)' "H100" 81920
nr_send $ANVIL_KEY1 'sendHeartbeat()'
nr_send $ANVIL_KEY0 'incrementJobs(address)' "$ANVIL_ADDR1"
T2=$(last_hb $ANVIL_ADDR1)
check "orphan-to-be events applied on both backends" wait_for "T2" 20 both_eq $ANVIL_ADDR1 total_jobs_completed 1
check_eq "T2 > T1" "$([ "$T2" -gt "$T1" ] && echo yes)" yes
for be in "${BACKENDS[@]}"; do
  check_eq "${be%%|*}: provider 1 saw T2 before the reorg" "$(prov "${be#*|}" $ANVIL_ADDR1 last_seen)" "$T2"
  check_eq "${be%%|*}: 2 providers before the reorg" "$(nprov "${be#*|}")" 2
done

# Reorg 1 (service running): the last 3 blocks become provider 2's registration + heartbeat.
R=$(rpc "$OPBNB_RPC" anvil_reorg "[3, [[$(tx $ANVIL_ADDR2 'registerNode(string,uint256)' V100 16384),0],[$(tx $ANVIL_ADDR2 'sendHeartbeat()'),1]]]")
check_eq "anvil_reorg depth 3 accepted" "$(jq -c .result <<<"$R")" null
check_eq "chain after reorg 1: provider 4 not registered" "$("$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" | grep -c "provider=$ANVIL_ADDR4")" 0
T3=$(last_hb $ANVIL_ADDR2)
check "reorg 1: both backends match the chain (ledger = logs, cursor hash = chain)" wait_for "reorg 1" 20 all_match
for be in "${BACKENDS[@]}"; do
  n=${be%%|*} u=${be#*|}
  check_eq "$n: reorg 1: orphaned provider 4 row gone" "$(prov "$u" $ANVIL_ADDR4 count\(\*\))" 0
  check_eq "$n: reorg 1: provider 1 last_seen re-derived to T1" "$(prov "$u" $ANVIL_ADDR1 last_seen)" "$T1"
  check_eq "$n: reorg 1: provider 1 job count re-derived to 0" "$(prov "$u" $ANVIL_ADDR1 total_jobs_completed)" 0
  check_eq "$n: reorg 1: provider 1 specs kept" "$(prov "$u" $ANVIL_ADDR1 gpu_model)" "RTX 4090"
  check_eq "$n: reorg 1: provider 2 registered (new event)" "$(prov "$u" $ANVIL_ADDR2 gpu_model)/$(prov "$u" $ANVIL_ADDR2 vram)" "V100/16384"
  check_eq "$n: reorg 1: provider 2 heartbeat applied" "$(prov "$u" $ANVIL_ADDR2 last_seen)" "$T3"
  check_eq "$n: reorg 1: no duplicate ledger rows" "$(on "$u" db_q 'select count(*) from (select distinct tx_hash, log_index from ledger) t')" "$(ledger_count "$u")"
done
check "reorg 1 logged by both services" bash -c "grep -q 'reorg: rolled back' '$H_TMP/nr-sqlite.log' && grep -q 'reorg: rolled back' '$H_TMP/nr-postgres.log'"

# Reorg 2 (services SIGKILLed first): more events, then the last 2 blocks are replaced while
# nothing runs; on restart the cursor's block is gone and the walk-back uses stored hashes.
rpc "$OPBNB_RPC" evm_increaseTime '[100]' >/dev/null
nr_send $ANVIL_KEY0 'incrementJobs(address)' "$ANVIL_ADDR2"
nr_send $ANVIL_KEY0 'incrementJobs(address)' "$ANVIL_ADDR2"
check "pre-reorg-2 job counts applied" wait_for "jobs 2" 20 both_eq $ANVIL_ADDR2 total_jobs_completed 2
stop_all
R=$(rpc "$OPBNB_RPC" anvil_reorg "[2, [[$(tx $ANVIL_ADDR1 'sendHeartbeat()'),0],[$(tx $ANVIL_ADDR4 'registerNode(string,uint256)' L4 24576),1]]]")
check_eq "anvil_reorg depth 2 accepted" "$(jq -c .result <<<"$R")" null
T4=$(last_hb $ANVIL_ADDR1)
start_all
check "reorg 2 (while down): both backends match the chain" wait_for "reorg 2" 20 all_match
for be in "${BACKENDS[@]}"; do
  n=${be%%|*} u=${be#*|}
  check_eq "$n: reorg 2: provider 2 job count back to 0" "$(prov "$u" $ANVIL_ADDR2 total_jobs_completed)" 0
  check_eq "$n: reorg 2: provider 1 new heartbeat applied" "$(prov "$u" $ANVIL_ADDR1 last_seen)" "$T4"
  check_eq "$n: reorg 2: provider 4 now registered with the new specs" "$(prov "$u" $ANVIL_ADDR4 gpu_model)" "L4"
  check_eq "$n: reorg 2: 3 providers" "$(nprov "$u")" 3
done

# Reorg 3: the chain gets SHORTER (anvil_rollback) under a running service, then grows again.
nr_send $ANVIL_KEY0 'incrementJobs(address)' "$ANVIL_ADDR4"
check "pre-rollback job count applied" wait_for "jobs 4" 20 both_eq $ANVIL_ADDR4 total_jobs_completed 1
rpc "$OPBNB_RPC" anvil_rollback '[1]' >/dev/null
check "rollback: both backends match the shorter chain" wait_for "rollback" 20 all_match
for be in "${BACKENDS[@]}"; do
  check_eq "${be%%|*}: rollback: provider 4 job count back to 0" "$(prov "${be#*|}" $ANVIL_ADDR4 total_jobs_completed)" 0
done
nr_send $ANVIL_KEY4 'sendHeartbeat()'
check "after rollback new blocks are followed" wait_for "after rollback" 20 all_match
check_eq "service processes survived (sqlite)" "$(kill -0 "$LAMDA_PID_nr_sqlite" && echo alive)" alive
check_eq "service processes survived (postgres)" "$(kill -0 "$LAMDA_PID_nr_postgres" && echo alive)" alive
finish
