#!/usr/bin/env bash
# Every JobConfirmed on BSC leads to exactly one incrementJobs mined on opBNB: 100 confirmations
# → 100 JobCountIncremented logs, pipelined into far fewer blocks than 100 (opBNB anvil with
# 1 s blocks); then 100 more while the service is SIGKILLed at random moments and restarted →
# still exactly one increment per job. Per-provider on-chain counts equal the confirmed jobs,
# and `lamda reputation audit` finds no drift.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"

start_anvil BSC 97 || { not_ok "anvil BSC starts"; finish; }
start_anvil OPBNB 5611 --block-time 1 || { not_ok "anvil opBNB starts"; finish; }
start_postgres || { not_ok "postgres starts"; finish; }
export ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 REPUTATION_MAX_IN_FLIGHT=32 REPUTATION_TX_TIMEOUT=20s

RENTER=$ANVIL_KEY3
PROVIDERS=($ANVIL_ADDR1 $ANVIL_ADDR4 0x1111111111111111111111111111111111111111 0x2222222222222222222222222222222222222222)
IDS=()
new_id() { echo "0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"; }
# create_jobs N : N jobs for the providers in turn (ids appended to IDS)
create_jobs() {
  local i id
  for i in $(seq "$1"); do
    id=$(new_id)
    IDS+=("$id")
    "$LAMDADEV" send --rpc "$BSC_RPC" --key "$RENTER" --to "$JM" --value 1000 --no-wait \
      'createJob(bytes32,address)' "$id" "${PROVIDERS[$(( ${#IDS[@]} % ${#PROVIDERS[@]} ))]}" >/dev/null || return 1
  done
}
confirm() { "$LAMDADEV" send --rpc "$BSC_RPC" --key "$RENTER" --to "$JM" --no-wait 'confirmResult(bytes32)' "$1" >/dev/null; }
mined_rows() { db_q "select count(*) from reputation_updates where state = 'mined'" 2>/dev/null; }
have_mined() { [ "$(mined_rows)" = "$1" ]; }
increments() { "$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented; }
per_provider_ok() {
  local p onchain db bad=0
  for p in "${PROVIDERS[@]}"; do
    onchain=$(nr_call 'successfulJobsCount(address)' "$p" --returns uint256)
    db=$(db_q "select count(*) from jobs where status in ('confirmed','paid') and $(addr_hex_sql provider) = lower('${p#0x}')")
    [ "$onchain" = "$db" ] || { echo "provider $p: on-chain $onchain, database $db" >&2; bad=1; }
  done
  return $bad
}

start_rep() { start_lamda "rep-$be" reputation-service; local v=LAMDA_PID_rep_$be; pid=${!v}; }
run_suite() { # BACKEND DATABASE_URL
  local id first last blocks chunk k kills rebroadcasts
  be=$1
  export DATABASE_URL=$2
  # fresh contracts per backend, so log counts start at zero
  deploy_contracts || { not_ok "$be: contracts deploy"; return; }
  lamda_env
  IDS=()
  # ---- 100 confirmations, pipelined ------------------------------------------------------------
  t0=$(date +%s.%N)
  create_jobs 100 || not_ok "$be: create 100 jobs"
  for id in "${IDS[@]}"; do confirm "$id" || not_ok "$be: confirm $id"; done
  echo "# $be: 100 jobs created and confirmed in $(echo "$(date +%s.%N) - $t0" | bc) s"
  start_rep
  check "$be: 100 updates mined" wait_for "100 mined" 60 have_mined 100
  check_eq "$be: exactly 100 JobCountIncremented logs" "$(increments)" 100
  first=$(db_q "select min(mined_block) from reputation_updates")
  last=$(db_q "select max(mined_block) from reputation_updates")
  blocks=$((last - first + 1))
  echo "# $be: 100 increments mined in $blocks opBNB block(s) ($first..$last) with 32 in flight"
  check "$be: far fewer blocks than 100 (got $blocks)" [ "$blocks" -le 15 ]
  check "$be: per-provider on-chain counts equal confirmed jobs" per_provider_ok
  check_eq "$be: one distinct nonce per update" "$(db_q 'select count(distinct nonce) from reputation_updates')" 100

  # ---- 100 more, SIGKILL at random moments -----------------------------------------------------
  IDS=()
  create_jobs 100 || not_ok "$be: create 100 more jobs"
  kills=0
  for chunk in $(seq 0 9); do
    for k in $(seq 0 9); do confirm "${IDS[$((chunk * 10 + k))]}" || not_ok "$be: confirm"; done
    sleep "0.$((RANDOM % 9 + 1))"
    if kill -KILL "$pid" 2>/dev/null; then
      kills=$((kills + 1))
      wait "$pid" 2>/dev/null
    else
      wait "$pid" 2>/dev/null
      not_ok "$be: the service was still running when killed" "it had exited with status $?"
    fi
    start_rep
  done
  echo "# $be: service SIGKILLed $kills times"
  rebroadcasts=$(grep -c '[1-9][0-9]* transaction(s) to re-broadcast' "$H_TMP/rep-$be.log")
  echo "# $be: $rebroadcasts restart(s) found signed transactions in flight and re-broadcast them"
  check "$be: some SIGKILLs hit while transactions were in flight" [ "$rebroadcasts" -ge 1 ]
  check "$be: 200 updates mined after $kills SIGKILLs" wait_for "200 mined" 60 have_mined 200
  sleep 2 # anything sent twice would be mined by now
  check_eq "$be: exactly 200 JobCountIncremented logs" "$(increments)" 200
  check "$be: per-provider on-chain counts equal confirmed jobs after SIGKILLs" per_provider_ok
  check_eq "$be: no failed updates" "$(db_q "select count(*) from reputation_updates where state <> 'mined'")" 0
  check_eq "$be: one distinct nonce per update" "$(db_q 'select count(distinct nonce) from reputation_updates')" 200
  "$LAMDA" reputation audit >"$H_TMP/audit-$be.out" 2>&1
  check_eq "$be: reputation audit: no drift (exit 0)" "$?" 0
  grep -q "no drift" "$H_TMP/audit-$be.out" || { cat "$H_TMP/audit-$be.out"; not_ok "$be: audit output says no drift"; }
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null
  check_eq "$be: SIGTERM stops the service cleanly" "$?" 0
}

run_suite sqlite "sqlite:$H_TMP/rep.db"
run_suite postgres "$PG_URL"
finish
