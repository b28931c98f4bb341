#!/usr/bin/env bash
# Exactly-once dispatch under crashes and outages (issue 6): the dispatcher is SIGKILLed at
# random moments while 200 jobs are created, and nats-server is down for 10 s while 50 more
# are created; every job still reaches the stream, the provider's agent and a durable consumer
# exactly once. Runs on SQLite and on PostgreSQL. Jobs use the jobId-from-CID mode, so no
# spec has to be posted for each.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
NATSPROBE=$ROOT/$BUILD/natsprobe
N_KILL=${N_KILL:-200}
N_OUTAGE=${N_OUTAGE:-50}

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats && start_postgres || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export JOB_ID_FROM_CID=true DEFAULT_DOCKER_IMAGE=ghcr.io/lamda/worker:1.0

stream_count() { "$NATSPROBE" js-count LAMDA_DISPATCH 2>/dev/null | awk '{print $NF}'; }
# Outbox rows of this suite's provider (the PostgreSQL suite also replays the SQLite suite's
# jobs from the same chain; the stream drops those as duplicates).
sent_is() { [ "$(db_q "select count(*) from outbox where sent_at is not null and subject = 'lamda.dispatch.$PROV'")" = "$1" ]; }
unsent_is() { [ "$(db_q "select count(*) from outbox where sent_at is null and subject = 'lamda.dispatch.$PROV'")" = "$1" ]; }
# The provider's agent (build/agentsim: the published agent's protocol, it reports each job):
# a copy a SIGKILL left "maybe delivered" goes out again after JOB_ACK_WAIT only if no report
# came (design §7), so the wait is shortened and every copy the agent got is reported. It must
# outlast the 10 s NATS outage below: a copy sent into the outage sits in libnats's reconnect
# buffer and reaches the agent only when the server is back.
export JOB_ACK_WAIT=30s
AGENTSIM=$ROOT/$BUILD/agentsim
sub_count() { grep -c '^recv ' "$1"; }
sub_distinct() { sed -n 's/^recv \(0x[0-9a-f]*\) .*/\1/p' "$1" | sort -u | wc -l; }

run_suite() { # backend database-url provider-address
  local be=$1 provider=$3
  PROV=$provider
  export DATABASE_URL=$2
  local sub=$H_TMP/sub-$be.out
  "$AGENTSIM" --address "$provider" --count 100000 --timeout 600 --work-ms 0 >"$sub" 2>&1 &
  track $!
  wait_for "subscriber" 10 grep -q ready "$sub"
  local before; before=$(stream_count); before=${before:-0}

  # Crash loop: SIGKILL the dispatcher at random moments and restart it at once.
  start_lamda disp-$be job-dispatcher
  (
    while [ ! -f "$H_TMP/stop-killer" ]; do
      sleep "0.$((RANDOM % 8 + 2))"
      pid=$(cat "$H_TMP/disp.pid" 2>/dev/null)
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && echo kill >>"$H_TMP/kills-$be"
      "$LAMDA" job-dispatcher >>"$H_TMP/disp-$be.log" 2>&1 &
      echo $! >"$H_TMP/disp.pid"
    done
  ) &
  local killer=$!
  local pidvar=LAMDA_PID_disp_$be
  echo "${!pidvar}" >"$H_TMP/disp.pid"
  local i
  for i in $(seq "$N_KILL"); do
    "$LAMDADEV" send --rpc "$BSC_RPC" --key $ANVIL_KEY1 --to $JM --no-wait \
      'createJob(bytes32,address)' "$(new_job_id)" "$provider" --value 1000 >/dev/null || not_ok "$be: create job $i"
  done
  touch "$H_TMP/stop-killer"
  wait $killer
  rm -f "$H_TMP/stop-killer"
  local disp; disp=$(cat "$H_TMP/disp.pid")
  track "$disp"
  echo "# $be: dispatcher SIGKILLed $(wc -l <"$H_TMP/kills-$be") times while $N_KILL jobs were created"
  check "$be: all $N_KILL jobs recorded and sent" wait_for "outbox drained" 60 sent_is "$N_KILL" ||
    echo "# $be: jobs=$(db_q 'select count(*) from jobs') sent=$(db_q 'select count(*) from outbox where sent_at is not null') unsent=$(db_q 'select count(*) from outbox where sent_at is null')"
  check_eq "$be: stream holds each job once" "$(( $(stream_count) - before ))" "$N_KILL"
  wait_for "subscriber catches up" 60 bash -c "[ \$(grep -c '^recv ' $sub) -ge $N_KILL ]"
  check_eq "$be: the agent got each job once (total)" "$(sub_count "$sub")" "$N_KILL"
  check_eq "$be: the agent got each job once (distinct)" "$(sub_distinct "$sub")" "$N_KILL"

  # NATS outage: the follower keeps applying, the outbox grows, then drains once.
  stop_nats
  for i in $(seq "$N_OUTAGE"); do
    "$LAMDADEV" send --rpc "$BSC_RPC" --key $ANVIL_KEY1 --to $JM --no-wait \
      'createJob(bytes32,address)' "$(new_job_id)" "$provider" --value 1000 >/dev/null
  done
  check "$be: jobs keep being recorded while NATS is down" wait_for "jobs recorded" 20 unsent_is "$N_OUTAGE"
  sleep 10
  restart_nats
  local total=$((N_KILL + N_OUTAGE))
  check "$be: outbox drained after NATS returned" wait_for "outbox drained" 60 unsent_is 0
  check_eq "$be: stream holds each job once after the outage" "$(( $(stream_count) - before ))" "$total"
  wait_for "subscriber catches up" 60 bash -c "[ \$(grep -c '^recv ' $sub) -ge $total ]"
  check_eq "$be: the agent got each job once after the outage" "$(sub_count "$sub")" "$total"
  check_eq "$be: distinct after the outage" "$(sub_distinct "$sub")" "$total"
  check_eq "$be: durable consumer sees each job once" \
    "$("$NATSPROBE" js-consume LAMDA_DISPATCH "durable-$be" 2000 | grep -c "lamda.dispatch.$provider")" "$total"
  kill -TERM "$disp"; wait "$disp" 2>/dev/null
}

for be in ${SUITES:-sqlite postgres}; do
  case $be in
    sqlite) run_suite sqlite "sqlite:$H_TMP/d.db" "$ANVIL_ADDR3" ;;
    postgres) run_suite postgres "$PG_URL" "$ANVIL_ADDR4" ;;
  esac
done
finish
