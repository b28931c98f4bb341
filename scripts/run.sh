#!/usr/bin/env bash
# run.sh — `make run`: everything lamda needs on this machine, in one terminal, on loopback.
#
#   1. the devnet (scripts/devnet.sh up: two anvil chains with the contracts deployed), unless
#      BSC_RPC_URL and OPBNB_RPC_URL (environment or .env) point at a non-local RPC;
#   2. nats-server with JetStream (data in $RUN_DIR/nats), on the port of NATS_URL (default
#      4222), unless NATS_URL points at another host; a server already listening is reused;
#   3. `lamda all` on DATABASE_URL when it is configured, else SQLite in $RUN_DIR/lamda.db (or
#      $DATA_DIR/lamda.db when DATA_DIR is configured). PostgreSQL is never started here.
#
# Then it prints the API URL and what runs where, and waits. Ctrl-C (SIGINT) or SIGTERM stops
# every process this script started — and only those; a devnet or nats-server that was already
# running is left alone.
#
# Overrides (for tests and for a second instance): RUN_DIR (default .run), DEVNET_DIR,
# DEVNET_BSC_PORT, DEVNET_OPBNB_PORT, NATS_URL, API_PORT, LAMDA_DOTENV (default ./.env).
#
# Written to $RUN_DIR: lamda.log, nats.log, pids (NAME PID per line: what the latest run
# started) and run.env
# (API_URL, NATS_URL, chain URLs and contract addresses) which scripts/demo.sh reads.
set -uo pipefail
# A shell started in the background without job control ignores SIGINT, and bash cannot trap a
# signal ignored at entry; start again with its default action so Ctrl-C/kill -INT still stop us.
if [ "$(trap -p INT)" = "trap -- '' SIGINT" ] && [ -z "${LAMDA_RUN_REEXEC:-}" ]; then
  LAMDA_RUN_REEXEC=1 exec env --default-signal=INT "$0" "$@"
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
LAMDA=$ROOT/$BUILD/lamda
RUN_DIR=${RUN_DIR:-$ROOT/.run}
export DEVNET_DIR=${DEVNET_DIR:-$ROOT/.devnet}
DOTENV=${LAMDA_DOTENV:-.env}

say() { echo "run: $*" >&2; }
die() { echo "run: error: $*" >&2; exit 1; }

# dotenv_get NAME: the value of NAME in the .env file, with the quoting rules lamda applies
# (KEY=VALUE, '#' comments, optional "export ", optional matching quotes; the last one wins).
dotenv_get() {
  [ -f "$DOTENV" ] || return 0
  sed -n -E "s/^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=[[:space:]]*(.*[^[:space:]])?[[:space:]]*$/\2/p" "$DOTENV" |
    tail -1 | sed -E "s/^\"(.*)\"$/\1/; s/^'(.*)'$/\1/"
}
# cfg NAME: the environment wins over .env, as in lamda itself.
cfg() { if [ -n "${!1:-}" ]; then echo "${!1}"; else dotenv_get "$1"; fi; }

