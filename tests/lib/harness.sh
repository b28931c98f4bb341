# harness.sh — sourced by integration tests. Starts real services on free loopback ports in a
# throw-away directory and stops every one of them when the test exits, pass or fail.
#
#   source tests/lib/harness.sh
#   start_postgres        # sets PG_URL, PG_PORT, PG_DATA
#   start_nats            # sets NATS_URL, NATS_PORT
#   start_nats_cluster    # 3 routed JetStream servers; NATS_URL = the 3 seeds
#   start_pg_standby      # after start_postgres: a streaming hot standby; sets PG_STANDBY_URL
#   start_anvil NAME ID   # sets ${NAME}_RPC, ${NAME}_WS, ${NAME}_PORT (e.g. start_anvil BSC 97)
#   ok "name" / not_ok "name" "why" / check "name" cmd...   # TAP-style lines for tests/run.sh
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
LAMDA=$ROOT/$BUILD/lamda
LAMDADEV=$ROOT/$BUILD/lamdadev
ANVIL=$ROOT/tools/npm/node_modules/.bin/anvil
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# On the ASan build (make test-asan) every lamda that serves the API would end with
# LeakSanitizer reporting libh2o's per-thread recycle lists (third-party; see the file).
export LSAN_OPTIONS="suppressions=$ROOT/tests/integration/lsan-h2o.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
H_TMP=$(mktemp -d /tmp/lamda-test.XXXXXX)
chmod 755 "$H_TMP" # the postgres user must reach its data directory inside
H_PIDS=()
H_FAILED=0
[ "${KEEP_TMP:-0}" = 1 ] && echo "# keeping $H_TMP"

