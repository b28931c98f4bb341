#!/usr/bin/env bash
# bench.sh — `make bench`: ingestion, dispatch latency, reputation throughput, API and memory,
# commit → SSE event latency,
# each next to a ceiling measured in the same run on the same machine (issue 10). Writes
# bench/results/latest.json and bench/results/latest.md and prints the table.
#
# Parts come from tests/lib/harness.sh (PostgreSQL, NATS, anvil on free loopback ports,
# stopped on exit). Drivers: build/bench/replayrpc (synthetic eth_getLogs from memory),
# build/bench/ingest (the real follower and handlers), build/bench/seed (10k providers, 1M
# jobs), build/bench/dispatch (jobs on anvil → NATS latency), build/bench/staleness (commit →
# API lag), wrk, and a private nginx.
# BENCH_QUICK=1 shrinks the sizes for a smoke run. BENCH_ONLY=ingest runs sections 1 and 1b
# alone, BENCH_ONLY=api sections 4 and 5 (API, the mixed run, memory) alone.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
source tests/lib/harness.sh
source tests/lib/chain.sh
set +e
B=$ROOT/$BUILD/bench
OUTDIR=$ROOT/bench/results
mkdir -p "$OUTDIR"
ROWS=$H_TMP/rows.jsonl
: >"$ROWS"
T0=$(date +%s)
QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-}
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; } # part SECTION: does this run include it
NLOGS=100000 NJOBS=1000000 NPROV=10000 NDISPATCH=1000 WRK_SECS=5
[ "$QUICK" = 1 ] && NLOGS=20000 NJOBS=100000 NPROV=1000 NDISPATCH=100 WRK_SECS=2
PER_BLOCK=50
LAST=$((NLOGS / PER_BLOCK + 1)) # replayrpc's head: the log blocks plus one empty block
say() { echo "bench: $*" >&2; }

