# chain.sh — sourced after harness.sh: deploy the devnet contracts on harness anvils and drive
# them with build/lamdadev, plus database queries that work on both backends.
#
#   deploy_contracts          # needs BSC_RPC, OPBNB_RPC; sets JM, NR, JM_BLOCK, NR_BLOCK
#   nr_send KEY SIG ARGS...   # send to NodeReputation on opBNB
#   jm_send KEY SIG ARGS...   # send to JobManager on BSC
#   db_q SQL                  # one query on $DATABASE_URL (sqlite:… or postgres://…)
#   start_chains_and_postgres # both anvils, PostgreSQL, the contracts, lamda_env (or not_ok + finish)
#   create_confirm N KEY PROV # N jobs for PROV, each created and confirmed by KEY's renter
#   followed_logs             # the NodeReputation logs node-registry follows, counted on chain

deploy_contracts() {
  local out
  out=$("$ROOT/scripts/devnet.sh" deploy "$BSC_RPC" "$OPBNB_RPC") || return 1
  JM=$(sed -n 's/^JOB_MANAGER_CONTRACT_ADDRESS=//p' <<<"$out")
  NR=$(sed -n 's/^NODE_REPUTATION_CONTRACT_ADDRESS=//p' <<<"$out")
  JM_BLOCK=$(sed -n 's/^JOB_MANAGER_START_BLOCK=//p' <<<"$out")
  NR_BLOCK=$(sed -n 's/^NODE_REPUTATION_START_BLOCK=//p' <<<"$out")
  [ -n "$JM" ] && [ -n "$NR" ]
}

nr_send() { local key=$1; shift; "$LAMDADEV" send --rpc "$OPBNB_RPC" --key "$key" --to "$NR" "$@" >/dev/null; }
# nr_traffic KEY... -- ADDR...: heartbeats from the keys in turn and an incrementJobs (admin key
# ANVIL_KEY0) for the addresses in turn, straight to anvil, until killed (run it with &).
nr_traffic() {
  local keys=() addrs=() i=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do keys+=("$1"); shift; done
  shift
  addrs=("$@")
  while :; do
    nr_send "${keys[$((i % ${#keys[@]}))]}" 'sendHeartbeat()'
    nr_send "$ANVIL_KEY0" 'incrementJobs(address)' "${addrs[$((i % ${#addrs[@]}))]}"
    i=$((i + 1))
  done
}
jm_send() { local key=$1; shift; "$LAMDADEV" send --rpc "$BSC_RPC" --key "$key" --to "$JM" "$@" >/dev/null; }
nr_call() { "$LAMDADEV" call --rpc "$OPBNB_RPC" --to "$NR" "$@"; }
jm_call() { "$LAMDADEV" call --rpc "$BSC_RPC" --to "$JM" "$@"; }

db_q() {
  case "$DATABASE_URL" in
    # .timeout: wait for a service's write transaction instead of failing "database is locked"
    sqlite:*) sqlite3 -batch -noheader -cmd ".timeout 5000" "${DATABASE_URL#sqlite:}" "$1" ;;
    *) "$PG_BIN/psql" -X -A -t -q "$DATABASE_URL" -c "$1" ;;
  esac
}

# Lowercase hex of an address column, the same on both backends.
addr_hex_sql() { case "$DATABASE_URL" in sqlite:*) echo "lower(hex($1))" ;; *) echo "encode($1,'hex')" ;; esac; }

# wait_for DESCRIPTION SECONDS CMD... : poll until CMD succeeds.
wait_for() {
  local what=$1 secs=$2; shift 2
  local i
  for i in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
  echo "timed out waiting for: $what" >&2
  return 1
}

