#!/usr/bin/env bash
# chaos.sh — `make chaos`: docs/design.md §3 under faults. The whole system (api-gateway,
# node-registry, job-dispatcher and reputation-service as four processes on PostgreSQL,
# nats-server, two anvil chains) runs a generated workload of CHAOS_JOBS jobs through the full
# lifecycle — providers register and heartbeat, the renter posts a signed spec and creates the
# job, simulated agents (agentsim) report processing and completed, the renter confirms, the
# provider claims — while a driver, for at least CHAOS_SECONDS, restarts agents (offline for
# a few seconds each time), SIGKILLs random services at
# random times and restarts them, restarts nats-server and PostgreSQL, and reorganises either
# chain 1–2 blocks deep (shallower than the confirmation depth 3; the replacement blocks hold
# plain transfers). The workload reads the chain only at depth 2 (final under such reorgs)
# and re-sends what a reorg dropped; the contracts refuse anything twice.
#
# At the end, once everything settled:
#   - every job on chain was dispatched exactly once: JetStream holds one message per job
#     (a durable consumer reads each Msg-Id once), and the agents — SIGKILLed and restarted
#     with 1–6 s offline by the driver — received each job once across their instances, or
#     it expired with a reason; no delivery is left unacknowledged (0 stranded, 0 duplicates);
#   - every confirmation was counted exactly once: JobCountIncremented logs = JobConfirmed logs,
#     on-chain successfulJobsCount per provider = confirmed jobs, `lamda reputation audit` clean;
#   - the chain-derived tables equal a `lamda rebuild` of a fresh database (scripts/dbcompare.sh).
# Each fault type is printed with the number of times it was injected.
#
#   CHAOS_JOBS (default 100)  CHAOS_SECONDS (default 300)  CHAOS_SEED (default: random)
#   CHAOS_EXTRAS=1            afterwards also scripts/load.sh: wrk -c1000 on the API during a
#                             backfill (the default under `make chaos`; test_chaos_short.sh sets 0).
#                             The valgrind leak check is a test of its own (test_valgrind_leaks.sh).
# Output: TAP-style "ok - …"/"not ok - …" lines and "# …" notes; exit 1 when a check failed.
source "$(dirname "$0")/../tests/lib/harness.sh"
source "$(dirname "$0")/../tests/lib/chain.sh"
JOBS=${CHAOS_JOBS:-100}
SECS=${CHAOS_SECONDS:-300}
SEED=${CHAOS_SEED:-$RANDOM}
EXTRAS=${CHAOS_EXTRAS:-1}
RANDOM=$SEED
echo "# chaos: $JOBS jobs, faults for at least ${SECS}s, seed $SEED"
# Private copies: another engineer's rebuild must not pull a binary away mid-run.
for b in lamda lamdadev agentsim natsprobe; do cp "$ROOT/$BUILD/$b" "$H_TMP/" || { not_ok "copy $b"; finish; }; done
LAMDA=$H_TMP/lamda LAMDADEV=$H_TMP/lamdadev AGENTSIM=$H_TMP/agentsim NATSPROBE=$H_TMP/natsprobe
SERVICES=(api-gateway node-registry job-dispatcher reputation-service)
F=$H_TMP/faults
mkdir -p "$F" "$H_TMP/pids"

