#!/usr/bin/env bash
# Reports survive the dispatcher's absence. The agent acknowledges a job late (--slow-ack), and
# the dispatcher is SIGKILLed after sending the job and before the reports; it comes back after
# they were published. The LAMDA_STATUS stream kept them, so the job completes and the agent
# gets it once (with core NATS alone the reports were lost and the job went out again after
# JOB_ACK_WAIT; the agent stays subscribed to show it). Also: a message published straight to
# the consumer's deliver subject is not a report, and the stream is bounded. SQLite and
# PostgreSQL.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
AGENTSIM=$ROOT/$BUILD/agentsim
NATSPROBE=$ROOT/$BUILD/natsprobe

NATS_MON=$(free_port)
start_anvil BSC 97 && start_anvil OPBNB 5611 && NATS_CONF="-m $NATS_MON" start_nats && start_postgres || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
RENTER_KEY=$ANVIL_KEY1
IMAGE=nvidia/cuda:12.2.0-base-ubuntu22.04
CID=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG
ACK_WAIT=10 SLOW=3
export JOB_ACK_WAIT=${ACK_WAIT}s API_RATE_LIMIT=0
lc() { tr 'A-F' 'a-f' <<<"$1"; }
got() { grep -c "^recv $(lc "$2") " "$1" 2>/dev/null; }

run_suite() { # backend database-url
BE=$1
export DATABASE_URL=$2 API_PORT=$(free_port)
API_URL=http://127.0.0.1:$API_PORT
start_lamda "disp-$BE" job-dispatcher
start_lamda "api-$BE" api-gateway
wait_port "$API_PORT" || { not_ok "$BE: api starts"; return; }
local addr out j pid_var t_recv
addr="0x$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')"
out=$H_TMP/agent-$BE.out
"$AGENTSIM" --address "$addr" --count 2 --timeout 60 --work-ms 50 --slow-ack $SLOW >"$out" 2>"$H_TMP/agent-$BE.err" &
track $!
wait_for "$BE: agent ready" 10 grep -q '^ready' "$out"
j=$(new_job_id)
post_spec $RENTER_KEY "$j" $IMAGE $CID >/dev/null
create_job $RENTER_KEY "$j" "$addr"
check "$BE: the job reaches the agent" wait_for "recv" 20 grep -q "^recv $(lc "$j") " "$out"
t_recv=$(date +%s)
# Its reports come $SLOW s after the job arrived: the dispatcher is gone by then.
pid_var=LAMDA_PID_disp_$BE
kill -KILL "${!pid_var}"; wait "${!pid_var}" 2>/dev/null
check "$BE: the agent reports while no dispatcher runs" wait_for "agent done" 15 grep -q "^job $(lc "$j") .*status=completed" "$out"
check_eq "$BE: and the job has not moved" "$(job_status "$j")" assigned
start_lamda "disp-$BE" job-dispatcher
check "$BE: the restarted dispatcher applies the kept reports" wait_for "completed" 20 job_status_is "$j" completed
# Past JOB_ACK_WAIT from the delivery: a copy sent again would have arrived.
while [ $(( $(date +%s) - t_recv )) -le $((ACK_WAIT + 3)) ]; do sleep 0.2; done
check_eq "$BE: the agent got the job once" "$(got "$out" "$j")" 1
check_eq "$BE: one copy recorded" \
  "$(db_q "select copies from deliveries where $(addr_hex_sql job_id) = lower('${j#0x}')")" 1
# A message on the deliver subject carries no agent.status subject: refused, not applied.
"$NATSPROBE" pub lamda.status.LAMDA_DISPATCH \
  "{\"agent_address\":\"$addr\",\"job_id\":\"$j\",\"status\":\"failed\"}" >/dev/null 2>&1
check "$BE: a publish to the deliver subject is refused" \
  wait_for "refusal" 10 grep -q "agent.status dropped: not an agent.status subject" "$H_TMP/disp-$BE.log"
check_eq "$BE: the job stays completed" "$(job_status "$j")" completed
local api_var=LAMDA_PID_api_$BE
kill -TERM "${!pid_var}" "${!api_var}" 2>/dev/null
wait "${!pid_var}" "${!api_var}" 2>/dev/null
}

run_suite sqlite "sqlite:$H_TMP/durable.db"
run_suite postgres "$PG_URL"

# The stream: interest retention (a report goes once every deployment took it) and bounded.
status_stream() { # JQ over LAMDA_STATUS's detail, from the server's monitoring port
  curl -fs -m 2 "http://127.0.0.1:$NATS_MON/jsz?accounts=true&streams=true&config=true" |
    jq -r "[.account_details[]?.stream_detail[]? | select(.name == \"LAMDA_STATUS\")][0] | $1"
}
check_eq "LAMDA_STATUS keeps reports for its consumers only (interest retention)" "$(status_stream .config.retention)" interest
check_eq "LAMDA_STATUS is bounded in bytes" "$(status_stream .config.max_bytes)" $((256 * 1024 * 1024))
check_eq "every report was acknowledged, so none is left" "$(status_stream .state.messages)" 0
finish