harness_cleanup() {
  local pid
  for pid in "${H_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${H_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  [ -n "${PG_DATA:-}" ] && [ -f "$PG_DATA/postmaster.pid" ] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1
  [ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$H_TMP"
}
trap harness_cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1${2:+: $2}"; H_FAILED=1; }
# check NAME CMD... : ok when CMD succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }
# check_eq NAME GOT WANT
check_eq() { if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi; }
# On a failure, the last lines of each service's log go to the output (tests/run.sh shows its
# tail), so a failure on a machine that is gone can still be read.
finish() {
  if [ "$H_FAILED" != 0 ]; then
    local f
    for f in "$H_TMP"/*.log; do
      [ -f "$f" ] || continue
      case $(basename "$f") in anvil-*|nats*|postgres*|pg*) continue ;; esac
      tail -n 4 "$f" | cut -c1-300 | sed "s|^|# $(basename "$f"): |"
    done
  fi
  exit "$H_FAILED"
}

# A port nothing listens on now. Random in a high range; checked by trying to connect.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((10000 + RANDOM % 22000)) # below the kernel's ephemeral range (32768+)
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

wait_port() { # port [seconds]
  local i
  for i in $(seq $(( ${2:-20} * 10 ))); do
    (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "harness: nothing listening on port $1" >&2
  return 1
}

# Track a background process so cleanup stops it.
track() { H_PIDS+=("$1"); }

pg_as() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  PG_PORT=$(free_port) || return 1
  PG_DATA=$H_TMP/pg
  mkdir -p "$PG_DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DATA"
  pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U lamda --auth=trust -E UTF8 >"$H_TMP/pg-init.log" 2>&1 || {
    cat "$H_TMP/pg-init.log" >&2; return 1; }
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_DATA/server.log" >&2; return 1; }
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda lamda || return 1
  PG_URL="postgres://lamda@127.0.0.1:$PG_PORT/lamda"
  export PG_URL PG_PORT PG_DATA
}

stop_postgres() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null; }
restart_postgres() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 30 \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null
}
psql_q() { "$PG_BIN/psql" -X -A -t -q -h 127.0.0.1 -p "$PG_PORT" -U lamda lamda -c "$1"; }
# start_pg_standby: a hot standby of the harness PostgreSQL, streaming from it (pg_basebackup -R
# writes standby.signal and primary_conninfo). Sets PG_STANDBY_URL, PG_STANDBY_PORT,
# PG_STANDBY_DATA. initdb's default pg_hba already trusts replication from 127.0.0.1.
start_pg_standby() {
  PG_STANDBY_PORT=$(free_port) || return 1
  PG_STANDBY_DATA=$H_TMP/pg-standby
  mkdir -p "$PG_STANDBY_DATA" && chmod 700 "$PG_STANDBY_DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_STANDBY_DATA"
  pg_as "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U lamda -D "$PG_STANDBY_DATA" -R -X stream -c fast \
    >"$H_TMP/pg-basebackup.log" 2>&1 || { cat "$H_TMP/pg-basebackup.log" >&2; return 1; }
  pg_as "$PG_BIN/pg_ctl" -D "$PG_STANDBY_DATA" -l "$PG_STANDBY_DATA/server.log" -w -t 30 \
    -o "-p $PG_STANDBY_PORT -k $PG_STANDBY_DATA -c listen_addresses=127.0.0.1 -c fsync=off -c hot_standby=on" \
    start >/dev/null || { cat "$PG_STANDBY_DATA/server.log" >&2; return 1; }
  PG_STANDBY_URL="postgres://lamda@127.0.0.1:$PG_STANDBY_PORT/lamda"
  export PG_STANDBY_URL PG_STANDBY_PORT PG_STANDBY_DATA
}
# Make the primary's commits wait for the standby (synchronous replication): a commit the
# primary acknowledged is on the standby too, so a failover loses nothing. synchronous_commit
# is set for the database because the server was started with it off on its command line,
# which outranks ALTER SYSTEM.
pg_synchronous_standby() {
  psql_q "ALTER SYSTEM SET synchronous_standby_names = '*'" && psql_q "SELECT pg_reload_conf()" >/dev/null &&
    psql_q "ALTER DATABASE lamda SET synchronous_commit = 'on'"
}
# Make the standby the primary; returns once it accepts writes.
promote_pg_standby() { pg_as "$PG_BIN/pg_ctl" -D "$PG_STANDBY_DATA" -w -t 30 promote >/dev/null; }
# The primary, gone at once as in a machine failure (no shutdown checkpoint, clients cut off).
kill_postgres() { pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1; }

start_nats() {
  NATS_PORT=$(free_port) || return 1
  mkdir -p "$H_TMP/nats"
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$H_TMP/nats" ${NATS_CONF:-} >"$H_TMP/nats.log" 2>&1 &
  NATS_PID=$!
  track $NATS_PID
  wait_port "$NATS_PORT" || return 1
  NATS_URL="nats://127.0.0.1:$NATS_PORT"
  export NATS_URL NATS_PORT NATS_PID
}
stop_nats() { kill -TERM "$NATS_PID" 2>/dev/null; wait "$NATS_PID" 2>/dev/null; }
restart_nats() {
  nats-server -a 127.0.0.1 -p "$NATS_PORT" -js -sd "$H_TMP/nats" ${NATS_CONF:-} >>"$H_TMP/nats.log" 2>&1 &
  NATS_PID=$!
  track $NATS_PID
  wait_port "$NATS_PORT"
}

# start_nats_auth ADDRESS... : start_nats with one account per provider (tools/natsauth.c, as
# `make run` does); NATS_URL is then lamda's own (user lamda), and `nats_url_as ADDRESS` prints
# a provider's.
start_nats_auth() {
  NATS_AUTH_DIR=$H_TMP/nats-auth
  "$ROOT/$BUILD/natsauth" init "$NATS_AUTH_DIR" >/dev/null || return 1
  local a
  for a in "$@"; do "$ROOT/$BUILD/natsauth" add-provider "$NATS_AUTH_DIR" "$a" >/dev/null || return 1; done
  NATS_CONF="-c $NATS_AUTH_DIR/accounts.conf"
  start_nats || return 1
  NATS_URL=$("$ROOT/$BUILD/natsauth" url "$NATS_AUTH_DIR" lamda "nats://127.0.0.1:$NATS_PORT") || return 1
  export NATS_URL NATS_AUTH_DIR NATS_CONF
}
nats_url_as() { "$ROOT/$BUILD/natsauth" url "$NATS_AUTH_DIR" "$1" "nats://127.0.0.1:$NATS_PORT"; }

# start_nats_cluster: three JetStream nats-servers (n1 n2 n3) routed into one cluster on
# loopback. Sets NATS_URL to the three seeds, NATS_NODE_PORT/MON/PID[1..3]. Returns once the
# JetStream meta group has a leader (before that, stream creation fails with "no leader").
start_nats_cluster() {
  local i
  for i in 1 2 3; do
    NATS_NODE_PORT[$i]=$(free_port) || return 1
    NATS_NODE_ROUTE[$i]=$(free_port) || return 1
    NATS_NODE_MON[$i]=$(free_port) || return 1
  done
  for i in 1 2 3; do
    mkdir -p "$H_TMP/nats-n$i"
    {
      echo "server_name: n$i"
      echo "listen: 127.0.0.1:${NATS_NODE_PORT[$i]}"
      echo "http: 127.0.0.1:${NATS_NODE_MON[$i]}"
      echo "jetstream { store_dir: \"$H_TMP/nats-n$i\" }"
      echo "cluster {"
      echo "  name: lamda"
      echo "  listen: 127.0.0.1:${NATS_NODE_ROUTE[$i]}"
      echo "  routes: [ nats-route://127.0.0.1:${NATS_NODE_ROUTE[1]}, nats-route://127.0.0.1:${NATS_NODE_ROUTE[2]}, nats-route://127.0.0.1:${NATS_NODE_ROUTE[3]} ]"
      echo "}"
    } >"$H_TMP/nats-n$i.conf"
    start_nats_node "$i"
  done
  NATS_URL="nats://127.0.0.1:${NATS_NODE_PORT[1]},nats://127.0.0.1:${NATS_NODE_PORT[2]},nats://127.0.0.1:${NATS_NODE_PORT[3]}"
  export NATS_URL
  for _ in $(seq 200); do
    [ -n "$(nats_meta_leader)" ] && return 0
    sleep 0.1
  done
  echo "harness: the NATS cluster elected no JetStream leader" >&2
  return 1
}
start_nats_node() { # i
  nats-server -c "$H_TMP/nats-n$1.conf" >>"$H_TMP/nats-n$1.log" 2>&1 &
  NATS_NODE_PID[$1]=$!
  track "${NATS_NODE_PID[$1]}"
  wait_port "${NATS_NODE_PORT[$1]}"
}
stop_nats_node() { kill -"${2:-TERM}" "${NATS_NODE_PID[$1]}" 2>/dev/null; wait "${NATS_NODE_PID[$1]}" 2>/dev/null; } # i [SIGNAL]
# The monitoring port of a node that is up (the first that answers).
nats_live_mon() {
  local i
  for i in 1 2 3; do
    curl -fs -m 1 -o /dev/null "http://127.0.0.1:${NATS_NODE_MON[$i]}/varz" && { echo "${NATS_NODE_MON[$i]}"; return 0; }
  done
  return 1
}
nats_meta_leader() {
  local mon; mon=$(nats_live_mon) || return 1
  curl -fs -m 2 "http://127.0.0.1:$mon/jsz" | jq -r '.meta_cluster.leader // empty'
}
# nats_stream_field STREAM JQ: a field of the stream's detail, e.g. '.cluster.leader' or
# '.config.num_replicas', from the first live node that reports it (a node just restarted may
# not know the stream yet).
nats_stream_field() {
  local i v
  for i in 1 2 3; do
    v=$(curl -fs -m 1 "http://127.0.0.1:${NATS_NODE_MON[$i]}/jsz?accounts=true&streams=true&config=true" 2>/dev/null |
      jq -r --arg s "$1" "[.account_details[]?.stream_detail[]? | select(.name == \$s)][0] | $2 // empty" 2>/dev/null)
    [ -n "$v" ] && { echo "$v"; return 0; }
  done
  return 1
}
# The node number (1..3) whose server_name is NAME.
nats_node_of() { echo "${1#n}"; }

# start_anvil NAME CHAIN_ID [extra anvil args...]
start_anvil() {
  local name=$1 chain=$2; shift 2
  local port; port=$(free_port) || return 1
  "$ANVIL" --host 127.0.0.1 --port "$port" --chain-id "$chain" --silent "$@" >"$H_TMP/anvil-$name.log" 2>&1 &
  local pid=$!
  track $pid
  wait_port "$port" 30 || return 1
  printf -v "${name}_RPC" 'http://127.0.0.1:%s' "$port"
  printf -v "${name}_WS" 'ws://127.0.0.1:%s' "$port"
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
  export "${name}_RPC" "${name}_WS" "${name}_PORT" "${name}_PID"
}

# rpc URL METHOD PARAMS_JSON → the raw JSON-RPC response.
rpc() { curl -s -m 10 -H 'content-type: application/json' \
  -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "$1"; }

# anvil's deterministic accounts (mnemonic "test test … junk"); account 0 is the admin/owner.
ANVIL_KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ANVIL_ADDR0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
ANVIL_KEY1=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
ANVIL_ADDR1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
ANVIL_KEY3=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
ANVIL_ADDR3=0x90F79bf6EB2c4f870365E785982E1f101E93b906
ANVIL_KEY4=0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a
ANVIL_ADDR4=0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65