# is_local URL: the host is loopback (or absent).
is_local() {
  local host
  host=$(sed -E 's#^[a-z+]+://##; s#^[^@/]*@##; s#[/?].*$##; s#:[0-9]+$##; s#^\[(.*)\]$#\1#' <<<"${1%%,*}")
  case "$host" in ''|127.*|localhost|::1) return 0 ;; *) return 1 ;; esac
}
url_port() { sed -n -E 's#^[a-z]+://([^@/]*@)?[^:/]+:([0-9]+).*#\2#p' <<<"${1%%,*}"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

[ -x "$LAMDA" ] || die "$LAMDA is not built (run make)"
mkdir -p "$RUN_DIR" || die "cannot create $RUN_DIR"
: >"$RUN_DIR/pids"

STARTED=()       # "name pid" of every process we started, stopped in reverse order
DEVNET_OURS=0    # 1 when this script brought the devnet up (so it takes it down)
STOPPING=0

cleanup() {
  [ $STOPPING = 1 ] && return
  STOPPING=1
  trap '' INT TERM
  local i name pid
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    read -r name pid <<<"${STARTED[$i]}"
    kill -0 "$pid" 2>/dev/null || continue
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name did not stop in 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
  done
  if [ $DEVNET_OURS = 1 ]; then "$ROOT/scripts/devnet.sh" down >&2 || true; fi
  say "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

record() { STARTED+=("$1 $2"); echo "$1 $2" >>"$RUN_DIR/pids"; }

# ---- chains -------------------------------------------------------------------------------------
BSC_CFG=$(cfg BSC_RPC_URL)
OPBNB_CFG=$(cfg OPBNB_RPC_URL)
EXTERNAL_CHAINS=0
if [ -n "$BSC_CFG" ] && ! is_local "$BSC_CFG"; then EXTERNAL_CHAINS=1; fi
if [ -n "$OPBNB_CFG" ] && ! is_local "$OPBNB_CFG"; then EXTERNAL_CHAINS=$((EXTERNAL_CHAINS + 2)); fi
case $EXTERNAL_CHAINS in
  0)
    if "$ROOT/scripts/devnet.sh" status >/dev/null 2>&1; then
      say "devnet already running in $DEVNET_DIR: reusing it (it stays up after Ctrl-C)"
    else
      DEVNET_OURS=1
    fi
    "$ROOT/scripts/devnet.sh" up || die "the devnet did not start (see $DEVNET_DIR/*.log)"
    if [ $DEVNET_OURS = 1 ]; then # stopped by devnet.sh down, listed for the record
      echo "devnet-bsc $(cat "$DEVNET_DIR/bsc.pid")" >>"$RUN_DIR/pids"
      echo "devnet-opbnb $(cat "$DEVNET_DIR/opbnb.pid")" >>"$RUN_DIR/pids"
    fi
    set -a
    # shellcheck disable=SC1091
    source "$DEVNET_DIR/devnet.env"
    set +a
    CHAINS="devnet: BSC $BSC_RPC_URL (pid $(cat "$DEVNET_DIR/bsc.pid" 2>/dev/null)), opBNB $OPBNB_RPC_URL (pid $(cat "$DEVNET_DIR/opbnb.pid" 2>/dev/null)), logs $DEVNET_DIR/{bsc,opbnb}.log"
    ;;
  3)
    export BSC_RPC_URL=$BSC_CFG OPBNB_RPC_URL=$OPBNB_CFG
    for v in JOB_MANAGER_CONTRACT_ADDRESS NODE_REPUTATION_CONTRACT_ADDRESS; do
      [ -n "$(cfg $v)" ] || die "$v must be set when BSC_RPC_URL/OPBNB_RPC_URL point at real chains"
      export "$v=$(cfg $v)"
    done
    CHAINS="configured RPCs: BSC ${BSC_RPC_URL%%,*}, opBNB ${OPBNB_RPC_URL%%,*} (no devnet started)"
    ;;
  *)
    die "BSC_RPC_URL and OPBNB_RPC_URL must both be remote (real chains) or both local (devnet); got '$BSC_CFG' and '$OPBNB_CFG'"
    ;;
esac

