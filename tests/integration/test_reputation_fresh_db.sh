#!/usr/bin/env bash
# A database younger than the chain's history must not increment twice: the chain records only
# each provider's count, not which jobs were counted. Increments are sent through database A;
# then a reputation service on a fresh database B replays every JobConfirmed and must send
# nothing for those jobs (settled as "already counted on chain"), yet still send for new ones.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_postgres || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0
RENTER=$ANVIL_KEY3
P1=0x1111111111111111111111111111111111111111 P2=0x2222222222222222222222222222222222222222
job() { # job PROVIDER: create and confirm one job
  local id; id=$(new_job_id)
  jm_send "$RENTER" 'createJob(bytes32,address)' "$id" "$1" --value 1000 && jm_send "$RENTER" 'confirmResult(bytes32)' "$id"
}
increments() { "$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented; }
increments_are() { [ "$(increments)" = "$1" ]; }
covered() { db_q "select count(*) from reputation_updates where state = 'mined' and tx_hash is null and last_error like 'already counted on chain%'" 2>/dev/null; }
covered_is() { [ "$(covered)" = "$1" ]; }
onchain() { nr_call 'successfulJobsCount(address)' "$1" --returns uint256; }

# Database A: 3 jobs for P1, 2 for P2 → 5 increments.
export DATABASE_URL="sqlite:$H_TMP/a.db"
start_lamda repa reputation-service
for i in 1 2 3; do job $P1; done
for i in 1 2; do job $P2; done
check "database A: 5 increments mined" wait_for "5 increments" 30 increments_are 5
kill -TERM "$LAMDA_PID_repa"; wait "$LAMDA_PID_repa" 2>/dev/null

for be in sqlite postgres; do
  if [ $be = sqlite ]; then export DATABASE_URL="sqlite:$H_TMP/b.db"; else export DATABASE_URL=$PG_URL; fi
  before=$(increments)
  start_lamda repb reputation-service
  # Every confirmation so far was counted on chain through an earlier database.
  check "$be fresh database: all $before replayed confirmations settled as counted, none sent" \
    wait_for "settled" 30 covered_is "$before"
  sleep 3
  check_eq "$be fresh database: no increment sent twice" "$(increments)" "$before"
  job $P1
  check "$be: a new confirmation is still sent" wait_for "one more" 30 increments_are $((before + 1))
  kill -TERM "$LAMDA_PID_repb"; wait "$LAMDA_PID_repb" 2>/dev/null
done
check_eq "P1's on-chain count equals its confirmed jobs" "$(onchain $P1)" "5"
check_eq "P2's on-chain count equals its confirmed jobs" "$(onchain $P2)" "2"
finish