# The base environment for lamda services against the harness parts.
lamda_env() {
  export BSC_RPC_URL=$BSC_RPC OPBNB_RPC_URL=$OPBNB_RPC
  export JOB_MANAGER_CONTRACT_ADDRESS=$JM NODE_REPUTATION_CONTRACT_ADDRESS=$NR
  export JOB_MANAGER_START_BLOCK=$JM_BLOCK NODE_REPUTATION_START_BLOCK=$NR_BLOCK
  export BSC_CONFIRMATIONS=0 OPBNB_CONFIRMATIONS=0 POLL_INTERVAL=50ms
  export LAMDA_DOTENV=/nonexistent LOG_LEVEL=${LOG_LEVEL:-info}
}

# start_lamda NAME SUBCOMMAND : run build/lamda in the background, log to $H_TMP/NAME.log;
# sets LAMDA_PID_<NAME> (dashes become underscores).
start_lamda() {
  "$LAMDA" "$2" >>"$H_TMP/$1.log" 2>&1 &
  local pid=$!
  track $pid
  printf -v "LAMDA_PID_${1//-/_}" '%s' "$pid"
}

# Job specs (see src/services/job_specs.h for the signed message).
new_job_id() { echo "0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"; }
spec_msg() { printf 'lamda:job-spec\njob:%s\nimage:%s\ninput:%s' "$(tr 'A-F' 'a-f' <<<"$1")" "$2" "$3"; }
# post_spec KEY JOBID IMAGE CID → prints the HTTP status; the body is in $H_TMP/spec.json
post_spec() {
  local sig
  sig=$("$LAMDADEV" sign-message --key "$1" "$(spec_msg "$2" "$3" "$4")") || return 1
  curl -s -o "$H_TMP/spec.json" -w '%{http_code}' -X POST -H 'content-type: application/json' \
    -d "{\"jobId\":\"$2\",\"dockerImage\":\"$3\",\"inputFileCID\":\"$4\",\"signature\":\"$sig\"}" "$API_URL/api/jobs"
}
# create_job RENTER_KEY JOBID PROVIDER_ADDR [WEI]
create_job() { jm_send "$1" 'createJob(bytes32,address)' "$2" "$3" --value "${4:-1000000000000000}"; }
job_status() { db_q "select status from jobs where $(addr_hex_sql job_id) = lower('${1#0x}')"; }
job_status_is() { [ "$(job_status "$1")" = "$2" ]; }
# outbox_sent_is N / outbox_unsent_is N
outbox_sent_is() { [ "$(db_q 'select count(*) from outbox where sent_at is not null' 2>/dev/null)" = "$1" ]; }
outbox_unsent_is() { [ "$(db_q 'select count(*) from outbox where sent_at is null' 2>/dev/null)" = "$1" ]; }

# The parts most follower tests share: both chains, PostgreSQL, the contracts, the environment.
start_chains_and_postgres() {
  start_anvil BSC 97 || { not_ok "anvil BSC starts"; finish; }
  start_anvil OPBNB 5611 || { not_ok "anvil opBNB starts"; finish; }
  start_postgres || { not_ok "postgres starts"; finish; }
  deploy_contracts || { not_ok "contracts deploy"; finish; }
  lamda_env
}

# create_confirm N RENTER_KEY PROVIDER: N jobs, each created and then confirmed (no wait for mining).
create_confirm() {
  local i id
  for i in $(seq "$1"); do
    id=$(new_job_id)
    "$LAMDADEV" send --rpc "$BSC_RPC" --key "$2" --to "$JM" --no-wait 'createJob(bytes32,address)' "$id" "$3" --value 1000 >/dev/null
    "$LAMDADEV" send --rpc "$BSC_RPC" --key "$2" --to "$JM" --no-wait 'confirmResult(bytes32)' "$id" >/dev/null
  done
}

# NodeRegistered + NodeHeartbeat + JobCountIncremented on chain: what node-registry's ledger holds.
followed_logs() {
  local n=0 e
  for e in NodeRegistered NodeHeartbeat JobCountIncremented; do
    n=$((n + $("$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count $e)))
  done
  echo $n
}
