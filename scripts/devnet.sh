#!/usr/bin/env bash
# devnet.sh — two local anvil chains with the Lamda contracts deployed, for `make run`, demos
# and manual testing.
#
#   scripts/devnet.sh up        start (or reuse) both chains, deploy if needed, write devnet.env
#   scripts/devnet.sh down      stop the chains this script started (state is kept)
#   scripts/devnet.sh status    what is running, the head blocks and the env file
#   scripts/devnet.sh deploy BSC_RPC OPBNB_RPC [KEY]
#                               deploy JobManager on BSC_RPC and NodeReputation on OPBNB_RPC
#                               with KEY (default: anvil account 0) and print the env lines;
#                               integration tests use this on their own anvil ports
#
# Chains: BSC-like, chain id 97, on 127.0.0.1:${DEVNET_BSC_PORT:-8545}; opBNB-like, chain id
# 5611, on 127.0.0.1:${DEVNET_OPBNB_PORT:-8546}. Blocks are mined per transaction unless
# DEVNET_BLOCK_TIME (seconds) is set. Pids, logs, chain state and devnet.env live in
# ${DEVNET_DIR:-.devnet}. Chain state survives down/up (anvil --state), so the contracts stay
# deployed and a database built from their events stays valid.
#
# Deployment is signed by our own code (build/lamdadev). The admin/owner is anvil's first
# deterministic account; its key is public test material and is written to devnet.env (0600).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
LAMDADEV=${LAMDADEV:-$ROOT/$BUILD/lamdadev}
ANVIL=${ANVIL:-$ROOT/tools/npm/node_modules/.bin/anvil}
DIR=${DEVNET_DIR:-$ROOT/.devnet}
BSC_PORT=${DEVNET_BSC_PORT:-8545}
OPBNB_PORT=${DEVNET_OPBNB_PORT:-8546}
ADMIN_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ARTIFACTS=$ROOT/build/contracts

die() { echo "devnet: $*" >&2; exit 1; }
say() { echo "devnet: $*" >&2; }

# rpc URL METHOD PARAMS → the "result" field as text (empty on any error).
rpc_result() {
  curl -s -m 5 -H 'content-type: application/json' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":${3:-[]}}" "$1" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const r=JSON.parse(s).result;
      if(r!==undefined&&r!==null)process.stdout.write(typeof r==="string"?r:JSON.stringify(r))}catch(e){}})'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid in $DIR/NAME.pid if that process is alive and is the anvil we started.
our_pid() {
  local f=$DIR/$1.pid pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "anvil.*--port $2 " || return 1
  echo "$pid"
}

# Recompile when an artifact is missing or older than its source.
compile_if_needed() {
  local n need=0
  for n in JobManager NodeReputation; do
    [ -f "$ARTIFACTS/$n.json" ] && [ "$ARTIFACTS/$n.json" -nt "$ROOT/contracts/$n.sol" ] || need=1
  done
  [ $need = 0 ] && return 0
  say "compiling contracts"
  node "$ROOT/scripts/compile-contracts.js" "$ARTIFACTS" >&2 || die "contract compilation failed"
}

# deploy_one RPC ARTIFACT KEY → "ADDRESS BLOCK"
deploy_one() {
  local out addr block
  out=$("$LAMDADEV" deploy --rpc "$1" --key "$3" --artifact "$2") || die "deploying $(basename "$2") on $1 failed"
  addr=$(sed -n 's/.*address=\(0x[0-9a-fA-F]\{40\}\).*/\1/p' <<<"$out")
  block=$(sed -n 's/.*block=\([0-9]\+\).*/\1/p' <<<"$out")
  [ -n "$addr" ] && [ -n "$block" ] || die "unexpected deploy output: $out"
  echo "$addr $block"
}

