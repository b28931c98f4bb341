#!/usr/bin/env bash
# The reputation service's safety rails: a wallet that does not own NodeReputation is refused at
# start-up with a clear message (and the key is in no output); with automine off, a transaction
# priced under the base fee is replaced (same nonce, bumped fees) and mined; a transaction the
# node dropped is re-broadcast from its stored bytes; an increment that reverts is recorded as
# failed with its reason while the rest keep flowing, and `reputation audit --fix` re-queues it.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"

start_anvil BSC 97 || { not_ok "anvil BSC starts"; finish; }
start_anvil OPBNB 5611 || { not_ok "anvil opBNB starts"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export DATABASE_URL="sqlite:$H_TMP/rep.db"
RENTER=$ANVIL_KEY3
PROV=0x3333333333333333333333333333333333333333
new_id() { echo "0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"; }
job() { # create and confirm one job for $PROV; prints its id
  local id; id=$(new_id)
  jm_send "$RENTER" 'createJob(bytes32,address)' "$id" "$PROV" --value 1000 && jm_send "$RENTER" 'confirmResult(bytes32)' "$id" && echo "$id"
}
hexcol() { addr_hex_sql "$1"; }
row() { db_q "select $2 from reputation_updates where $(hexcol job_id) = lower('${1#0x}')" 2>/dev/null; }
state_is() { [ "$(row "$1" state)" = "$2" ]; }
count_state() { db_q "select count(*) from reputation_updates where state = '$1'" 2>/dev/null; }
have_state() { [ "$(count_state "$1")" = "$2" ]; }
increments() { "$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented; }
stop_rep() { kill -TERM "$LAMDA_PID_rep" 2>/dev/null; wait "$LAMDA_PID_rep" 2>/dev/null; }

# ---- a wallet that is not the owner ---------------------------------------------------------
BADKEY=$ANVIL_KEY4
ADMIN_WALLET_PRIVATE_KEY=$BADKEY timeout 20 "$LAMDA" reputation-service >"$H_TMP/notowner.log" 2>&1
rc=$?
check "non-owner wallet: start-up refused (exit $rc)" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
check "the message says the wallet is not the owner" grep -q "is not the owner of NodeReputation" "$H_TMP/notowner.log"
check "the message names the admin address, the owner and the contract" \
  grep -qi "${ANVIL_ADDR4}.*${NR}.*${ANVIL_ADDR0}" "$H_TMP/notowner.log"
check "the key appears in no output (with 0x)" bash -c "! grep -qi -- '$BADKEY' '$H_TMP/notowner.log'"
check "the key appears in no output (without 0x)" bash -c "! grep -qi -- '${BADKEY#0x}' '$H_TMP/notowner.log'"

export ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0

# ---- automine off: an underpriced transaction is replaced and mined --------------------------
rpc "$OPBNB_RPC" evm_setAutomine '[false]' >/dev/null
REPUTATION_TX_TIMEOUT=2s start_lamda rep reputation-service
J1=$(job) || not_ok "job 1"
check "job 1: signed" wait_for "signed" 20 state_is "$J1" signed
H1=$(row "$J1" "$(hexcol tx_hash)")
# Every block from now on has a base fee of 100 gwei, far above the 2*base+tip the transaction
# was signed with, so only a replacement with higher fees can be mined.
mine_high() { rpc "$OPBNB_RPC" anvil_setNextBlockBaseFeePerGas '["0x174876e800"]' >/dev/null; rpc "$OPBNB_RPC" evm_mine >/dev/null; }
for _ in $(seq 40); do
  mine_high
  state_is "$J1" mined && break
  sleep 0.5
done
check "job 1: mined after replacement" state_is "$J1" mined
H2=$(row "$J1" "$(hexcol tx_hash)")
check "job 1: the mined transaction is a replacement (new hash)" [ -n "$H2" ] && [ "$H1" != "$H2" ]
check "job 1: attempts >= 2" [ "$(row "$J1" attempts)" -ge 2 ]
check "job 1: same nonce after replacement" [ "$(row "$J1" nonce)" = 1 ]
check "replacement logged with bumped fees" grep -q "replaced (attempt 2)" "$H_TMP/rep.log"
check_eq "exactly one increment so far" "$(increments)" 1
stop_rep

# ---- automine off: a transaction the node dropped is re-broadcast from its stored bytes -------
REPUTATION_TX_TIMEOUT=60s start_lamda rep reputation-service
J2=$(job) || not_ok "job 2"
check "job 2: signed" wait_for "signed" 20 state_is "$J2" signed
H1=$(row "$J2" "$(hexcol tx_hash)")
rpc "$OPBNB_RPC" anvil_dropAllTransactions >/dev/null
rpc "$OPBNB_RPC" evm_mine >/dev/null
check "job 2: not mined while dropped" state_is "$J2" signed
sleep 2 # the manager re-broadcasts unmined transactions every 1.5 s
rpc "$OPBNB_RPC" evm_mine >/dev/null
check "job 2: mined after re-broadcast" wait_for "mined" 10 state_is "$J2" mined
check_eq "job 2: the stored transaction itself was mined (same hash)" "$(row "$J2" "$(hexcol tx_hash)")" "$H1"
check_eq "job 2: signed once" "$(row "$J2" attempts)" 1
rpc "$OPBNB_RPC" evm_setAutomine '[true]' >/dev/null
check_eq "exactly two increments so far" "$(increments)" 2

# ---- an increment that reverts is recorded as failed; the rest keep flowing -------------------
# The admin gives ownership away while the service runs (no transaction in flight).
nr_send "$ANVIL_KEY0" 'transferOwnership(address)' "$ANVIL_ADDR1" || not_ok "transfer ownership away"
F=()
for _ in 1 2 3; do F+=("$(job)"); done
check "3 updates failed while not owner" wait_for "3 failed" 20 have_state failed 3
reason=$(row "${F[0]}" last_error)
echo "# recorded reason: $reason"
check "the failure carries the decoded revert reason" grep -q "OwnableUnauthorizedAccount(${ANVIL_ADDR0})" <<<"$reason"
check_eq "failed before sending: no nonce consumed" "$(row "${F[0]}" "coalesce(nonce, -1)")" "-1"
nr_send "$ANVIL_KEY1" 'transferOwnership(address)' "$ANVIL_ADDR0" || not_ok "transfer ownership back"
G=()
for _ in 1 2 3; do G+=("$(job)"); done
check "the next 3 updates are mined" wait_for "5 mined" 20 have_state mined 5
check_eq "failed updates are not retried blindly" "$(count_state failed)" 3
check_eq "five increments on chain" "$(increments)" 5
"$LAMDA" reputation audit >"$H_TMP/audit1.out" 2>&1
check_eq "audit reports drift (exit 1)" "$?" 1
check "audit shows +3 for the provider" grep -qi "${PROV}.* +3" "$H_TMP/audit1.out"
"$LAMDA" reputation audit --fix >"$H_TMP/audit2.out" 2>&1
check "audit --fix re-queues the 3 failed updates" grep -q "3 failed update(s) re-queued" "$H_TMP/audit2.out"
check "the re-queued updates are mined" wait_for "8 mined" 20 have_state mined 8
"$LAMDA" reputation audit >"$H_TMP/audit3.out" 2>&1
check_eq "audit after the fix: no drift (exit 0)" "$?" 0
check_eq "eight increments on chain, one per confirmed job" "$(increments)" 8
stop_rep
check "no admin key in any log" bash -c "! grep -rqi -- '${ANVIL_KEY0#0x}' '$H_TMP'/*.log '$H_TMP'/*.out"
finish
