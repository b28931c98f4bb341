#!/usr/bin/env bash
# Issue #16, no stranded jobs: every paid job reaches a live agent exactly once, or ends
# visibly (undelivered / stalled) at its deadline; none stays assigned. On SQLite and on
# PostgreSQL, all at once per backend:
#   A  agent offline when its 3 jobs are dispatched, back after 5 s
#   B  agent offline for STRANDED_LONG_OFFLINE seconds (default 15; 60 is the real case)
#   C  agent dies after reporting processing            → stalled at JOB_RUN_TIMEOUT
#   D  agent acknowledges 2 s late, 2 jobs one after the other (4 s < JOB_ACK_WAIT) → no second copy
#   E  no agent ever                                    → undelivered at JOB_DELIVERY_TIMEOUT
#   F  agent back after 10 s while the dispatcher is SIGKILLed around that moment
#   G  nats-server restarted while B's jobs wait
# Reports are kept by the LAMDA_STATUS stream until a dispatcher applies them, so F's reports,
# sent while its dispatcher is dead or restarting, are applied late but never lost: F completes.
# It prints the redelivery latency (agent subscribed → job received) for A, B and F.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
AGENTSIM=$ROOT/$BUILD/agentsim
LONG=${STRANDED_LONG_OFFLINE:-15}

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats && start_postgres || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
# An upgrade: the dispatch stream exists from before acknowledged delivery and republishes to
# jobs.dispatch.> (the server will not change that in place); the dispatcher must recreate it,
# or every job below would reach its agent twice.
"$ROOT/$BUILD/natsprobe" pub-dedup LAMDA_DISPATCH lamda.dispatch.old old-1 '{}' >/dev/null 2>&1 || not_ok "old stream made"
RENTER_KEY=$ANVIL_KEY1
IMAGE=nvidia/cuda:12.2.0-base-ubuntu22.04
CID=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG
export JOB_ACK_WAIT=8s JOB_RUN_TIMEOUT=5s JOB_DELIVERY_TIMEOUT=$((LONG + 20))s API_ADMIN_TOKEN=stranded-admin-token

new_addr() { echo "0x$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')"; }
lc() { tr 'A-F' 'a-f' <<<"$1"; }
received() { grep -c "^job $(lc "$2") " "$1" 2>/dev/null; }
job_error() { db_q "select error_message from jobs where $(addr_hex_sql job_id) = lower('${1#0x}')"; }
ALL_LAT=() F_LAT=()

run_suite() { # backend database-url
BE=$1
export DATABASE_URL=$2
export API_PORT=$(free_port) API_RATE_LIMIT=0
API_URL=http://127.0.0.1:$API_PORT
start_lamda "disp-$BE" job-dispatcher
start_lamda "api-$BE" api-gateway
wait_port "$API_PORT" || { not_ok "$BE: api starts"; return; }
declare -A ADDR
for s in A B C D E F; do ADDR[$s]=$(new_addr); done
D_ACK=2
start_agent() { # scenario count extra-args...
  local s=$1 n=$2; shift 2
  "$AGENTSIM" --address "${ADDR[$s]}" --count "$n" --timeout $((LONG + 40)) --work-ms 50 "$@" \
    >"$H_TMP/agent-$BE-$s.out" 2>"$H_TMP/agent-$BE-$s.err" &
  track $!
}
start_agent A 3 --offline-for 5
start_agent B 3 --offline-for "$LONG"
start_agent C 1 --die-mid-job
start_agent D 2 --slow-ack $D_ACK
start_agent F 5 --offline-for 10
T0=$(date +%s)
declare -A JOBS=([A]= [B]= [C]= [D]= [E]= [F]=)
for s in A B C D E F; do
  case $s in A|B|D) n=3 ;; C|E) n=1 ;; F) n=5 ;; esac
  for _ in $(seq $n); do
    j=$(new_job_id)
    JOBS[$s]="${JOBS[$s]} $j"
    post_spec $RENTER_KEY $j $IMAGE $CID >/dev/null
    create_job $RENTER_KEY $j "${ADDR[$s]}"
  done
done
ALLJOBS="${JOBS[A]}${JOBS[B]}${JOBS[C]}${JOBS[D]}${JOBS[E]}${JOBS[F]}"
echo "# $BE: 15 jobs created in $(( $(date +%s) - T0 )) s"

# F: SIGKILL the dispatcher three times around F's return (t = 10 s), restart at once.
kills=0
while [ $(( $(date +%s) - T0 )) -lt 9 ]; do sleep 0.1; done
for _ in 1 2 3; do
  pid_var=LAMDA_PID_disp_$BE
  kill -KILL "${!pid_var}" 2>/dev/null && kills=$((kills + 1))
  wait "${!pid_var}" 2>/dev/null
  start_lamda "disp-$BE" job-dispatcher
  sleep 0.$((RANDOM % 7 + 3))
done
echo "# $BE: dispatcher SIGKILLed $kills times around F's return"

# G: restart nats-server while B's jobs wait (B is offline until t = LONG).
while [ $(( $(date +%s) - T0 )) -lt 13 ]; do sleep 0.1; done
stop_nats; sleep 1; restart_nats || not_ok "$BE: nats-server restarts"
echo "# $BE: nats-server restarted at t=$(( $(date +%s) - T0 )) s"

