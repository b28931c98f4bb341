#!/usr/bin/env bash
# demo.sh — `make demo`: the whole Lamda flow against a running lamda, one timed step at a time.
#
#   provider registers + heartbeats on opBNB → the API lists it online → a simulated agent
#   (build/agentsim) subscribes to jobs.dispatch.<provider> → the renter signs a job spec and
#   POSTs it to /api/jobs → the renter creates a paid job on BSC → the agent receives it and
#   reports processing, then completed → the API shows it completed → the renter confirms →
#   incrementJobs is mined on opBNB → the API shows the job confirmed and the count raised.
#
# Where things are: every variable below may come from the environment; what is not set there
# is read from $RUN_DIR/run.env (written by `make run`), then $DEVNET_DIR/devnet.env.
#   API_URL  NATS_URL  BSC_RPC_URL  OPBNB_RPC_URL
#   JOB_MANAGER_CONTRACT_ADDRESS  NODE_REPUTATION_CONTRACT_ADDRESS
# Demo parameters: DEMO_PROVIDER_KEY, DEMO_RENTER_KEY (default: anvil's public test accounts
# 1 and 2; on real chains use funded keys of yours, as 0x…, env:NAME or @FILE),
# DEMO_PAYMENT_WEI (default 0.01 ether), DEMO_IMAGE, DEMO_INPUT_CID, DEMO_TIMEOUT (seconds each
# waiting step may take, default 30).
#
# Output: one line per step, "step N ok MS ms: WHAT" (MS = that step's latency), or
# "step N FAILED: WHAT: WHY" and exit status 1 at the first step that fails; "demo: done" last.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
LAMDADEV=$ROOT/$BUILD/lamdadev
AGENTSIM=$ROOT/$BUILD/agentsim
NATSPROBE=$ROOT/$BUILD/natsprobe
RUN_DIR=${RUN_DIR:-$ROOT/.run}
DEVNET_DIR=${DEVNET_DIR:-$ROOT/.devnet}