# row SECTION NAME VALUE UNIT CEILING RATIO TARGET MET NOTE — one line of the table
row() {
  jq -nc --arg s "$1" --arg n "$2" --arg v "$3" --arg u "$4" --arg c "$5" --arg r "$6" --arg t "$7" \
    --arg m "$8" --arg note "${9:-}" \
    '{section:$s, name:$n, value:$v, unit:$u, ceiling:$c, ratio:$r, target:$t, met:$m, note:$note}' >>"$ROWS"
}
# Why an ingestion row misses its target, as profiled (perf) on the 2-core bench machine: the
# database bounds every backend, not the RPC (README, "What each index costs").
declare -A WHY=(
  [sqlite]="bound by SQLite in the apply thread: b-tree inserts (ledger_key, and on jobs 7 b-trees), WAL pwrite/fdatasync"
  [pg]="bound by the one PostgreSQL backend's CPU: index inserts (btinsert about half of it), WAL, heap; the client waits on set-based statements"
)
why() { [ "$1" = yes ] || printf '; not met: %s' "${WHY[$2]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "" }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
yn() { if "$@"; then echo yes; else echo no; fi; }
rollup_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null; } # PID FIELD
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null; }
stop_pid() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null; }
pg_db() { "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda "$1" && echo "postgres://lamda@127.0.0.1:$PG_PORT/$1"; }

start_postgres || { say "postgres did not start"; exit 1; }
start_nats || { say "nats did not start"; exit 1; }

# ---- 1. ingestion -------------------------------------------------------------------------------
REPLAY_C=0x5FbDB2315678afecb367f032d93F642f64180aa3
INGEST_PEAK=0
part ingest && for kind in heartbeat job; do
  port=$(free_port)
  "$B/replayrpc" --port "$port" --chain-id 97 --contract $REPLAY_C --kind $kind --logs $NLOGS \
    --per-block $PER_BLOCK --providers $NPROV >"$H_TMP/replay-$kind.log" 2>&1 &
  track $!
  rpid=$!
  wait_port "$port" 60 || { say "replayrpc did not start"; continue; }
  (
    export LAMDA_DOTENV=/nonexistent LOG_LEVEL=warn BSC_RPC_URL=http://127.0.0.1:$port OPBNB_RPC_URL=http://127.0.0.1:$port
    export JOB_MANAGER_CONTRACT_ADDRESS=$REPLAY_C NODE_REPUTATION_CONTRACT_ADDRESS=$REPLAY_C
    export JOB_MANAGER_START_BLOCK=1 NODE_REPUTATION_START_BLOCK=1 BSC_CONFIRMATIONS=0 OPBNB_CONFIRMATIONS=0
    k=$([ $kind = heartbeat ] && echo node || echo job)
    "$B/ingest" fetch $k $LAST >"$H_TMP/fetch-$kind.json"
    DATABASE_URL=sqlite:$H_TMP/ingest-$kind.db "$B/ingest" apply $k $LAST >"$H_TMP/apply-$kind-sqlite.json"
    DATABASE_URL=$(pg_db "ingest_$kind") "$B/ingest" apply $k $LAST >"$H_TMP/apply-$kind-pg.json"
  )
  stop_pid $rpid
  fetch=$(jq -r .logs_per_s "$H_TMP/fetch-$kind.json" 2>/dev/null)
  raw=$(jq -r .raw_logs_per_s "$H_TMP/fetch-$kind.json" 2>/dev/null)
  mb=$(jq -r '.bytes / 1e6 | floor' "$H_TMP/fetch-$kind.json" 2>/dev/null)
  for be in sqlite pg; do
    f=$H_TMP/apply-$kind-$be.json
    v=$(jq -r .logs_per_s "$f" 2>/dev/null)
    [ -n "$v" ] || { row ingestion "$kind backfill, $be" "failed" "logs/s" "$fetch" "" "≥100000, ≥0.3×" no; continue; }
    secs=$(jq -r .seconds "$f")
    pk=$(jq -r .peak_rss_kb "$f")
    [ "$pk" -gt "$INGEST_PEAK" ] && INGEST_PEAK=$pk
    r=$(ratio "$v" "$fetch")
    row ingestion "$kind backfill $NLOGS logs, $be (replay RPC)" "$v" "logs/s" "$fetch" "$r" "≥100000 and ≥0.3×" \
      "$(yn eval 'ge "$v" 100000 && ge "$r" 0.3')" "${secs}s, peak RSS $((pk / 1024)) MB; ceiling = our client fetching+decoding the same ${mb} MB of eth_getLogs (raw HTTP bytes alone: $raw logs/s)$(why "$(yn eval 'ge "$v" 100000 && ge "$r" 0.3')" $be)"
  done
done
say "ingestion done ($(($(date +%s) - T0)) s)"

# ---- 1b. ingestion from anvil: 1,000-log blocks, anvil's own ceiling, lamda rebuild ------------
# A log emitter is installed on anvil (anvil_setCode) at one address per kind: a call emits
# calldata[2] logs with topic0 = calldata[0] for i in 0..count-1 (provider = (calldata[1] + i) %
# 10000 + 1). Heartbeat: LOG2(NodeHeartbeat, provider; data = block timestamp). Job:
# LOG4(JobCreated, jobId = calldata[1] + i + 1, renter 0xbeef, provider; data = 1000 wei).
# The bytecode, hand-assembled:
#   PUSH1 0 CALLDATALOAD PUSH1 32 CALLDATALOAD PUSH1 64 CALLDATALOAD PUSH1 0
#   loop: DUP2 DUP2 LT ISZERO PUSH2 end JUMPI  <body>  PUSH1 1 ADD PUSH2 loop JUMP  end: STOP
EMIT_HB=0x60003560203560403560005b81811015610030574260005280830161271090066001018460206000a260010161000b565b00
EMIT_JOB=0x60003560203560403560005b8181101561003b576103e8600052808301612710900660010161beef8285016001018660206000a460010161000b565b00
EMIT_ADDR_HB=0x0000000000000000000000000000000000001717
EMIT_ADDR_JOB=0x0000000000000000000000000000000000001718
NO_LOGS=0x0000000000000000000000000000000000000001 # the other follower of a rebuild: an address with no logs
ANVIL_PER_BLOCK=1000
ANVIL_BLOCKS=$((NLOGS / ANVIL_PER_BLOCK))
part ingest && { start_anvil INGEST 97 --gas-limit 3000000000 || say "anvil for ingestion did not start"; }
pg_checkpoint() { "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U lamda postgres -c CHECKPOINT >/dev/null 2>&1; }
emit_blocks() { # ADDR TOPIC0 — one tx per block (automine), ANVIL_PER_BLOCK logs each
  local i word
  for i in $(seq 0 $((ANVIL_BLOCKS - 1))); do
    word=$(printf '%s%064x%064x' "${2#0x}" $((i * ANVIL_PER_BLOCK)) $ANVIL_PER_BLOCK)
    rpc "$INGEST_RPC" eth_sendTransaction "[{\"from\":\"$ANVIL_ADDR0\",\"to\":\"$1\",\"data\":\"0x$word\",\"gas\":\"0x5f5e100\"}]" >/dev/null
  done
}
if [ -n "${INGEST_RPC:-}" ]; then
  rpc "$INGEST_RPC" anvil_setCode "[\"$EMIT_ADDR_HB\",\"$EMIT_HB\"]" >/dev/null
  rpc "$INGEST_RPC" anvil_setCode "[\"$EMIT_ADDR_JOB\",\"$EMIT_JOB\"]" >/dev/null
  emit_blocks $EMIT_ADDR_HB "$("$B/ingest" topic node)"
  emit_blocks $EMIT_ADDR_JOB "$("$B/ingest" topic job)"
  ALAST=$(printf '%d' "$(rpc "$INGEST_RPC" eth_blockNumber | jq -r .result)")
  say "anvil: $((2 * ANVIL_BLOCKS)) blocks of $ANVIL_PER_BLOCK logs emitted (head $ALAST)"
  for kind in heartbeat job; do
    (
      export LAMDA_DOTENV=/nonexistent LOG_LEVEL=warn BSC_RPC_URL=$INGEST_RPC OPBNB_RPC_URL=$INGEST_RPC
      export JOB_MANAGER_START_BLOCK=1 NODE_REPUTATION_START_BLOCK=1 BSC_CONFIRMATIONS=0 OPBNB_CONFIRMATIONS=0
      export BSC_CHAIN_ID=97 OPBNB_CHAIN_ID=97
      if [ $kind = heartbeat ]; then k=node; export NODE_REPUTATION_CONTRACT_ADDRESS=$EMIT_ADDR_HB JOB_MANAGER_CONTRACT_ADDRESS=$NO_LOGS
      else k=job; export JOB_MANAGER_CONTRACT_ADDRESS=$EMIT_ADDR_JOB NODE_REPUTATION_CONTRACT_ADDRESS=$NO_LOGS; fi
      "$B/ingest" fetch $k "$ALAST" >"$H_TMP/afetch-$kind.json"
      # The service's follower and the rebuild take turns, twice, each on a fresh database, and
      # the faster of each pair counts: on a shared 2-core machine a run right after another
      # one's 100,000 rows can meet its checkpoint or autovacuum (PostgreSQL: a CHECKPOINT
      # comes first, so that neither inherits the other's dirty buffers).
      for be in sqlite pg; do
        for rep in 1 2; do
          if [ $be = sqlite ]; then u1=sqlite:$H_TMP/aingest-$kind-$rep.db u2=sqlite:$H_TMP/arebuild-$kind-$rep.db
          else u1=$(pg_db "aingest_${kind}_$rep") u2=$(pg_db "arebuild_${kind}_$rep"); fi
          pg_checkpoint
          DATABASE_URL=$u1 "$B/ingest" apply $k "$ALAST" >"$H_TMP/aapply-$kind-$be-$rep.json"
          pg_checkpoint
          t=$(date +%s.%N)
          "$LAMDA" rebuild "$u2" >>"$H_TMP/arebuild-$kind-$be.log" 2>&1 && \
            awk -v a="$(date +%s.%N)" -v b="$t" 'BEGIN { printf "%.3f\n", a - b }' >>"$H_TMP/arebuild-$kind-$be.s"
        done
        jq -s 'min_by(.seconds)' "$H_TMP"/aapply-$kind-$be-[12].json >"$H_TMP/aapply-$kind-$be.json"
      done
    )
    ceil=$(jq -r .logs_per_s "$H_TMP/afetch-$kind.json" 2>/dev/null)
    raw=$(jq -r .raw_logs_per_s "$H_TMP/afetch-$kind.json" 2>/dev/null)
    for be in sqlite pg; do
      f=$H_TMP/aapply-$kind-$be.json
      v=$(jq -r .logs_per_s "$f" 2>/dev/null)
      [ -n "$v" ] || { row ingestion "$kind backfill from anvil, $be" failed logs/s "$ceil" "" "≥0.5× anvil" no; continue; }
      secs=$(jq -r .seconds "$f")
      pk=$(jq -s 'map(.peak_rss_kb) | max' "$H_TMP"/aapply-$kind-$be-[12].json)
      [ "$pk" -gt "$INGEST_PEAK" ] && INGEST_PEAK=$pk
      r=$(ratio "$v" "$ceil")
      row ingestion "$kind backfill $NLOGS logs, $be (anvil, $ANVIL_PER_BLOCK-log blocks)" "$v" "logs/s" "$ceil" "$r" "≥0.5× anvil" \
        "$(yn ge "$r" 0.5)" "${secs}s, peak RSS $((pk / 1024)) MB; ceiling = our client fetching+decoding the same range from anvil, no database (raw HTTP bytes alone: $raw logs/s)$(why "$(yn ge "$r" 0.5)" $be)"
      rb=$(sort -n "$H_TMP/arebuild-$kind-$be.s" 2>/dev/null | head -1)
      [ -n "$rb" ] || { row ingestion "lamda rebuild, $kind, $be (anvil)" failed s "$secs" "" "≤1.2× service" no; continue; }
      rr=$(ratio "$rb" "$secs")
      row ingestion "lamda rebuild $NLOGS $kind logs, $be (anvil)" "$rb" "s" "$secs" "$rr" "≤1.2× service" "$(yn eval '! lt 1.2 "$rr"')" \
        "best of 2, wall clock of the whole command (start, migrations, both followers to the head, exit); ceiling = the service's follower on the same chain (row above, best of 2)"
    done
  done
  stop_pid "$INGEST_PID"
fi
say "ingestion from anvil done ($(($(date +%s) - T0)) s)"

if part api; then # BENCH_ONLY=ingest: sections 1 and 1b alone

# ---- chain parts for 2, 3, 4, 5 ------------------------------------------------------------------
start_anvil BSC 97 --gas-limit 3000000000 || { say "anvil BSC did not start"; exit 1; }
start_anvil OPBNB 5611 --block-time 1 || { say "anvil opBNB did not start"; exit 1; }
deploy_contracts || { say "contract deploy failed"; exit 1; }
lamda_env
export NATS_URL API_RATE_LIMIT=0 LOG_LEVEL=warn JOB_ID_FROM_CID=true DEFAULT_DOCKER_IMAGE=lamda/bench:latest

if part dispatch; then # not with BENCH_ONLY=api
# ---- 2. dispatch latency --------------------------------------------------------------------------
dispatch_run() { # NAME RUN MODE COUNT [ws]
  local name=$1 run=$2 mode=$3 count=$4 ws=${5:-} pid out
  (
    export DATABASE_URL=sqlite:$H_TMP/dispatch-$run.db POLL_INTERVAL=250ms
    if [ -n "$ws" ]; then export BSC_WS_URL=$BSC_WS; else unset BSC_WS_URL; fi
    exec "$LAMDA" job-dispatcher >>"$H_TMP/dispatcher-$run.log" 2>&1
  ) &
  pid=$!
  track $pid
  sleep 2 # subscribed, caught up, publisher connected
  out=$("$B/dispatch" "$BSC_RPC" "$NATS_URL" "$JM" "$run" "$mode" "$count" 20)
  stop_pid $pid
  echo "$out" >"$H_TMP/dispatch-$run.json"
  local p50 p99 got
  p50=$(jq -r .p50_ms <<<"$out" 2>/dev/null)
  p99=$(jq -r .p99_ms <<<"$out" 2>/dev/null)
  got=$(jq -r .received <<<"$out" 2>/dev/null)
  if [ -z "$p99" ]; then row dispatch "$name" failed ms "" "" "p99 < 100 ms" no; return; fi
  row dispatch "$name" "p50 $p50 / p99 $p99" ms "" "" "p99 < 100 ms" "$(yn eval 'lt "$p99" 100 && [ "$got" = "$count" ]')" \
    "$got/$count received on jobs.dispatch.<addr>; JOB_ID_FROM_CID=true (no spec); clock starts before the tx that mines the block"
}
dispatch_run "$NDISPATCH jobs, one per block, WebSocket heads" 1 seq $NDISPATCH ws
dispatch_run "$NDISPATCH jobs, one per block, polling 250ms" 2 seq $NDISPATCH
dispatch_run "burst of $NDISPATCH jobs in one block (WebSocket)" 3 burst $NDISPATCH ws
say "dispatch done ($(($(date +%s) - T0)) s)"

# ---- 3. reputation throughput -----------------------------------------------------------------
if [ "$(git log --oneline | grep -c "reputation-service")" -gt 0 ]; then
  # The jobs of dispatch run 1 get confirmed in one BSC block; the reputation service (fresh
  # database, admin = anvil account 0, the NodeReputation owner) must mine one incrementJobs
  # per job on opBNB (1 s blocks).
  "$B/dispatch" "$BSC_RPC" "$NATS_URL" "$JM" 1 confirm $NDISPATCH >/dev/null
  export DATABASE_URL=sqlite:$H_TMP/reputation.db ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0
  b0=$(printf '%d' "$(rpc "$OPBNB_RPC" eth_blockNumber | jq -r .result)")
  t=$(date +%s.%N)
  "$LAMDA" reputation-service >>"$H_TMP/reputation.log" 2>&1 &
  rp=$!
  track $rp
  mined=0
  for _ in $(seq 1200); do
    mined=$(sqlite3 "$H_TMP/reputation.db" "select count(*) from reputation_updates where state='mined'" 2>/dev/null || echo 0)
    [ "${mined:-0}" -ge "$NDISPATCH" ] && break
    sleep 0.1
  done
  dt=$(awk -v a="$(date +%s.%N)" -v b="$t" 'BEGIN { printf "%.1f", a - b }')
  last=$(sqlite3 "$H_TMP/reputation.db" "select max(mined_block) from reputation_updates" 2>/dev/null)
  first=$(sqlite3 "$H_TMP/reputation.db" "select min(mined_block) from reputation_updates" 2>/dev/null)
  stop_pid $rp
  unset ADMIN_WALLET_PRIVATE_KEY
  blocks=$(( ${last:-0} - b0 ))
  row reputation "$NDISPATCH confirmations → increments mined" "$mined mined in ${dt}s, $blocks blocks" "" "" "" \
    "within 10 blocks" "$(yn eval '[ "${mined:-0}" -ge "$NDISPATCH" ] && [ "$blocks" -le 10 ]')" \
    "opBNB anvil --block-time 1; blocks counted from the opBNB head when the service started (first mined in block $first, last in $last)"
else
  row reputation "1000 confirmations → increments mined" pending "" "" "" "within 10 blocks" pending "reputation service not in git log"
fi
say "reputation done ($(($(date +%s) - T0)) s)"
fi # part dispatch

# ---- 4 + 5. API and memory ---------------------------------------------------------------------
WRK_THREADS=2 WRK_CONN=64
# wrk_run URL → "req_per_s p99_ms"
wrk_run() {
  wrk -t$WRK_THREADS -c$WRK_CONN -d${WRK_SECS}s --latency "$1" 2>/dev/null | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
               if (u == "us") v /= 1000; else if (u == "s") v *= 1000; p99 = v }
    END { printf "%.0f %.2f\n", rps, p99 }'
}
API_PORT=$(free_port)
export API_PORT API_THREADS=2
API=http://127.0.0.1:$API_PORT
PROVIDER=
declare -A BODY_SIZE
declare -A EPNAME=([node]="GET /api/nodes/{address}" [nodes]="GET /api/nodes?limit=100" [jobs]="GET /api/jobs?provider_address=…&limit=100")

# ---- 4b. mixed: reads while a follower applies a 1,000-log block every second -----------------
# On the seeded database: the job dispatcher's follower (its own process, as in production on
# PostgreSQL) follows an anvil where the JobCreated emitter of section 1b mines one
# 1,000-log block each second (jobs for the seeded providers, so every route's data moves),
# while wrk reads each route from an api-gateway (its own process, the response cache on at
# its default bound) and build/bench/staleness times each commit's arrival in GET /api/jobs.
MIXED_SECS=10
[ "$QUICK" = 1 ] && MIXED_SECS=4
MIXED_BOUND_MS=100 # API_CACHE_TTL's default: the documented staleness bound
MIXED_ROWS=$H_TMP/mixed-rows.jsonl # after the API rows in the table, whose ceilings come later
: >"$MIXED_ROWS"
mixed_run() { # BACKEND DATABASE_URL
  local be=$1 url=$2 head topic fpid gpid spid port ep rps p99 res
  start_anvil MIXED 97 --gas-limit 3000000000 || { ROWS=$MIXED_ROWS row mixed "$be" failed "" "" "" "p99 < 10 ms" no "anvil did not start"; return; }
  rpc "$MIXED_RPC" anvil_setCode "[\"$EMIT_ADDR_JOB\",\"$EMIT_JOB\"]" >/dev/null
  head=$(printf '%d' "$(rpc "$MIXED_RPC" eth_blockNumber | jq -r .result)")
  topic=$("$B/ingest" topic job)
  (
    export DATABASE_URL=$url BSC_RPC_URL=$MIXED_RPC BSC_CHAIN_ID=97 JOB_MANAGER_CONTRACT_ADDRESS=$EMIT_ADDR_JOB
    export JOB_MANAGER_START_BLOCK=$((head + 1)) POLL_INTERVAL=50ms JOB_ID_FROM_CID=false
    unset BSC_WS_URL
    exec "$LAMDA" job-dispatcher
  ) >>"$H_TMP/mixed-follower-$be.log" 2>&1 &
  fpid=$!
  track $fpid
  port=$(free_port)
  DATABASE_URL=$url API_PORT=$port "$LAMDA" api-gateway >>"$H_TMP/mixed-api-$be.log" 2>&1 &
  gpid=$!
  track $gpid
  wait_port "$port" 30 || { ROWS=$MIXED_ROWS row mixed "$be" failed "" "" "" "p99 < 10 ms" no "api-gateway did not listen"; stop_pid $fpid; stop_pid $gpid; stop_pid "$MIXED_PID"; return; }
  sleep 1 # the follower's first poll
  # One emitter call per second on the clock (automine: one block each); job ids from 2^40 up,
  # clear of the seeded ones.
  (
    local i=0 t0 word
    t0=$(date +%s.%N)
    while :; do
      word=$(printf '%s%064x%064x' "${topic#0x}" $(((1 << 40) + i * 1000)) 1000)
      rpc "$MIXED_RPC" eth_sendTransaction "[{\"from\":\"$ANVIL_ADDR0\",\"to\":\"$EMIT_ADDR_JOB\",\"data\":\"0x$word\",\"gas\":\"0x5f5e100\"}]" >/dev/null
      i=$((i + 1))
      sleep "$(awk -v t0="$t0" -v i=$i -v now="$(date +%s.%N)" 'BEGIN { d = t0 + i - now; printf "%.3f", (d > 0 ? d : 0) }')"
    done
  ) &
  spid=$!
  track $spid
  sleep 1.5 # the first block applied
  "$B/staleness" "http://127.0.0.1:$port" "$url" $((3 * MIXED_SECS + 1)) >"$H_TMP/mixed-stale-$be.json" 2>>"$H_TMP/mixed-stale-$be.err" &
  local ppid=$!
  local -a got=()
  for ep in node nodes jobs; do
    read -r rps p99 <<<"$(WRK_SECS=$MIXED_SECS wrk_run "http://127.0.0.1:$port${EP[$ep]}")"
    got+=("$ep $rps $p99")
  done
  wait $ppid
  stop_pid $spid
  local blocks; blocks=$(jq -r .commits "$H_TMP/mixed-stale-$be.json" 2>/dev/null)
  for ep in "${got[@]}"; do
    read -r ep rps p99 <<<"$ep"
    ROWS=$MIXED_ROWS row mixed "${EPNAME[$ep]}, $be, while a 1,000-log block commits each second" "$rps" "req/s (p99 $p99 ms)" "" "" \
      "p99 < 10 ms" "$(yn lt "$p99" 10)" "follower (job-dispatcher) and api-gateway in separate processes, response cache on; ${blocks:-?} blocks of 1,000 JobCreated committed during the reads; wrk -t$WRK_THREADS -c$WRK_CONN -d${MIXED_SECS}s"
  done
  res=$(cat "$H_TMP/mixed-stale-$be.json" 2>/dev/null)
  if [ -n "$res" ]; then
    local p50 sp99 max seen loop
    read -r p50 sp99 max seen loop < <(jq -r '"\(.p50_ms) \(.p99_ms) \(.max_ms) \(.seen) \(.loop_ms)"' <<<"$res")
    ROWS=$MIXED_ROWS row mixed "commit → API staleness, $be, while a 1,000-log block commits each second" "p50 $p50 / p99 $sp99 / max $max" ms "" "" \
      "≤ $MIXED_BOUND_MS ms (API_CACHE_TTL)" "$(yn eval 'lt "$max" $((MIXED_BOUND_MS + 1)) && [ "$seen" = "$blocks" ] && [ "${blocks:-0}" -gt 0 ]')" \
      "$seen/$blocks commits seen through GET /api/jobs?limit=1 (total), under the wrk load above; from the probe seeing the commit in the database (polled every ~$loop ms, so up to that much short) to the API answering it"
  else
    ROWS=$MIXED_ROWS row mixed "commit → API staleness, $be" failed ms "" "" "≤ $MIXED_BOUND_MS ms (API_CACHE_TTL)" no "$(head -c 200 "$H_TMP/mixed-stale-$be.err")"
  fi
  stop_pid $fpid
  stop_pid $gpid
  stop_pid "$MIXED_PID"
}
# The ceiling: nginx serving each route's body as a static file, measured right after lamda's
# cached run of the same route on the same backend, so both see the same machine (the two
# cores are shared with wrk, and a run minutes apart differed by up to 20%).
NGX_PORT=$(free_port)
mkdir -p "$H_TMP/nginx/www"
cat >"$H_TMP/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo "user root;")
worker_processes 2;
pid $H_TMP/nginx/nginx.pid;
error_log $H_TMP/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $H_TMP/nginx/tmp; proxy_temp_path $H_TMP/nginx/tmp;
  fastcgi_temp_path $H_TMP/nginx/tmp; uwsgi_temp_path $H_TMP/nginx/tmp; scgi_temp_path $H_TMP/nginx/tmp;
  default_type application/json;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NGX_PORT; root $H_TMP/nginx/www; }
}
EOF
mkdir -p "$H_TMP/nginx/tmp"
nginx -c "$H_TMP/nginx/nginx.conf" -g 'daemon off;' >"$H_TMP/nginx/out.log" 2>&1 &
NGX_PID=$!
track $NGX_PID
wait_port "$NGX_PORT" 10 || say "nginx did not listen: no ceilings"
declare -A CEIL CEIL99
ALL_IDLE=0 ALL_PEAK=0
for be in sqlite pg; do
  ts=$(date +%s)
  if [ $be = sqlite ]; then url=sqlite:$H_TMP/api.db; else url=$(pg_db api); fi
  PROVIDER=$("$B/seed" "$url" $NPROV $NJOBS) || { say "seeding $be failed"; continue; }
  say "seeded $be: $NPROV providers, $NJOBS jobs in $(($(date +%s) - ts)) s"
  DATABASE_URL=$url ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 "$LAMDA" all >>"$H_TMP/all-$be.log" 2>&1 &
  apid=$!
  track $apid
  wait_port "$API_PORT" 30 || { say "lamda all did not listen"; cat "$H_TMP/all-$be.log" >&2; continue; }
  # Idle means caught up: the followers first replay the chains' history (thousands of events
  # from the sections above), so wait until /metrics shows no lag before sampling.
  for _ in $(seq 120); do
    m=$(curl -s "$API/metrics")
    lag=$(awk '/^lamda_follower_lag_blocks/ {s += $2} END {print s + 0}' <<<"$m")
    cur=$(awk '/^lamda_follower_cursor_block/ && $2 > 0 {n++} END {print n + 0}' <<<"$m")
    [ "$lag" = 0 ] && [ "$cur" -ge 2 ] && break
    sleep 0.5
  done
  sleep 3 # past the API's idle trim (2 s without a request; /metrics above is one)
  if [ $be = sqlite ]; then
    # and once more past the process's idle trim (services/idle_trim.c: 3 s quiet after the
    # catch-up's work, then the caches, then the heap 2 s later)
    ALL_IDLE3=$(rollup_kb $apid Rss)
    sleep 7
    ALL_IDLE=$(rollup_kb $apid Rss) ALL_ANON=$(rollup_kb $apid Pss_Anon) ALL_FILE=$(rollup_kb $apid Pss_File)
  fi
  declare -A EP=(
    [node]="/api/nodes/$PROVIDER"
    [nodes]="/api/nodes?limit=100"
    [jobs]="/api/jobs?provider_address=$PROVIDER&limit=100"
  )
  for ep in node nodes jobs; do
    path=${EP[$ep]}
    size=$(curl -s -o "$H_TMP/body-$ep" -w '%{size_download}' "$API$path")
    BODY_SIZE[$ep]=$size
    read -r rps p99 <<<"$(wrk_run "$API$path")"
    echo "$be $ep $rps $p99" >>"$H_TMP/api.txt"
    cp "$H_TMP/body-$ep" "$H_TMP/nginx/www/$ep.json"
    read -r rps p99 <<<"$(wrk_run "http://127.0.0.1:$NGX_PORT/$ep.json")"
    CEIL[$be $ep]=$rps CEIL99[$be $ep]=$p99
  done
  hw=$(hwm_kb $apid)
  [ "${hw:-0}" -gt "$ALL_PEAK" ] && ALL_PEAK=$hw
  # The same routes with the response cache off (an api-gateway of its own on the same
  # database), so the cache's gain is visible.
  NOCACHE_PORT=$(free_port)
  DATABASE_URL=$url API_PORT=$NOCACHE_PORT API_CACHE_TTL=0 "$LAMDA" api-gateway >>"$H_TMP/nocache-$be.log" 2>&1 &
  npid=$!
  track $npid
  if wait_port "$NOCACHE_PORT" 30; then
    for ep in node nodes jobs; do
      read -r rps p99 <<<"$(wrk_run "http://127.0.0.1:$NOCACHE_PORT${EP[$ep]}")"
      echo "$be-nocache $ep $rps $p99" >>"$H_TMP/api.txt"
    done
  fi
  stop_pid $npid
  stop_pid $apid
  mixed_run $be "$url"
