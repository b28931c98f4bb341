#!/usr/bin/env bash
# List totals come from counters the triggers of migration 0006 keep with the data (list_counts),
# on SQLite and PostgreSQL. Every counter must equal the count(*) it replaces:
#   1. after a bulk ingest (`lamda rebuild` of a replayed chain: PostgreSQL's set-based insert),
#      and after statements that change many rows at once,
#   2. after jobs are created and confirmed on a chain a running job-dispatcher follows, and a
#      status change written by another process (as an agent report is),
#   3. after a reorg's undo (anvil_rollback: the orphaned jobs deleted, their confirmations
#      undone) and the new branch that follows it.
# Each check compares the whole table with the GROUP BYs it stands for, and the API's "total"
# for the filters the routes take with count(*) of the same filter.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
REPLAY=$ROOT/$BUILD/bench/replayrpc
C=0x5FbDB2315678afecb367f032d93F642f64180aa3

# on URL CMD... : run a chain.sh database helper against one backend.
on() { local DATABASE_URL=$1; shift; "$@"; }
empty_blob() { case "$1" in sqlite:*) echo "x''" ;; *) echo "''::bytea" ;; esac; }

# counter_diff URL → the number of list_counts rows that differ from the counts they stand for
# (a row of zeros, all its jobs gone, is no difference).
STATUS_COLS="created, assigned, running, completed, failed, confirmed, paid, cancelled, undelivered, stalled"
STATUS_COUNTS=$(for s in ${STATUS_COLS//,/}; do printf "count(*) FILTER (WHERE status = '%s'), " "$s"; done)
counter_diff() {
  local e; e=$(empty_blob "$1")
  on "$1" db_q "WITH want AS (
      SELECT 'jobs' AS list, $e AS owner, count(*) AS total, $STATUS_COUNTS 0 AS online, 0 AS offline FROM jobs
      UNION ALL SELECT 'jobs_provider', provider, count(*), $STATUS_COUNTS 0, 0 FROM jobs GROUP BY provider
      UNION ALL SELECT 'jobs_renter', renter, count(*), $STATUS_COUNTS 0, 0 FROM jobs GROUP BY renter
      UNION ALL SELECT 'providers', $e, count(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        count(*) FILTER (WHERE is_online = 1), count(*) FILTER (WHERE is_online = 0) FROM providers),
    have AS (SELECT list, owner, total, $STATUS_COLS, online, offline FROM list_counts)
    SELECT (SELECT count(*) FROM (SELECT * FROM want WHERE total <> 0 EXCEPT SELECT * FROM have WHERE total <> 0) a)
         + (SELECT count(*) FROM (SELECT * FROM have WHERE total <> 0 EXCEPT SELECT * FROM want WHERE total <> 0) b)
         + (SELECT count(*) FROM have WHERE total = 0 AND ($STATUS_COLS, online, offline) <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))"
}

# api_totals NAME URL: the API's total for each filter the routes take equals count(*) of it.
api_totals() {
  local be=$1 url=$2 port pid
  port=$(free_port)
  DATABASE_URL=$url API_PORT=$port API_RATE_LIMIT=0 API_CACHE_TTL=0 LAMDA_DOTENV=/nonexistent \
    NODE_REPUTATION_CONTRACT_ADDRESS= OPBNB_RPC_URL=http://127.0.0.1:1 "$LAMDA" api-gateway >>"$H_TMP/api-$be.log" 2>&1 &
  pid=$!
  track $pid
  wait_port "$port" || { not_ok "$be: api-gateway listens"; return; }
  local U=http://127.0.0.1:$port h p r st
  h=$(on "$url" addr_hex_sql provider)
  p=$(on "$url" db_q "SELECT $h FROM jobs GROUP BY provider ORDER BY count(*) DESC, 1 LIMIT 1")
  r=$(on "$url" db_q "SELECT $(on "$url" addr_hex_sql renter) FROM jobs GROUP BY renter ORDER BY count(*) DESC, 1 LIMIT 1")
  st=$(on "$url" db_q "SELECT status FROM jobs GROUP BY status ORDER BY count(*), 1 LIMIT 1")
  local -a cases=(
    "/api/jobs?limit=1|SELECT count(*) FROM jobs"
    "/api/jobs?limit=1&status=$st|SELECT count(*) FROM jobs WHERE status = '$st'"
    "/api/jobs?limit=1&provider_address=0x$p|SELECT count(*) FROM jobs WHERE $h = '$p'"
    "/api/jobs?limit=1&provider_address=0x$p&status=$st|SELECT count(*) FROM jobs WHERE $h = '$p' AND status = '$st'"
    "/api/jobs?limit=1&renter_address=0x$r|SELECT count(*) FROM jobs WHERE $(on "$url" addr_hex_sql renter) = '$r'"
    "/api/jobs?limit=1&renter_address=0x$r&status=$st|SELECT count(*) FROM jobs WHERE $(on "$url" addr_hex_sql renter) = '$r' AND status = '$st'"
    "/api/jobs?limit=1&renter_address=0x$r&provider_address=0x$p|SELECT count(*) FROM jobs WHERE $(on "$url" addr_hex_sql renter) = '$r' AND $h = '$p'"
    "/api/nodes?limit=1|SELECT count(*) FROM providers WHERE is_online = 1"
    "/api/nodes?limit=1&online=any|SELECT count(*) FROM providers"
    "/api/nodes?limit=1&online=false|SELECT count(*) FROM providers WHERE is_online = 0"
  )
  local c got want bad=""
  for c in "${cases[@]}"; do
    got=$(curl -s "$U${c%%|*}" | jq -r .data.total)
    want=$(on "$url" db_q "${c#*|}")
    [ "$got" = "$want" ] || bad+=" ${c%%|*}: total $got, count(*) $want;"
  done
  [ -z "$bad" ] && ok "$be: $3: the API's totals equal count(*) (${#cases[@]} filters)" || not_ok "$be: $3: API totals" "$bad"
  kill -TERM $pid; wait $pid 2>/dev/null
}

# check_counts NAME URL WHEN
check_counts() {
  check_eq "$1: $3: every counter equals its count(*)" "$(counter_diff "$2")" 0
  api_totals "$@"
}

start_postgres || { not_ok "postgres starts"; finish; }

# ---- 1. Bulk ingest: a rebuild of replayed chains (3,000 JobCreated, 300 heartbeats) ----------
RP1=$(free_port)
"$REPLAY" --port "$RP1" --chain-id 97 --contract $C --kind job --logs 3000 --per-block 500 --providers 50 \
  >"$H_TMP/replay-job.log" 2>&1 &
track $!
RP2=$(free_port)
"$REPLAY" --port "$RP2" --chain-id 5611 --contract $C --kind heartbeat --logs 300 --per-block 100 --providers 50 \
  >"$H_TMP/replay-hb.log" 2>&1 &
track $!
wait_port "$RP1" 30 && wait_port "$RP2" 30 || { not_ok "replay RPCs start"; finish; }
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda rebuilt || { not_ok "create database"; finish; }
for be in "sqlite|sqlite:$H_TMP/rebuilt.db" "postgres|postgres://lamda@127.0.0.1:$PG_PORT/rebuilt"; do
  n=${be%%|*} u=${be#*|}
  env LAMDA_DOTENV=/nonexistent LOG_LEVEL=warn BSC_RPC_URL=http://127.0.0.1:$RP1 OPBNB_RPC_URL=http://127.0.0.1:$RP2 \
    JOB_MANAGER_CONTRACT_ADDRESS=$C NODE_REPUTATION_CONTRACT_ADDRESS=$C JOB_MANAGER_START_BLOCK=1 \
    NODE_REPUTATION_START_BLOCK=1 BSC_CONFIRMATIONS=0 OPBNB_CONFIRMATIONS=0 \
    "$LAMDA" rebuild "$u" >"$H_TMP/rebuild-$n.log" 2>&1
  check_eq "$n: lamda rebuild exits 0" "$?" 0
  check_eq "$n: the rebuilt database has every job" "$(on "$u" db_q 'SELECT count(*) FROM jobs')" 3000
  check_counts "$n" "$u" "after a bulk ingest"
  # Many rows in one statement (a statement-level trigger on PostgreSQL sees them together):
  # a third of the jobs move on, a fifth of the providers go offline, one provider goes.
  on "$u" db_q "update jobs set status = 'running' where created_block % 3 = 0"
  on "$u" db_q "update jobs set status = 'failed' where created_block % 3 = 1 and created_at % 2 = 0"
  on "$u" db_q "update providers set is_online = 0 where vram % 5 = 0 or reputation_score % 5 = 0 or last_seen % 5 = 0"
  on "$u" db_q "delete from providers where address = (select address from providers order by address limit 1)"
  check "$n: some providers went offline" test "$(on "$u" db_q 'select count(*) from providers where is_online = 0')" -gt 0
  check_eq "$n: one provider went" "$(on "$u" db_q 'select count(*) from providers')" 49
  check_counts "$n" "$u" "after bulk status and online changes"
done

# ---- 2./3. A followed chain: creations, confirmations, a status change, a reorg's undo --------
start_anvil BSC 97 || { not_ok "anvil BSC starts"; finish; }
start_anvil OPBNB 5611 || { not_ok "anvil opBNB starts"; finish; }
start_nats || { not_ok "nats starts"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda followed || { not_ok "create database"; finish; }
BACKENDS=("sqlite|sqlite:$H_TMP/followed.db" "postgres|postgres://lamda@127.0.0.1:$PG_PORT/followed")
for be in "${BACKENDS[@]}"; do
  DATABASE_URL=${be#*|} start_lamda "disp-${be%%|*}" job-dispatcher
done
chain_hash() { rpc "$BSC_RPC" eth_getBlockByNumber "[\"$(printf '0x%x' "$1")\",false]" | jq -r .result.hash; }
caught_up() { # every backend's JobManager cursor is the chain's head, by number and hash
  local be u b h head
  head=$(($(rpc "$BSC_RPC" eth_blockNumber | jq -r .result)))
  for be in "${BACKENDS[@]}"; do
    u=${be#*|}
    b=$(on "$u" db_q "select block_number from cursors where chain_id = 97" 2>/dev/null)
    h=$(on "$u" db_q "select $(on "$u" addr_hex_sql block_hash) from cursors where chain_id = 97" 2>/dev/null)
    [ "$b" = "$head" ] && [ "0x$h" = "$(chain_hash "$b")" ] || return 1
  done
}
njobs_all() { local be; for be in "${BACKENDS[@]}"; do [ "$(on "${be#*|}" db_q 'select count(*) from jobs' 2>/dev/null)" = "$1" ] || return 1; done; }

# Two renters, two providers: 4 + 3 + 2 jobs, each created then confirmed (created → confirmed).
create_confirm 4 $ANVIL_KEY1 $ANVIL_ADDR3
create_confirm 3 $ANVIL_KEY1 $ANVIL_ADDR4
create_confirm 2 $ANVIL_KEY4 $ANVIL_ADDR3
# Two more left in created.
for _ in 1 2; do create_job $ANVIL_KEY4 "$(new_job_id)" $ANVIL_ADDR4; done
check "both backends follow the 11 jobs" wait_for "11 jobs" 30 njobs_all 11
check "both backends caught up with the chain" wait_for "head" 30 caught_up
for be in "${BACKENDS[@]}"; do
  u=${be#*|}
  check_eq "${be%%|*}: 9 confirmed" "$(on "$u" db_q "select count(*) from jobs where status = 'confirmed'")" 9
  # An agent's report changes a status outside the follower: the counters follow it too.
  on "$u" db_q "update jobs set status = 'running' where job_id = (select job_id from jobs where status = 'created' order by job_id limit 1)"
  check_counts "${be%%|*}" "$u" "after creations, confirmations and a status change"
done

# The reorg undo: the last 5 blocks go (with automine one transaction each: 2 creations of
# renter 4, and the confirmations and a creation before them), then a new branch is mined.
rpc "$BSC_RPC" anvil_rollback '[5]' >/dev/null
check "both backends undo the rolled-back blocks" wait_for "rollback" 30 caught_up
for be in "${BACKENDS[@]}"; do
  u=${be#*|}
  check_eq "${be%%|*}: rollback: 8 jobs left" "$(on "$u" db_q 'select count(*) from jobs')" 8
  check_counts "${be%%|*}" "$u" "after a reorg's undo"
done
create_confirm 1 $ANVIL_KEY4 $ANVIL_ADDR4
create_job $ANVIL_KEY1 "$(new_job_id)" $ANVIL_ADDR3
check "both backends follow the new branch" wait_for "10 jobs" 30 njobs_all 10
check "both backends caught up with the new branch" wait_for "head 2" 30 caught_up
for be in "${BACKENDS[@]}"; do check_counts "${be%%|*}" "${be#*|}" "after the new branch"; done
finish