# cmd_deploy BSC_RPC OPBNB_RPC [KEY]: deploy both contracts, print the env lines.
cmd_deploy() {
  [ $# -ge 2 ] || die "usage: devnet.sh deploy BSC_RPC OPBNB_RPC [KEY]"
  local bsc=$1 opbnb=$2 key=${3:-$ADMIN_KEY} jm_addr= jm_block= nr_addr= nr_block=
  [ -x "$LAMDADEV" ] || die "$LAMDADEV not built (run make)"
  compile_if_needed
  read -r jm_addr jm_block < <(deploy_one "$bsc" "$ARTIFACTS/JobManager.json" "$key") || exit 1
  read -r nr_addr nr_block < <(deploy_one "$opbnb" "$ARTIFACTS/NodeReputation.json" "$key") || exit 1
  [ -n "${jm_addr:-}" ] && [ -n "${nr_addr:-}" ] || die "deployment failed"
  echo "JOB_MANAGER_CONTRACT_ADDRESS=$jm_addr"
  echo "JOB_MANAGER_START_BLOCK=$jm_block"
  echo "NODE_REPUTATION_CONTRACT_ADDRESS=$nr_addr"
  echo "NODE_REPUTATION_START_BLOCK=$nr_block"
}

start_chain() { # NAME PORT CHAIN_ID
  local name=$1 port=$2 chain=$3 pid
  if pid=$(our_pid "$name" "$port"); then
    say "$name chain already running (pid $pid, port $port)"
    return 0
  fi
  port_open "$port" && die "port $port is in use by another process (set DEVNET_${name^^}_PORT)"
  local args=(--host 127.0.0.1 --port "$port" --chain-id "$chain" --state "$DIR/$name-state.json")
  [ -n "${DEVNET_BLOCK_TIME:-}" ] && args+=(--block-time "$DEVNET_BLOCK_TIME")
  # setsid: the chain outlives the shell (and a Ctrl-C in it) that ran `make devnet`.
  setsid "$ANVIL" "${args[@]}" </dev/null >>"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  for _ in $(seq 300); do
    port_open "$port" && break
    kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null || die "$name anvil exited; see $DIR/$name.log"
    sleep 0.1
  done
  port_open "$port" || die "$name anvil did not open port $port; see $DIR/$name.log"
  say "$name chain started (chain id $chain, port $port)"
}

# 0 when ADDR has code on RPC.
has_code() { local c; c=$(rpc_result "$1" eth_getCode "[\"$2\",\"latest\"]"); [ -n "$c" ] && [ "$c" != 0x ]; }

env_get() { [ -f "$DIR/devnet.env" ] || return 0; sed -n "s/^$1=//p" "$DIR/devnet.env" | head -1; }

cmd_up() {
  [ -x "$ANVIL" ] || die "anvil not installed (run make bootstrap)"
  [ -x "$LAMDADEV" ] || die "$LAMDADEV not built (run make)"
  mkdir -p "$DIR"
  start_chain bsc "$BSC_PORT" 97
  start_chain opbnb "$OPBNB_PORT" 5611
  local bsc=http://127.0.0.1:$BSC_PORT opbnb=http://127.0.0.1:$OPBNB_PORT
  [ "$(rpc_result "$bsc" eth_chainId)" = 0x61 ] || die "port $BSC_PORT does not answer as chain 97"
  [ "$(rpc_result "$opbnb" eth_chainId)" = 0x15eb ] || die "port $OPBNB_PORT does not answer as chain 5611"

  local jm nr lines
  jm=$(env_get JOB_MANAGER_CONTRACT_ADDRESS)
  nr=$(env_get NODE_REPUTATION_CONTRACT_ADDRESS)
  if [ -n "$jm" ] && [ -n "$nr" ] && [ "$(env_get BSC_RPC_URL)" = "$bsc" ] &&
     [ "$(env_get OPBNB_RPC_URL)" = "$opbnb" ] && has_code "$bsc" "$jm" && has_code "$opbnb" "$nr"; then
    say "contracts already deployed (JobManager $jm, NodeReputation $nr)"
    lines=$(grep -E '^(JOB_MANAGER|NODE_REPUTATION)_' "$DIR/devnet.env")
  else
    lines=$(cmd_deploy "$bsc" "$opbnb" "$ADMIN_KEY") || die "deployment failed"
  fi
  local tmp=$DIR/devnet.env.tmp
  (
    umask 077
    {
      echo "# Written by scripts/devnet.sh up; source it before running lamda."
      echo "BSC_RPC_URL=$bsc"
      echo "BSC_WS_URL=ws://127.0.0.1:$BSC_PORT"
      echo "BSC_CHAIN_ID=97"
      echo "OPBNB_RPC_URL=$opbnb"
      echo "OPBNB_WS_URL=ws://127.0.0.1:$OPBNB_PORT"
      echo "OPBNB_CHAIN_ID=5611"
      echo "$lines"
      echo "BSC_CONFIRMATIONS=0"
      echo "OPBNB_CONFIRMATIONS=0"
      echo "# anvil's first deterministic account: public test key, owner of NodeReputation"
      echo "ADMIN_WALLET_PRIVATE_KEY=$ADMIN_KEY"
    } >"$tmp"
  )
  chmod 600 "$tmp"
  mv "$tmp" "$DIR/devnet.env"
  say "ready: $DIR/devnet.env"
  grep -E '_(RPC_URL|CONTRACT_ADDRESS|START_BLOCK)=' "$DIR/devnet.env" | sed 's/^/  /' >&2
}

cmd_down() {
  local name port pid stopped=0
  for name in bsc opbnb; do
    port=$BSC_PORT; [ $name = opbnb ] && port=$OPBNB_PORT
    if pid=$(our_pid "$name" "$port"); then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
      say "$name chain stopped (pid $pid)"
      stopped=1
    fi
    rm -f "$DIR/$name.pid"
  done
  [ $stopped = 1 ] || say "nothing running"
}

cmd_status() {
  local name port pid rc=0 head
  for name in bsc opbnb; do
    port=$BSC_PORT; [ $name = opbnb ] && port=$OPBNB_PORT
    if pid=$(our_pid "$name" "$port"); then
      head=$(rpc_result "http://127.0.0.1:$port" eth_blockNumber)
      echo "$name: running (pid $pid, port $port, head $((${head:-0})))"
    else
      echo "$name: stopped"; rc=1
    fi
  done
  [ -f "$DIR/devnet.env" ] && grep -E '_(CONTRACT_ADDRESS|START_BLOCK)=' "$DIR/devnet.env"
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  deploy) shift; cmd_deploy "$@" ;;
  *) echo "usage: devnet.sh up|down|status|deploy BSC_RPC OPBNB_RPC [KEY]" >&2; exit 2 ;;
esac
