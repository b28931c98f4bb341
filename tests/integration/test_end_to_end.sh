#!/usr/bin/env bash
# Issue 9's acceptance: the whole flow of scripts/demo.sh, asserted step by step, twice —
# (a) `lamda all` on SQLite, (b) the four services as separate processes on PostgreSQL — on
# this harness's own anvil, nats-server and PostgreSQL; then `make run` itself (scripts/run.sh
# on free ports): it serves the API, and SIGINT leaves none of the processes it started.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
NATSPROBE=$ROOT/$BUILD/natsprobe
DEMO_STEPS=14

start_anvil BSC 97 || { not_ok "anvil BSC starts"; finish; }
start_anvil OPBNB 5611 || { not_ok "anvil opBNB starts"; finish; }
start_nats_auth "$ANVIL_ADDR1" || { not_ok "nats-server (with the accounts of make run) starts"; finish; }
start_postgres || { not_ok "postgres starts"; finish; }

# A free port below the kernel's ephemeral range (32768+), so that an outgoing connection of one
# of our own services cannot be holding it when the API binds it.
listen_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

stream_msgs() { "$NATSPROBE" js-count "${NATS_STREAM:-LAMDA_DISPATCH}" 2>/dev/null | sed -n 's/^msgs //p'; }

# run_flow NAME DATABASE_URL SERVICE... : fresh contracts, the services, the demo, assertions.
run_flow() {
  local be=$1 svc pid
  export DATABASE_URL=$2
  shift 2
  deploy_contracts || { not_ok "$be: contracts deploy"; return; }
  lamda_env
  export NATS_URL ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 API_PORT
  API_PORT=$(listen_port)
  local pids=()
  for svc in "$@"; do
    start_lamda "$be-$svc" "$svc"
    local v=LAMDA_PID_${be//-/_}_${svc//-/_}
    pids+=("${!v}")
  done
  if ! wait_for "api health" 30 curl -fs -m 2 -o /dev/null "http://127.0.0.1:$API_PORT/health"; then
    not_ok "$be: the API answers /health"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    return
  fi
  ok "$be: the API answers /health"
  local msgs_before; msgs_before=$(stream_msgs)

  # The demo, pointed at this harness by environment; its repo files must not be read.
  RUN_DIR=/nonexistent DEVNET_DIR=/nonexistent API_URL=http://127.0.0.1:$API_PORT \
    DEMO_PROVIDER_KEY=$ANVIL_KEY1 DEMO_RENTER_KEY=$ANVIL_KEY3 DEMO_TIMEOUT=20 \
    "$ROOT/scripts/demo.sh" >"$H_TMP/demo-$be.out" 2>&1
  local rc=$? line n=0
  while IFS= read -r line; do
    if [[ "$line" =~ ^step\ [0-9]+\ ok\ (-?[0-9]+)\ ms:\ (.*)$ ]]; then
      ok "$be: ${BASH_REMATCH[2]} [${BASH_REMATCH[1]} ms]"
      n=$((n + 1))
    elif [[ "$line" =~ ^step\ [0-9]+\ FAILED:\ (.*)$ ]]; then
      not_ok "$be: ${BASH_REMATCH[1]}"
    fi
  done <"$H_TMP/demo-$be.out"
  check_eq "$be: the demo ran all $DEMO_STEPS steps and succeeded" "$n/$rc" "$DEMO_STEPS/0"
  [ $rc = 0 ] || sed 's/^/    demo| /' "$H_TMP/demo-$be.out" | tail -25 >&2

  local job; job=$(sed -n 's/^demo: provider .* job \(0x[0-9a-f]*\)$/\1/p' "$H_TMP/demo-$be.out")
  # Exactly once, checked after the flow settled: one stored dispatch message, one increment.
  sleep 1
  check_eq "$be: one dispatch message stored for the job" "$(( $(stream_msgs) - ${msgs_before:-0} ))" 1
  check_eq "$be: one JobCountIncremented on opBNB" \
    "$("$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented)" 1
  check_eq "$be: the database has the job confirmed" \
    "$(db_q "select status from jobs where $(addr_hex_sql job_id) = '${job#0x}'" 2>/dev/null)" confirmed

  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  local clean=0
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || clean=1; done
  check_eq "$be: every service stops cleanly on SIGTERM" "$clean" 0
}

run_flow sqlite-all "sqlite:$H_TMP/e2e.db" all
run_flow postgres-separate "$PG_URL" api-gateway node-registry job-dispatcher reputation-service

# ---- make run: start, serve, Ctrl-C, nothing left ------------------------------------------------
RT=$H_TMP/makerun
mkdir -p "$RT"
(
  unset DATABASE_URL BSC_RPC_URL OPBNB_RPC_URL JOB_MANAGER_CONTRACT_ADDRESS NODE_REPUTATION_CONTRACT_ADDRESS \
    JOB_MANAGER_START_BLOCK NODE_REPUTATION_START_BLOCK ADMIN_WALLET_PRIVATE_KEY
  export RUN_DIR=$RT/run DEVNET_DIR=$RT/devnet LAMDA_DOTENV=/nonexistent \
    DEVNET_BSC_PORT=$(listen_port) DEVNET_OPBNB_PORT=$(listen_port) NATS_URL=nats://127.0.0.1:$(listen_port) \
    API_PORT=$(listen_port)
  echo "$API_PORT" >"$RT/api_port"
  exec "$ROOT/scripts/run.sh"
) >"$RT/out.log" 2>&1 &
RUN_PID=$!
track $RUN_PID
for _ in $(seq 50); do [ -s "$RT/api_port" ] && break; sleep 0.1; done
RUN_API=http://127.0.0.1:$(cat "$RT/api_port")
check "make run: the API answers /health" wait_for "run.sh api" 60 curl -fs -m 2 -o /dev/null "$RUN_API/health"
check "make run: prints the API URL" wait_for "banner" 10 grep -q "API        $RUN_API" "$RT/out.log"
check "make run: writes run.env for the demo" wait_for "run.env" 10 grep -q "^API_URL=$RUN_API$" "$RT/run/run.env"
RUN_PIDS=$(awk '{print $2}' "$RT/run/pids" 2>/dev/null | tr '\n' ' ')
check_eq "make run: records devnet chains, nats-server and lamda" \
  "$(awk '{print $1}' "$RT/run/pids" 2>/dev/null | tr '\n' ' ')" "devnet-bsc devnet-opbnb nats-server lamda "
kill -INT $RUN_PID
wait $RUN_PID
check_eq "make run: SIGINT ends it with status 130" "$?" 130
left=""
for p in $RUN_PIDS; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
check_eq "make run: no recorded process is left after SIGINT" "$left" ""
check_eq "make run: no process refers to its run or devnet directory" "$(pgrep -f "$RT/" | tr '\n' ' ')" ""
check "make run: its API port is closed" bash -c "! curl -s -m 1 -o /dev/null $RUN_API/health"
finish