# Everything settles by the delivery deadline (+ a few passes).
# F's agent reports while the dispatcher is being SIGKILLed: the stream keeps those reports for
# the next dispatcher, so F completes like the others (docs/design.md §7).
settled() {
  for s in A B D F; do for j in ${JOBS[$s]}; do job_status_is $j completed || return 1; done; done
  job_status_is ${JOBS[C]# } stalled && job_status_is ${JOBS[E]# } undelivered
}
wait_for "$BE: every job settles" $((LONG + 40)) settled
sleep 1

[ "$BE" = sqlite ] && check "$BE: the pre-#16 republishing stream was recreated without RePublish" \
  grep -q "recreated without RePublish" "$H_TMP/disp-$BE.log"
for s in A B D F; do
  for j in ${JOBS[$s]}; do
    check_eq "$BE: $s ${j:0:10} received exactly once by its agent" "$(received "$H_TMP/agent-$BE-$s.out" $j)" 1
    check_eq "$BE: $s ${j:0:10} completed" "$(job_status $j)" completed
  done
done
jc=${JOBS[C]# }
check_eq "$BE: C: the dying agent got its job once" "$(grep -c "^died $(lc $jc)" "$H_TMP/agent-$BE-C.out")" 1
check_eq "$BE: C: a running job whose agent died becomes stalled" "$(job_status $jc)" stalled
check "$BE: C: with the reason" grep -q "stalled: the agent reported processing" <<<"$(job_error $jc)"
je=${JOBS[E]# }
check_eq "$BE: E: a job nobody subscribed for becomes undelivered" "$(job_status $je)" undelivered
check "$BE: E: with the reason" grep -q "undelivered: no agent subscribed to jobs.dispatch" <<<"$(job_error $je)"
check_eq "$BE: E: the API shows it undelivered" \
  "$(curl -s "$API_URL/api/jobs/$je" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')" undelivered
check_eq "$BE: no job left assigned" "$(db_q "select count(*) from jobs where status = 'assigned'")" 0
check_eq "$BE: D: slow acknowledgement got no second copy" \
  "$(db_q "select max(copies) from deliveries where $(addr_hex_sql provider) = lower('${ADDR[D]#0x}')")" 1

# Operator redispatch of the undelivered job, to an agent that is now there.
"$AGENTSIM" --address "${ADDR[E]}" --count 1 --timeout 15 --work-ms 20 >"$H_TMP/agent-$BE-E.out" 2>/dev/null &
EPID=$!; track $EPID
wait_for "$BE: E agent" 10 grep -q '^ready' "$H_TMP/agent-$BE-E.out"
check_eq "$BE: redispatch needs the admin token" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API_URL/api/admin/jobs/$je/redispatch")" 401
check_eq "$BE: admin redispatch accepted" \
  "$(curl -s -o "$H_TMP/redispatch.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $API_ADMIN_TOKEN" "$API_URL/api/admin/jobs/$je/redispatch")" 200
check "$BE: redispatched job delivered and completed" wait_for "E completes" 15 job_status_is $je completed
check_eq "$BE: E received once after the redispatch" "$(received "$H_TMP/agent-$BE-E.out" $je)" 1
check_eq "$BE: redispatch of a completed job refused (409)" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $API_ADMIN_TOKEN" "$API_URL/api/admin/jobs/$je/redispatch")" 409

metrics=$(curl -s "$API_URL/metrics")
echo "$metrics" | grep -E '^lamda_(jobs_awaiting_agent|jobs_expired_total|dispatch_redeliveries|jobs_oldest_undelivered)' | sed "s/^/# $BE metric: /"

# Latency from the agent's subscription (its "ready") to each job's arrival: A and B (agent
# restarts, a NATS restart) against the target; F apart — a SIGKILL that lands between a
# copy's write-ahead and its outcome leaves it "maybe delivered", and it waits JOB_ACK_WAIT.
for s in A B F; do
  ready_ms=$(sed -n 's/^ready .* at_ms=\([0-9]*\)$/\1/p' "$H_TMP/agent-$BE-$s.out")
  for at in $(sed -n 's/^recv .* at_ms=\([0-9]*\)$/\1/p' "$H_TMP/agent-$BE-$s.out"); do
    if [ $s = F ]; then F_LAT+=($((at - ready_ms))); else ALL_LAT+=($((at - ready_ms))); fi
  done
done
pid_var=LAMDA_PID_api_$BE; kill -TERM "${!pid_var}"; wait "${!pid_var}" 2>/dev/null
pid_var=LAMDA_PID_disp_$BE; kill -TERM "${!pid_var}"; wait "${!pid_var}" 2>/dev/null
}

run_suite sqlite "sqlite:$H_TMP/stranded.db"
run_suite postgres "$PG_URL"

sorted=$(printf '%s\n' "${ALL_LAT[@]}" | sort -n)
n=$(wc -l <<<"$sorted")
p50=$(sed -n "$(( (n + 1) / 2 ))p" <<<"$sorted")
p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" <<<"$sorted")
echo "# redelivery latency after the agent subscribed (A, B): n=$n p50=${p50} ms p99=${p99} ms max=$(tail -1 <<<"$sorted") ms"
echo "# F (dispatcher SIGKILLed around the agent's return), ms: $(printf '%s\n' "${F_LAT[@]}" | sort -n | tr '\n' ' ')"
# The < 1 s target is a benchmark figure, not a timed check (a loaded CI machine is not the
# bench): it is printed above and recorded in docs/reliability.md §11.
check "redelivery latency measured" test -n "${p99:-}"
finish