done

stop_pid $NGX_PID
declare -A CACHED_RPS
while read -r be ep rps p99; do
  key="${be%-nocache} $ep"
  c=${CEIL[$key]:-0}
  r=$(ratio "$rps" "$c")
  base="${BODY_SIZE[$ep]:-?} B body; $NPROV providers, $NJOBS jobs; nginx p99 ${CEIL99[$key]:-?} ms (measured right after the cached run of the route); wrk -t$WRK_THREADS -c$WRK_CONN -d${WRK_SECS}s"
  case $be in
  *-nocache)
    # No target: the run shows what the cache saves (every request queries and builds JSON).
    row api "${EPNAME[$ep]}, ${be%-nocache}, response cache off" "$rps" "req/s (p99 $p99 ms)" "$c" "$r" "" "" \
      "$base; the cache's gain: $(ratio "${CACHED_RPS[$key]:-0}" "$rps")× (api-gateway with API_CACHE_TTL=0)"
    ;;
  *)
    CACHED_RPS[$key]=$rps
    met=$(yn eval 'ge "$r" 0.8 && lt "$p99" 5')
    reason=
    lt "$p99" 5 || reason="p99: nginx's own p99 is ${CEIL99[$key]:-?} ms here; wrk's two threads and the server's two share the two cores, so the tail is the scheduler's (server and wrk pinned to a core each: the jobs route's p99 is 1.6 ms, README)"
    ge "$r" 0.8 || reason="${reason:+$reason; }${r}× nginx: a hit does no database work on either backend, so the gap to the other backend's row is other load on the shared cores (not profiled)"
    row api "${EPNAME[$ep]}, $be" "$rps" "req/s (p99 $p99 ms)" "$c" "$r" "≥0.8× nginx, p99 < 5 ms" "$met" "$base${reason:+; not met: $reason}"
    ;;
  esac
