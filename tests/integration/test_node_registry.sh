#!/usr/bin/env bash
# The node registry follows NodeReputation into the provider table: registrations, heartbeats
# and job counts are applied once each, across SIGKILLs, downtime and on both backends.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"

start_chains_and_postgres

KEYS=($ANVIL_KEY1 $ANVIL_KEY3 $ANVIL_KEY4)
ledger_count() { db_q "select count(*) from ledger where chain_id = 5611"; }
three_online() { [ "$(db_q 'select count(*) from providers where is_registered = 1 and is_online = 1' 2>/dev/null)" = 3 ]; }
ledger_matches() { [ "$(ledger_count)" = "$(followed_logs)" ]; }

run_suite() { # backend-name database-url
  local be=$1
  export DATABASE_URL=$2
  # Events emitted before the service ever started are applied after it starts.
  if [ "$be" = sqlite ]; then
    nr_send "${KEYS[0]}" 'registerNode(string,uint256)' "RTX 4090" 24576
    nr_send "${KEYS[1]}" 'registerNode(string,uint256)' "A100" 81920
    nr_send "${KEYS[2]}" 'registerNode(string,uint256)' "H100" 81920
    for k in "${KEYS[@]}"; do nr_send "$k" 'sendHeartbeat()'; done
  fi
  start_lamda nr-$be node-registry
  check "$be: backlog applied after start" wait_for "3 providers" 20 three_online
  check_eq "$be: gpu models" "$(db_q 'select gpu_model from providers order by gpu_model' | tr '\n' ',')" "A100,H100,RTX 4090,"
  check_eq "$be: vram of the A100" "$(db_q "select vram from providers where $(addr_hex_sql address) = lower('${ANVIL_ADDR3#0x}')")" "81920"

  # SIGKILL and restart while events keep coming; every event applied exactly once.
  local i
  for i in $(seq 1 12); do
    nr_send "${KEYS[$((i % 3))]}" 'sendHeartbeat()'
    nr_send $ANVIL_KEY0 'incrementJobs(address)' "$ANVIL_ADDR1"
    if [ $((i % 4)) = 0 ]; then
      local pidvar=LAMDA_PID_nr_$be
      kill -KILL "${!pidvar}"
      sleep 0.2
      start_lamda nr-$be node-registry
    fi
  done
  check "$be: ledger count equals on-chain log count after SIGKILLs" wait_for "ledger" 20 ledger_matches
  local onchain
  onchain=$(nr_call 'successfulJobsCount(address)' "$ANVIL_ADDR1" --returns uint256)
  check_eq "$be: job count of provider 1 equals chain" \
    "$(db_q "select total_jobs_completed from providers where $(addr_hex_sql address) = lower('${ANVIL_ADDR1#0x}')")" "$onchain"
  check_eq "$be: reputation score = job count" \
    "$(db_q "select reputation_score from providers where $(addr_hex_sql address) = lower('${ANVIL_ADDR1#0x}')")" "$onchain"
  check_eq "$be: no duplicate ledger rows" "$(db_q 'select count(*) from (select distinct tx_hash, log_index from ledger) t')" "$(ledger_count)"
  local pidvar=LAMDA_PID_nr_$be
  kill -TERM "${!pidvar}"
  wait "${!pidvar}" 2>/dev/null
  check_eq "$be: SIGTERM stops the service cleanly" "$?" "0"
}

run_suite sqlite "sqlite:$H_TMP/nr.db"
run_suite postgres "$PG_URL"
finish
