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
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export DATABASE_URL="sqlite:$H_TMP/rep.db"
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

# ---- 100 confirmations, pipelined ------------------------------------------------------------
t0=$(date +%s.%N)
create_jobs 100 || not_ok "create 100 jobs"
for id in "${IDS[@]}"; do confirm "$id" || not_ok "confirm $id"; done
echo "# 100 jobs created and confirmed in $(echo "$(date +%s.%N) - $t0" | bc) s"
start_lamda rep reputation-service
check "100 updates mined" wait_for "100 mined" 60 have_mined 100
check_eq "exactly 100 JobCountIncremented logs" "$(increments)" 100
first=$(db_q "select min(mined_block) from reputation_updates")
last=$(db_q "select max(mined_block) from reputation_updates")
blocks=$((last - first + 1))
echo "# 100 increments mined in $blocks opBNB block(s) ($first..$last) with 32 in flight"
check "far fewer blocks than 100 (got $blocks)" [ "$blocks" -le 15 ]
check "per-provider on-chain counts equal confirmed jobs" per_provider_ok
check_eq "one distinct nonce per update" "$(db_q 'select count(distinct nonce) from reputation_updates')" 100

# ---- 100 more, SIGKILL at random moments -----------------------------------------------------
IDS=()
create_jobs 100 || not_ok "create 100 more jobs"
kills=0
for chunk in $(seq 0 9); do
  for k in $(seq 0 9); do confirm "${IDS[$((chunk * 10 + k))]}" || not_ok "confirm"; done
  sleep "0.$((RANDOM % 9 + 1))"
  kill -KILL "$LAMDA_PID_rep" 2>/dev/null && kills=$((kills + 1))
  wait "$LAMDA_PID_rep" 2>/dev/null
  start_lamda rep reputation-service
done
echo "# service SIGKILLed $kills times"
rebroadcasts=$(grep -c '[1-9][0-9]* transaction(s) to re-broadcast' "$H_TMP/rep.log")
echo "# $rebroadcasts restart(s) found signed transactions in flight and re-broadcast them"
check "some SIGKILLs hit while transactions were in flight" [ "$rebroadcasts" -ge 1 ]
check "200 updates mined after $kills SIGKILLs" wait_for "200 mined" 60 have_mined 200
sleep 2 # anything sent twice would be mined by now
check_eq "exactly 200 JobCountIncremented logs" "$(increments)" 200
check "per-provider on-chain counts equal confirmed jobs after SIGKILLs" per_provider_ok
check_eq "no failed updates" "$(db_q "select count(*) from reputation_updates where state <> 'mined'")" 0
check_eq "one distinct nonce per update" "$(db_q 'select count(distinct nonce) from reputation_updates')" 200
"$LAMDA" reputation audit >"$H_TMP/audit.out" 2>&1
check_eq "reputation audit: no drift (exit 0)" "$?" 0
grep -q "no drift" "$H_TMP/audit.out" || { cat "$H_TMP/audit.out"; not_ok "audit output says no drift"; }
kill -TERM "$LAMDA_PID_rep"
wait "$LAMDA_PID_rep" 2>/dev/null
check_eq "SIGTERM stops the service cleanly" "$?" 0
finish