done <"$H_TMP/api.txt"
cat "$MIXED_ROWS" >>"$ROWS"
say "api done ($(($(date +%s) - T0)) s)"

fi # BENCH_ONLY

part api && row memory "lamda all, idle RSS" "$((ALL_IDLE / 1024))" MB "" "" "< 20 MB" "$(yn lt "$ALL_IDLE" 20480)" "SQLite, all four services, 10 s after the followers caught up with the chains (3 s after: $((${ALL_IDLE3:-0} / 1024)) MB) and past the last request; /proc/PID/smaps_rollup: Pss_Anon $((${ALL_ANON:-0} / 1024)) MB (heap, stacks), Pss_File $((${ALL_FILE:-0} / 1024)) MB (the binary and its libraries, shared with every other lamda process)$(lt "$ALL_IDLE" 20480 || echo "; not met: this is not an empty idle: the job dispatcher keeps probing, every JOB_REDELIVERY_MAX_BACKOFF, the 3,000 jobs of the dispatch section whose agents are gone (about a tenth of a core), with their rows and requests in flight; started on the seeded database and chains without history it holds 17–19 MB (by hand)")"
part api && row memory "lamda all, peak RSS during the API runs" "$((ALL_PEAK / 1024))" MB "" "" "" "" "VmHWM of lamda all under wrk (SQLite and PostgreSQL runs)"
part ingest && row memory "follower, peak RSS during a $NLOGS-log backfill" "$((INGEST_PEAK / 1024))" MB "" "" "≤ 64 MB" "$(yn lt "$INGEST_PEAK" 65537)" "the largest VmHWM of the ingest driver (the same follower and handlers as lamda all) over the backfills above, both backends$(lt "$INGEST_PEAK" 65537 || echo "; not met: the batch being written (20,000 decoded logs), the next one fetched ahead (its JSON body, about 15 MB for JobCreated, and its decoded logs) and the 8 MB SQLite page cache; a 10,000-log batch target measured 61 MB at about a quarter less throughput")"