# Fill variables from KEY=VALUE files without overriding the environment.
load_env() {
  [ -f "$1" ] || return 0
  local k v
  while IFS='=' read -r k v; do
    [[ "$k" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    [ -n "${!k:-}" ] || export "$k=$v"
  done <"$1"
}
load_env "$RUN_DIR/run.env"
load_env "$DEVNET_DIR/devnet.env"
API_URL=${API_URL:-http://127.0.0.1:${API_PORT:-8080}}
API_URL=${API_URL%/}
NATS_URL=${NATS_URL:-nats://127.0.0.1:4222}
PROVIDER_KEY=${DEMO_PROVIDER_KEY:-0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d}
RENTER_KEY=${DEMO_RENTER_KEY:-0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a}
PAYMENT=${DEMO_PAYMENT_WEI:-10000000000000000}
IMAGE=${DEMO_IMAGE:-docker.io/library/python:3.12-slim}
INPUT_CID=${DEMO_INPUT_CID:-QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG}
TIMEOUT=${DEMO_TIMEOUT:-30}
export NATS_URL

TMP=$(mktemp -d /tmp/lamda-demo.XXXXXX)
PIDS=() WITNESS_PID=
cleanup() {
  local p
  # natsprobe sub waits out its timeout even after SIGTERM; it only reads, so KILL is safe.
  [ -n "$WITNESS_PID" ] && kill -KILL "$WITNESS_PID" 2>/dev/null
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STEP=0 T0=0
now_ms() { date +%s%3N; }
begin() { STEP=$((STEP + 1)); WHAT=$1; T0=$(now_ms); }
pass() { echo "step $STEP ok $(( $(now_ms) - T0 )) ms: $WHAT${1:+ ($1)}"; }
fail() { echo "step $STEP FAILED: $WHAT: $*"; exit 1; }

# The message a renter signs for POST /api/jobs (src/services/job_specs.h): four lines, LF,
# no trailing newline. The job id is 0x + 64 lowercase hex digits.
spec_message() { printf 'lamda:job-spec\njob:%s\nimage:%s\ninput:%s' "$1" "$2" "$3"; }

# json PATH < JSON: the value at a dotted path ("data.status"), empty when absent.
json() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{let v=JSON.parse(s);
    for(const k of process.argv[1].split("."))v=v==null?undefined:v[k];
    if(v!==undefined&&v!==null)process.stdout.write(typeof v==="object"?JSON.stringify(v):String(v))}catch(e){}})' "$1"
}
api_get() { curl -s -m 5 "$API_URL$1"; }
# poll SECONDS CMD...: until CMD succeeds.
poll() { local end=$(( $(date +%s) + $1 )); shift; until "$@"; do [ "$(date +%s)" -lt $end ] || return 1; sleep 0.1; done; }
send() { # RPC CONTRACT KEY [lamdadev send options and call]...
  local rpc=$1 to=$2 key=$3; shift 3
  "$LAMDADEV" send --rpc "$rpc" --key "$key" --to "$to" "$@" >"$TMP/send.out" 2>&1 ||
    fail "$(tr '\n' ' ' <"$TMP/send.out")"
}

for v in BSC_RPC_URL OPBNB_RPC_URL JOB_MANAGER_CONTRACT_ADDRESS NODE_REPUTATION_CONTRACT_ADDRESS; do
  [ -n "${!v:-}" ] || { echo "demo: $v is not known: start lamda with make run (or set it)" >&2; exit 1; }
done
for b in "$LAMDADEV" "$AGENTSIM" "$NATSPROBE"; do [ -x "$b" ] || { echo "demo: $b is not built (run make)" >&2; exit 1; }; done
BSC=${BSC_RPC_URL%%,*} OPBNB=${OPBNB_RPC_URL%%,*}
JM=$JOB_MANAGER_CONTRACT_ADDRESS NR=$NODE_REPUTATION_CONTRACT_ADDRESS
PROVIDER=$("$LAMDADEV" address "$PROVIDER_KEY") || { echo "demo: bad DEMO_PROVIDER_KEY" >&2; exit 1; }
RENTER=$("$LAMDADEV" address "$RENTER_KEY") || { echo "demo: bad DEMO_RENTER_KEY" >&2; exit 1; }
JOB_ID=0x$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
# With the accounts of `make run` (NATS_AUTH_DIR), the agent connects as the provider's own user.
AGENT_NATS_URL=$NATS_URL
if [ -n "${NATS_AUTH_DIR:-}" ] && [ -f "$NATS_AUTH_DIR/providers/$PROVIDER.password" ]; then
  AGENT_NATS_URL=$("$ROOT/$BUILD/natsauth" url "$NATS_AUTH_DIR" "$PROVIDER" "$(sed 's|://[^@]*@|://|' <<<"$NATS_URL")")
fi
echo "demo: API $API_URL, NATS $(sed 's|://[^@]*@|://|' <<<"$NATS_URL")"
echo "demo: watch it live on the dashboard: $API_URL/dashboard"
echo "demo: provider $PROVIDER, renter $RENTER, job $JOB_ID"

begin "the API is up ($API_URL/health)"
poll 10 curl -fs -m 2 -o /dev/null "$API_URL/health" || fail "no answer from $API_URL/health (is make run running?)"
pass

COUNT_BEFORE=$("$LAMDADEV" call --rpc "$OPBNB" --to "$NR" 'successfulJobsCount(address)' "$PROVIDER" --returns uint256) ||
  { echo "demo: cannot read successfulJobsCount on $OPBNB" >&2; exit 1; }

begin "provider registers on opBNB: registerNode(\"RTX 4090\", 24576)"
send "$OPBNB" "$NR" "$PROVIDER_KEY" 'registerNode(string,uint256)' "RTX 4090" 24576
pass

begin "provider sends a heartbeat on opBNB: sendHeartbeat()"
send "$OPBNB" "$NR" "$PROVIDER_KEY" 'sendHeartbeat()'
pass

begin "the API lists the provider online (GET /api/nodes/$PROVIDER)"
node_online() { local j; j=$(api_get "/api/nodes/$PROVIDER"); [ "$(json data.is_online <<<"$j")" = true ] && [ "$(json data.gpu_model <<<"$j")" = "RTX 4090" ]; }
poll "$TIMEOUT" node_online || fail "not online after ${TIMEOUT}s: $(api_get "/api/nodes/$PROVIDER")"
pass

begin "the simulated agent subscribes to jobs.dispatch.$PROVIDER"
"$AGENTSIM" --key "$PROVIDER_KEY" --nats "$AGENT_NATS_URL" --once --timeout $((TIMEOUT * 3)) >"$TMP/agent.out" 2>"$TMP/agent.err" &
AGENT_PID=$!
PIDS+=($AGENT_PID)
# An independent witness of what the agent reports on agent.status (with the accounts of
# `make run`, lamda's account sees the provider's reports as agent.status.<provider>).
STATUS_SUBJECT=agent.status
[ "$AGENT_NATS_URL" != "$NATS_URL" ] && STATUS_SUBJECT=agent.status.$PROVIDER
"$NATSPROBE" sub "$STATUS_SUBJECT" 1000 $((TIMEOUT * 3000)) >"$TMP/status.out" 2>/dev/null &
WITNESS_PID=$!
PIDS+=($!)
agent_ready() { grep -q '^ready ' "$TMP/agent.out" && grep -q '^ready' "$TMP/status.out"; }
poll 15 agent_ready || fail "agentsim not ready: $(cat "$TMP/agent.err" | tail -3)"
pass

begin "the renter signs the job spec and POSTs it to /api/jobs"
SIG=$("$LAMDADEV" sign-message --key "$RENTER_KEY" "$(spec_message "$JOB_ID" "$IMAGE" "$INPUT_CID")") || fail "sign-message failed"
BODY=$(printf '{"jobId":"%s","dockerImage":"%s","inputFileCID":"%s","signature":"%s"}' "$JOB_ID" "$IMAGE" "$INPUT_CID" "$SIG")
CODE=$(curl -s -m 10 -o "$TMP/spec.out" -w '%{http_code}' -H 'content-type: application/json' -d "$BODY" "$API_URL/api/jobs")
[[ "$CODE" == 2?? ]] || fail "HTTP $CODE: $(cat "$TMP/spec.out")"
pass "HTTP $CODE"

begin "the renter creates a paid job on BSC: createJob(jobId, provider) with $PAYMENT wei"
T_CREATE=$(now_ms)
send "$BSC" "$JM" "$RENTER_KEY" --value "$PAYMENT" 'createJob(bytes32,address)' "$JOB_ID" "$PROVIDER"
pass "$(grep -o 'block=[0-9]*' "$TMP/send.out")"

begin "the agent receives the job on jobs.dispatch.$PROVIDER"
agent_got() { grep -q "^job $JOB_ID " "$TMP/agent.out"; }
poll "$TIMEOUT" agent_got || fail "no job message within ${TIMEOUT}s (agent: $(tail -2 "$TMP/agent.out" "$TMP/agent.err" | tr '\n' ' '))"
LINE=$(grep "^job $JOB_ID " "$TMP/agent.out")
AT_MS=$(sed -n 's/.* at_ms=\([0-9]*\).*/\1/p' <<<"$LINE")
OUTPUT_CID=$(sed -n 's/.* output=\([^ ]*\).*/\1/p' <<<"$LINE")
grep -q " image=$IMAGE input=$INPUT_CID " <<<"$LINE" || fail "wrong job content: $LINE"
T0=$T_CREATE
echo "step $STEP ok $(( AT_MS - T_CREATE )) ms: $WHAT (from createJob sent to the agent's receipt)"

begin "the agent reports processing, then completed with output CID $OUTPUT_CID (agent.status)"
reported() { [ "$(grep -c "\"job_id\":\"$JOB_ID\"" "$TMP/status.out")" -ge 2 ]; }
poll 10 reported || fail "agent.status carried: $(grep -c "$JOB_ID" "$TMP/status.out") message(s)"
STATUSES=$(grep "\"job_id\":\"$JOB_ID\"" "$TMP/status.out" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' | tr '\n' ' ')
[ "$STATUSES" = "processing completed " ] || fail "statuses in order: $STATUSES"
grep "\"job_id\":\"$JOB_ID\"" "$TMP/status.out" | tail -1 | grep -q "\"output_cid\":\"$OUTPUT_CID\"" || fail "output CID not reported"
pass

begin "the API shows the job ran and completed with its output CID (GET /api/jobs/$JOB_ID)"
job_field_is() { [ "$(api_get "/api/jobs/$JOB_ID" | json "data.$1")" = "$2" ]; }
job_completed() {
  local j; j=$(api_get "/api/jobs/$JOB_ID")
  [ "$(json data.status <<<"$j")" = completed ] && [ "$(json data.output_file_cid <<<"$j")" = "$OUTPUT_CID" ] &&
    [ -n "$(json data.running_at <<<"$j")" ] # processing was applied on the way
}
poll "$TIMEOUT" job_completed || fail "job is: $(api_get "/api/jobs/$JOB_ID")"
pass

begin "the renter confirms the result on BSC: confirmResult(jobId)"
send "$BSC" "$JM" "$RENTER_KEY" 'confirmResult(bytes32)' "$JOB_ID"
T_CONFIRM=$T0
pass "$(grep -o 'block=[0-9]*' "$TMP/send.out")"

begin "incrementJobs($PROVIDER) is mined on opBNB (successfulJobsCount $COUNT_BEFORE → $((COUNT_BEFORE + 1)))"
T0=$T_CONFIRM
count_raised() {
  [ "$("$LAMDADEV" call --rpc "$OPBNB" --to "$NR" 'successfulJobsCount(address)' "$PROVIDER" --returns uint256)" = $((COUNT_BEFORE + 1)) ]
}
poll "$TIMEOUT" count_raised || fail "successfulJobsCount is still $("$LAMDADEV" call --rpc "$OPBNB" --to "$NR" 'successfulJobsCount(address)' "$PROVIDER" --returns uint256)"
pass "from confirmResult sent"

begin "the API shows the job confirmed"
poll "$TIMEOUT" job_field_is status confirmed || fail "job is: $(api_get "/api/jobs/$JOB_ID")"
pass

begin "the API shows the provider's job count raised to $((COUNT_BEFORE + 1))"
count_shown() { [ "$(api_get "/api/nodes/$PROVIDER" | json data.total_jobs_completed)" = $((COUNT_BEFORE + 1)) ]; }
poll "$TIMEOUT" count_shown || fail "node is: $(api_get "/api/nodes/$PROVIDER")"
pass

wait "$AGENT_PID" 2>/dev/null
echo "demo: done ($STEP steps)"
echo "demo: dashboard $API_URL/dashboard (live over $API_URL/api/events)"