# Everything started here, also from the driver's subshell, is in $H_TMP/pids; stop it all
# before the harness stops the parts.
chaos_cleanup() {
  local p
  for p in "$H_TMP"/pids/*; do [ -f "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null; done
  sleep 0.5
  for p in "$H_TMP"/pids/*; do [ -f "$p" ] && kill -KILL "$(cat "$p")" 2>/dev/null; done
  harness_cleanup
}
trap chaos_cleanup EXIT

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats && start_postgres || { not_ok "parts start"; finish; }
echo "$NATS_PID" >"$H_TMP/pids/nats"
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export DATABASE_URL=$PG_URL NATS_URL BSC_CONFIRMATIONS=3 OPBNB_CONFIRMATIONS=3 POLL_INTERVAL=100ms
export ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 REPUTATION_RECEIPT_DEPTH=3 REPUTATION_TX_TIMEOUT=10s
# A job an agent's libnats had buffered when the agent was SIGKILLed was never reported: it
# goes to the agent's next instance after JOB_ACK_WAIT (shortened here so the run settles).
export JOB_ACK_WAIT=15s
export API_PORT
API_PORT=$(free_port)
API_URL=http://127.0.0.1:$API_PORT

# psql that waits out a PostgreSQL restart instead of failing the check.
dbq() { local i out; for i in $(seq 100); do out=$(db_q "$1" 2>/dev/null) && { echo "$out"; return 0; }; sleep 0.2; done; return 1; }

start_service() { # NAME
  "$LAMDA" "$1" >>"$H_TMP/$1.log" 2>&1 &
  echo $! >"$H_TMP/pids/$1"
  disown $! # no "Killed" notice from the shell: the SIGKILLs are the point
}
for s in "${SERVICES[@]}"; do start_service "$s"; done
wait_for "api health" 30 curl -fs -m 2 -o /dev/null "$API_URL/health" || { not_ok "the API answers"; finish; }

# ---- providers, agents and witnesses ----------------------------------------------------------
PKEYS=($ANVIL_KEY1 $ANVIL_KEY4 0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba)
PADDRS=($ANVIL_ADDR1 $ANVIL_ADDR4 0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc)
RENTER=$ANVIL_KEY3
FILLER=0xa0Ee7A142d267C1f36714E4a8F75612F20a79720 # anvil account 9: the reorgs' transfers
start_agent() { # INDEX [agentsim options]: one more instance, its output in its own file
  local i=$1; shift
  local n=$(ls "$H_TMP"/agent-$i.*.out 2>/dev/null | wc -l)
  "$AGENTSIM" --address "${PADDRS[$i]}" --count 100000 --timeout 100000 --work-ms 50 "$@" \
    >"$H_TMP/agent-$i.$n.out" 2>"$H_TMP/agent-$i.$n.err" &
  echo $! >"$H_TMP/pids/agent-$i"
  disown $!
}
for i in "${!PKEYS[@]}"; do
  nr_send "${PKEYS[$i]}" 'registerNode(string,uint256)' "RTX 4090 #$i" $((24576 + i)) || not_ok "register provider $i"
  start_agent "$i"
done
# No core witness on jobs.dispatch.>: since deliveries are acknowledged (issue #16), a
# subscriber there would answer for every provider's subject and hide an absent agent. The
# agents' own receipts ("recv" lines, across restarts) are the witness instead.
for i in "${!PKEYS[@]}"; do wait_for "agent $i" 10 grep -q '^ready' "$H_TMP/agent-$i.0.out" || not_ok "agent $i ready"; done

# Blocks keep coming (automine alone would leave the last transactions unconfirmed).
( while [ ! -f "$H_TMP/stop-ticker" ]; do rpc "$BSC_RPC" evm_mine >/dev/null; rpc "$OPBNB_RPC" evm_mine >/dev/null; sleep 0.5; done ) &
echo $! >"$H_TMP/pids/ticker"
# Heartbeats from every provider, as agents send them.
( while [ ! -f "$H_TMP/stop-heartbeats" ]; do
    for k in "${PKEYS[@]}"; do "$LAMDADEV" send --rpc "$OPBNB_RPC" --key "$k" --to "$NR" --no-wait 'sendHeartbeat()' >/dev/null 2>&1; done
    sleep 3
  done ) &
echo $! >"$H_TMP/pids/heartbeats"

# ---- the fault driver ---------------------------------------------------------------------------
fault() { echo "$(date +%s.%N) $*" >>"$F/$1"; }
reorg() { # RPC LABEL: replace the newest 1–2 blocks with blocks holding plain transfers
  local depth=$((1 + RANDOM % 2)) txs="" k
  for k in $(seq 0 $((depth - 1))); do
    txs="$txs${txs:+,}[{\"from\":\"$FILLER\",\"to\":\"$ANVIL_ADDR0\",\"value\":\"0x$((RANDOM + 1))\"},$k]"
  done
  # How many transactions the replaced blocks held: anvil_reorg drops them for good, so each
  # one must come back by itself (the workload re-sends, txmgr re-broadcasts).
  local head dropped=0 b
  head=$(( $(rpc "$1" eth_blockNumber | jq -r .result) ))
  for b in $(seq $((head - depth + 1)) "$head"); do
    dropped=$((dropped + $(rpc "$1" eth_getBlockTransactionCountByNumber "[\"$(printf '0x%x' "$b")\"]" | jq -r .result)))
  done
  local r; r=$(rpc "$1" anvil_reorg "[$depth,[$txs]]")
  if [ "$(jq -c .result <<<"$r")" = null ]; then
    fault "reorg-$2" "depth $depth"
    for b in $(seq "$dropped"); do fault "reorg-$2-dropped-tx"; done
  else
    echo "# reorg $2 refused: $r" >&2
  fi
}
driver() {
  local t0; t0=$(date +%s)
  while [ ! -f "$H_TMP/stop-faults" ]; do
    sleep "$((RANDOM % 3)).$((RANDOM % 10))"
    [ -f "$H_TMP/stop-faults" ] && break
    local r=$((RANDOM % 100)) s pid
    if [ $r -lt 12 ]; then
      # An agent restarts: SIGKILL it (it may hold a job it has not reported yet), and the new
      # instance stays unsubscribed 1–6 s while jobs keep coming for it.
      local a=$((RANDOM % ${#PADDRS[@]}))
      kill -KILL "$(cat "$H_TMP/pids/agent-$a")" 2>/dev/null; fault agent-restart
      start_agent "$a" --offline-for $((1 + RANDOM % 6))
    elif [ $r -lt 40 ]; then
      s=${SERVICES[$((RANDOM % ${#SERVICES[@]}))]}
      pid=$(cat "$H_TMP/pids/$s")
      if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"; fault "sigkill-$s"
      else
        fault "exited-by-itself-$s" # must stay zero: a service never dies on its own
      fi
      sleep "0.$((RANDOM % 10))"
      start_service "$s"
    elif [ $r -lt 55 ]; then
      kill -TERM "$(cat "$H_TMP/pids/nats")"; while kill -0 "$(cat "$H_TMP/pids/nats")" 2>/dev/null; do sleep 0.1; done
      fault nats-restart
      sleep "$((1 + RANDOM % 3))"
      nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$H_TMP/nats" >>"$H_TMP/nats.log" 2>&1 &
      echo $! >"$H_TMP/pids/nats"
      disown $!
      wait_port "$NATS_PORT"
    elif [ $r -lt 70 ]; then
      stop_postgres; fault postgres-restart
      sleep "$((1 + RANDOM % 3))"
      restart_postgres || echo "# postgres restart failed" >&2
    elif [ $r -lt 85 ]; then
      reorg "$BSC_RPC" bsc
    else
      reorg "$OPBNB_RPC" opbnb
    fi
  done
}
driver &
DRIVER=$!
T_START=$(date +%s)

# ---- the workload ---------------------------------------------------------------------------------
# Job status on chain at depth 2 (0 none, 1 created, 2 confirmed, 3 paid): final under the
# driver's reorgs, which replace at most the 2 newest blocks.
JOBS_CALL=$("$LAMDADEV" calldata 'jobs(bytes32)' 0x0000000000000000000000000000000000000000000000000000000000000000)
final_status() {
  local head r data
  head=$(( $(rpc "$BSC_RPC" eth_blockNumber | jq -r .result) )) || return 1
  data="${JOBS_CALL:0:10}${1#0x}"
  r=$(rpc "$BSC_RPC" eth_call "[{\"to\":\"$JM\",\"data\":\"$data\"},\"$(printf '0x%x' $((head - 2)))\"]" | jq -r .result)
  [ ${#r} -ge $((2 + 64 * 5)) ] || return 1
  echo $((16#${r:$((2 + 64 * 4 + 48)):16}))
}
declare -A LAST_SENT
# ensure WANT SENDER IDS...: until every job's final status is ≥ WANT, (re-)send its step;
# a step is re-sent only after 4 s without effect (8+ ticker blocks: long final by then).
ensure() {
  local want=$1 sender=$2; shift 2
  local id st pending deadline=$(( $(date +%s) + 300 ))
  while :; do
    pending=0
    for id in "$@"; do
      st=$(final_status "$id") || { pending=1; continue; }
      [ "$st" -ge "$want" ] && continue
      pending=1
      local now; now=$(date +%s)
      [ $(( now - ${LAST_SENT[$id.$want]:-0} )) -ge 4 ] || continue
      [ -n "${LAST_SENT[$id.$want]:-}" ] && fault "workload-resend-after-reorg"
      LAST_SENT[$id.$want]=$now
      $sender "$id" >/dev/null 2>&1
    done
    [ $pending = 0 ] && return 0
    [ "$(date +%s)" -lt $deadline ] || return 1
    sleep 0.5
  done
}
declare -A PROV_OF
send_create() { "$LAMDADEV" send --rpc "$BSC_RPC" --key "$RENTER" --to "$JM" --no-wait --value 1000000 'createJob(bytes32,address)' "$1" "${PADDRS[${PROV_OF[$1]}]}"; }
send_confirm() { "$LAMDADEV" send --rpc "$BSC_RPC" --key "$RENTER" --to "$JM" --no-wait 'confirmResult(bytes32)' "$1"; }
send_claim() { "$LAMDADEV" send --rpc "$BSC_RPC" --key "${PKEYS[${PROV_OF[$1]}]}" --to "$JM" --no-wait 'claimReward(bytes32)' "$1"; }
post_spec_retry() { # ID: the API may be killed or its database down: retry until accepted
  local code i
  for i in $(seq 100); do
    code=$(post_spec "$RENTER" "$1" docker.io/library/python:3.12-slim QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG 2>/dev/null)
    [[ "$code" == 2?? ]] && return 0
    echo "$code" >>"$H_TMP/spec-retries"
    sleep 0.3
  done
  return 1
}
completed_in_db() { # IDS...: number of them the agents reported completed (or later)
  local ids="" id
  for id in "$@"; do ids="$ids${ids:+,}'${id#0x}'"; done
  db_q "select count(*) from jobs where $(addr_hex_sql job_id) in ($ids) and status in ('completed','confirmed','paid')" 2>/dev/null
}

WAVE=5
waves=$(( (JOBS + WAVE - 1) / WAVE ))
pace=$(( SECS / (waves > 0 ? waves : 1) ))
ALL=()
agent_done=0
workload_ok=1
for w in $(seq 0 $((waves - 1))); do
  t_wave=$(date +%s)
  ids=()
  for k in $(seq 0 $((WAVE - 1))); do
    [ $((w * WAVE + k)) -lt "$JOBS" ] || break
    id=$(new_job_id | tr 'A-F' 'a-f')
    ids+=("$id"); ALL+=("$id")
    PROV_OF[$id]=$(( (w * WAVE + k) % ${#PKEYS[@]} ))
    post_spec_retry "$id" || { workload_ok=0; echo "# spec for $id never accepted" >&2; }
  done
  ensure 1 send_create "${ids[@]}" || workload_ok=0
  # The agents run the jobs: wait (bounded) for their reports before confirming.
  for _ in $(seq 150); do [ "$(completed_in_db "${ids[@]}")" = "${#ids[@]}" ] && break; sleep 0.2; done
  n=$(completed_in_db "${ids[@]}"); agent_done=$((agent_done + ${n:-0}))
  ensure 2 send_confirm "${ids[@]}" || workload_ok=0
  ensure 3 send_claim "${ids[@]}" || workload_ok=0
  rest=$(( pace - ($(date +%s) - t_wave) ))
  [ $rest -gt 0 ] && sleep $rest
done
check_eq "workload: every job reached paid on chain (final depth)" "$workload_ok" 1
echo "# workload: ${#ALL[@]} jobs in $(( $(date +%s) - T_START ))s; $agent_done reported completed by an agent before the renter confirmed"
while [ $(( $(date +%s) - T_START )) -lt "$SECS" ]; do sleep 1; done
touch "$H_TMP/stop-faults"
wait $DRIVER
touch "$H_TMP/stop-heartbeats"
wait "$(cat "$H_TMP/pids/heartbeats")" 2>/dev/null

# ---- settle ------------------------------------------------------------------------------------------
for s in "${SERVICES[@]}"; do
  kill -0 "$(cat "$H_TMP/pids/$s")" 2>/dev/null || { fault "exited-by-itself-$s"; start_service "$s"; }
done
kill -0 "$(cat "$H_TMP/pids/nats")" 2>/dev/null || not_ok "nats-server is up at the end"
N=${#ALL[@]}
confirmed_logs() { "$LAMDADEV" logs --rpc "$BSC_RPC" --address "$JM" --count JobConfirmed; }
increments() { "$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented; }
mined_is() { [ "$(db_q "select count(*) from reputation_updates where state = 'mined'" 2>/dev/null)" = "$1" ]; }
check "every reputation update mined" wait_for "reputation settles" 120 mined_is "$(confirmed_logs)"
check "outbox drained" wait_for "outbox drained" 60 outbox_unsent_is 0
unacked_is() { [ "$(db_q "select count(*) from deliveries where state in ('waiting','sending','delivered')" 2>/dev/null)" = "$1" ]; }
wait_for "deliveries acknowledged" 60 unacked_is 0
touch "$H_TMP/stop-ticker"
wait "$(cat "$H_TMP/pids/ticker")" 2>/dev/null
sleep 1
rpc "$BSC_RPC" anvil_mine '["0x4"]' >/dev/null
rpc "$OPBNB_RPC" anvil_mine '["0x4"]' >/dev/null
cursor_at_safe() { # RPC CHAIN_ID
  local head; head=$(( $(rpc "$1" eth_blockNumber | jq -r .result) ))
  [ "$(db_q "select block_number from cursors where chain_id = $2" 2>/dev/null)" = $((head - 3)) ]
}
check "BSC cursor reaches the confirmed head" wait_for "bsc cursor" 60 cursor_at_safe "$BSC_RPC" 97
check "opBNB cursor reaches the confirmed head" wait_for "opbnb cursor" 60 cursor_at_safe "$OPBNB_RPC" 5611

# ---- assertions ------------------------------------------------------------------------------------
echo "# faults injected:"
total_faults=0
for f in "$F"/*; do
  [ -f "$f" ] || continue
  n=$(wc -l <"$f"); echo "#   $(basename "$f"): $n"
  case $(basename "$f") in workload-*|exited-*|*-dropped-tx) ;; *) total_faults=$((total_faults + n)) ;; esac
done
echo "#   spec POSTs retried (API killed or database down): $(wc -l <"$H_TMP/spec-retries" 2>/dev/null || echo 0)"
echo "#   total injected: $total_faults"
check "faults were injected" [ "$total_faults" -gt 0 ]
check_eq "no service ever exited by itself" "$(cat "$F"/exited-by-itself-* 2>/dev/null | wc -l)" 0

created=$("$LAMDADEV" logs --rpc "$BSC_RPC" --address "$JM" --count JobCreated)
check_eq "JobCreated logs on chain = jobs of the workload" "$created" "$N"
check_eq "jobs in the database = JobCreated logs" "$(dbq 'select count(*) from jobs')" "$created"
check_eq "every job paid in the database" "$(dbq "select count(*) from jobs where status = 'paid'")" "$created"
js=$("$NATSPROBE" js-count LAMDA_DISPATCH 2>/dev/null | awk '{print $NF}')
check_eq "JetStream stored one message per job (total)" "$js" "$created"
"$NATSPROBE" js-consume LAMDA_DISPATCH chaos-audit 2000 >"$H_TMP/js.out" 2>&1
check_eq "JetStream: each job's Msg-Id exactly once (distinct ids)" "$(grep '^msg ' "$H_TMP/js.out" | awk '{print $3}' | sort -u | wc -l)" "$created"
check_eq "JetStream: no Msg-Id twice" "$(grep '^msg ' "$H_TMP/js.out" | awk '{print $3}' | sort | uniq -d | wc -l)" 0
# Per job: received once by an agent instance, or ended with a reason (undelivered/stalled);
# none left awaiting its agent ("stranded"), none received twice.
cat "$H_TMP"/agent-*.out | awk '/^recv /{print $2}' | sort >"$H_TMP/receipts"
agent_jobs=$(wc -l <"$H_TMP/receipts")
agent_distinct=$(sort -u "$H_TMP/receipts" | wc -l)
# A second copy is a duplicate when the job reached an agent instance that handled it (it
# reported: its "job" line) or reached one instance twice. A copy that reached an instance which
# was SIGKILLed before reporting is lost with it, and the next instance's copy is the point
# (docs/design.md §7): those are counted apart.
for f in "$H_TMP"/agent-*.out; do
  # agent-<provider>.<instance>.out: the instance number orders one provider's agents in time
  k=$(basename "$f" .out); k=${k##*.}
  awk -v k="$k" '/^recv /{r[$2]++} /^job /{h[$2] = 1} END {for (j in r) print j, k, r[j], (j in h) ? 1 : 0}' "$f"
done | sort -k1,1 -k2,2n >"$H_TMP/receipt-events"
# Per job, in instance order: a receipt followed by a later one is a duplicate if its instance
# handled the job (or got it twice); otherwise that instance died holding it unreported.
read -r dups resent < <(awk '
  $1 != job { if (job != "" && n > 1) { if (dup) d++; else r++ } job = $1; n = 0; dup = 0; last_handled = 0 }
  { if ($3 > 1) dup = 1; if (n > 0 && last_handled) dup = 1; n += $3; last_handled = $4 }
  END { if (job != "" && n > 1) { if (dup) d++; else r++ } print d + 0, r + 0 }' "$H_TMP/receipt-events")
echo "# jobs sent again to the next instance of an agent that died before reporting them: $resent (intended)"
expired=$(dbq "select count(*) from deliveries where state = 'expired'")
stranded=$(dbq "select count(*) from deliveries where state in ('waiting','sending','delivered')")
echo "# per job: received once $((agent_distinct - dups - resent)), received again after its agent died unreported $resent, received twice by agents that handled it $dups, expired with a reason $expired, stranded $stranded"
dbq "select $(addr_hex_sql job_id), reason from deliveries where state = 'expired'" | grep -v '^$' | sed 's/^/#   expired: /'
check_eq "agents: every job received (distinct receipts + expired = jobs)" "$((agent_distinct + expired))" "$created"
check_eq "no live agent received a job twice (a job handled twice, or one instance given it twice)" "$dups" 0
check_eq "no job stranded (every delivery acknowledged or expired)" "$stranded" 0

conf=$(confirmed_logs)
check_eq "JobConfirmed logs = jobs" "$conf" "$created"
check_eq "JobCountIncremented logs = JobConfirmed logs (each confirmation counted once)" "$(increments)" "$conf"
per_provider_bad=0
for p in "${PADDRS[@]}"; do
  onchain=$(nr_call 'successfulJobsCount(address)' "$p" --returns uint256)
  indb=$(dbq "select count(*) from jobs where status in ('confirmed','paid') and $(addr_hex_sql provider) = lower('${p#0x}')")
  echo "# provider $p: on-chain successfulJobsCount $onchain, confirmed jobs $indb"
  [ "$onchain" = "$indb" ] || per_provider_bad=1
done
check_eq "per provider: on-chain successfulJobsCount = confirmed jobs" "$per_provider_bad" 0
"$LAMDA" reputation audit >"$H_TMP/audit.out" 2>&1
check_eq "lamda reputation audit: no drift" "$?" 0

for s in "${SERVICES[@]}"; do kill -TERM "$(cat "$H_TMP/pids/$s")" 2>/dev/null; done
clean=0
for s in "${SERVICES[@]}"; do
  pid=$(cat "$H_TMP/pids/$s")
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { clean=1; kill -KILL "$pid"; }
done
check_eq "every service stops on SIGTERM" "$clean" 0

"$LAMDA" rebuild "$PG_URL" >"$H_TMP/rebuild-used.out" 2>&1
check_eq "lamda rebuild refuses a database that is not empty (exit 2)" "$?" 2
RB="sqlite:$H_TMP/rebuilt.db"
t0=$(date +%s)
"$LAMDA" rebuild "$RB" >"$H_TMP/rebuild.out" 2>&1
check_eq "lamda rebuild of a fresh database succeeds" "$?" 0
echo "# rebuild took $(( $(date +%s) - t0 ))s: $(tail -1 "$H_TMP/rebuild.out")"
"$ROOT/scripts/dbcompare.sh" "$PG_URL" "$RB" >"$H_TMP/compare.out" 2>&1
rc=$?
sed 's/^/# /' "$H_TMP/compare.out"
check_eq "chain-derived tables equal the rebuild (providers, jobs, ledger, cursors)" "$rc" 0
echo "# chaos ran $(( $(date +%s) - T_START ))s"

if [ "$EXTRAS" = 1 ]; then
  "$ROOT/scripts/load.sh" || H_FAILED=1
fi
finish