# ---- 6. commit → Server-Sent Event latency (issue 20) ----------------------------------------------
SSE_N=1000
[ "$QUICK" = 1 ] && SSE_N=200
if part events; then # not with BENCH_ONLY
SSE_BENCH_EVENTS=$SSE_N BUILD=$BUILD "$ROOT/scripts/bench_sse.sh" >"$H_TMP/sse.jsonl" 2>"$H_TMP/sse.err"
while read -r line; do
  be=$(jq -r .backend <<<"$line"); p99=$(jq -r .p99_ms <<<"$line"); p50=$(jq -r .p50_ms <<<"$line")
  row events "commit → SSE event p99, $be (API in another process)" "$p99" ms "" "" "< 100 ms" "$(yn lt "$p99" 100)" \
    "$(jq -r .received <<<"$line")/$SSE_N events received; p50 $p50 ms, max $(jq -r .max_ms <<<"$line") ms"
done <"$H_TMP/sse.jsonl"
[ -s "$H_TMP/sse.jsonl" ] || row events "commit → SSE event p99" failed ms "" "" "< 100 ms" no "$(head -c 200 "$H_TMP/sse.err")"
say "events done ($(($(date +%s) - T0)) s)"
fi # part events

# ---- results ------------------------------------------------------------------------------------
ELAPSED=$(($(date +%s) - T0))
jq -s --arg when "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg commit "$(git rev-parse --short HEAD)" \
  --arg cpu "$(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" --argjson secs "$ELAPSED" \
  --argjson quick "$QUICK" \
  '{generated: $when, commit: $commit, machine: $cpu, seconds: $secs, quick: ($quick == 1), rows: .}' \
  "$ROWS" >"$OUTDIR/latest.json"
{
  echo "# lamda benchmark — $(date -u +%Y-%m-%d) ($(git rev-parse --short HEAD), $(nproc) cores, ${ELAPSED}s)"
  echo
  echo "| section | measure | value | unit | ceiling | ratio | target | met | notes |"
  echo "|---|---|---|---|---|---|---|---|---|"
  jq -r '"| \(.section) | \(.name) | \(.value) | \(.unit) | \(.ceiling) | \(.ratio) | \(.target) | \(.met) | \(.note) |"' "$ROWS"
} >"$OUTDIR/latest.md"
cat "$OUTDIR/latest.md"