# ---- NATS ---------------------------------------------------------------------------------------
NATS_CFG=$(cfg NATS_URL)
NATS_URL=${NATS_CFG:-nats://127.0.0.1:4222}
export NATS_URL
if is_local "$NATS_URL"; then
  NATS_PORT=$(url_port "$NATS_URL"); NATS_PORT=${NATS_PORT:-4222}
  if port_open "$NATS_PORT"; then
    NATS_DESC="nats-server already listening on port $NATS_PORT: reused (not ours, stays up)"
  else
    command -v nats-server >/dev/null || die "nats-server is not installed (run make bootstrap)"
    mkdir -p "$RUN_DIR/nats"
    # One NATS account per provider (tools/natsauth.c, docs/reliability.md "Security"): the
    # devnet's demo provider (anvil account 1) and any in NATS_PROVIDERS (comma-separated).
    # lamda connects as user "lamda"; `build/natsauth url $RUN_DIR/nats-auth ADDRESS URL`
    # prints an agent's NATS_URL.
    NATS_AUTH_DIR=$RUN_DIR/nats-auth
    "$ROOT/$BUILD/natsauth" init "$NATS_AUTH_DIR" >/dev/null || die "natsauth init failed"
    for a in 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 $(tr , " " <<<"${NATS_PROVIDERS:-}"); do
      "$ROOT/$BUILD/natsauth" add-provider "$NATS_AUTH_DIR" "$a" >/dev/null || die "natsauth add-provider $a failed"
    done
    nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$RUN_DIR/nats" -c "$NATS_AUTH_DIR/accounts.conf" >>"$RUN_DIR/nats.log" 2>&1 &
    record nats-server $!
    for _ in $(seq 100); do port_open "$NATS_PORT" && break; kill -0 $! 2>/dev/null || break; sleep 0.1; done
    port_open "$NATS_PORT" || die "nats-server did not open port $NATS_PORT (see $RUN_DIR/nats.log)"
    NATS_DESC="nats-server pid $! port $NATS_PORT, JetStream data $RUN_DIR/nats, log $RUN_DIR/nats.log, accounts $NATS_AUTH_DIR"
    NATS_URL=$("$ROOT/$BUILD/natsauth" url "$NATS_AUTH_DIR" lamda "$NATS_URL") || die "natsauth url failed"
  fi
else
  NATS_DESC="configured NATS $NATS_URL (none started)"
fi

# ---- database -----------------------------------------------------------------------------------
DB_CFG=$(cfg DATABASE_URL)
if [ -n "$DB_CFG" ]; then
  export DATABASE_URL=$DB_CFG
elif [ -n "$(cfg DATA_DIR)" ]; then
  DATA_DIR=$(cfg DATA_DIR); mkdir -p "$DATA_DIR"
  export DATABASE_URL=sqlite:$DATA_DIR/lamda.db
else
  export DATABASE_URL=sqlite:$RUN_DIR/lamda.db
fi
case "$DATABASE_URL" in
  postgres*) DB_DESC="PostgreSQL $(sed -E 's#//[^@/]*@#//***@#' <<<"$DATABASE_URL") (configured)" ;;
  *) DB_DESC="SQLite ${DATABASE_URL#sqlite:}" ;;
esac

# ---- lamda all ----------------------------------------------------------------------------------
API_PORT=$(cfg API_PORT); API_PORT=${API_PORT:-8080}
API_HOST=$(cfg API_HOST); API_HOST=${API_HOST:-127.0.0.1}
export API_PORT API_HOST
[ "$API_HOST" = 0.0.0.0 ] && URL_HOST=127.0.0.1 || URL_HOST=$API_HOST
API_URL=http://$URL_HOST:$API_PORT
port_open "$API_PORT" && die "port $API_PORT is in use (set API_PORT)"

"$LAMDA" all >>"$RUN_DIR/lamda.log" 2>&1 &
LAMDA_PID=$!
record lamda $LAMDA_PID
ready=0
for _ in $(seq 600); do
  kill -0 $LAMDA_PID 2>/dev/null || break
  if curl -fs -m 2 -o /dev/null "$API_URL/health"; then ready=1; break; fi
  sleep 0.1
done
if [ $ready = 0 ]; then
  tail -20 "$RUN_DIR/lamda.log" >&2
  die "lamda did not answer on $API_URL/health (log: $RUN_DIR/lamda.log)"
fi

(
  umask 077
  {
    echo "# Written by scripts/run.sh while it runs; read by scripts/demo.sh."
    echo "API_URL=$API_URL"
    echo "NATS_URL=$NATS_URL"
    echo "NATS_AUTH_DIR=${NATS_AUTH_DIR:-}"
    echo "BSC_RPC_URL=$BSC_RPC_URL"
    echo "OPBNB_RPC_URL=$OPBNB_RPC_URL"
    echo "JOB_MANAGER_CONTRACT_ADDRESS=${JOB_MANAGER_CONTRACT_ADDRESS:-}"
    echo "NODE_REPUTATION_CONTRACT_ADDRESS=${NODE_REPUTATION_CONTRACT_ADDRESS:-}"
  } >"$RUN_DIR/run.env"
)

cat >&2 <<EOF

  lamda is running.
    API        $API_URL   (try $API_URL/api/v1/nodes, $API_URL/api/openapi.json)
    DASHBOARD  $API_URL/dashboard   (live: followers, providers, jobs, outbox, reputation)
    lamda all  pid $LAMDA_PID, log $RUN_DIR/lamda.log
    database   $DB_DESC
    NATS       $NATS_DESC
    chains     $CHAINS

  In another terminal: make demo.   Ctrl-C here stops what this started.

EOF

# Wait for a signal (the traps above run cleanup) or for lamda to end on its own.
wait $LAMDA_PID
rc=$?
say "lamda exited with status $rc (log: $RUN_DIR/lamda.log)"
exit $((rc == 0 ? 1 : rc))
