#!/usr/bin/env bash
# start-service.sh NAME — run one lamda service in the foreground (make start-NAME).
#
#   NAME: node-registry, job-dispatcher, reputation-service or api-gateway
#
# For running the services as separate processes against a shared PostgreSQL and NATS: each
# reads the same configuration — the environment, then .env ($LAMDA_DOTENV) — and, when the
# devnet is up, its chain URLs, contract addresses and devnet admin key from
# $DEVNET_DIR/devnet.env (default .devnet/devnet.env). Those devnet values fill in only what
# the environment and .env leave unset, so a .env that points at real chains wins.
# Ctrl-C stops the service (lamda handles SIGINT/SIGTERM and exits cleanly).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
LAMDA=$ROOT/$BUILD/lamda
DEVNET_ENV=${DEVNET_DIR:-$ROOT/.devnet}/devnet.env
DOTENV=${LAMDA_DOTENV:-.env}

case "${1:-}" in
  node-registry|job-dispatcher|reputation-service|api-gateway) NAME=$1 ;;
  *) echo "usage: start-service.sh node-registry|job-dispatcher|reputation-service|api-gateway" >&2; exit 2 ;;
esac
[ -x "$LAMDA" ] || { echo "start-service: $LAMDA is not built (run make)" >&2; exit 1; }

# True when NAME is set in .env (lamda reads .env itself; we only need to know it is there).
in_dotenv() { [ -f "$DOTENV" ] && grep -qE "^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=" "$DOTENV"; }

if [ -f "$DEVNET_ENV" ]; then
  while IFS='=' read -r k v; do
    [[ "$k" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    [ -n "${!k:-}" ] && continue
    in_dotenv "$k" && continue
    export "$k=$v"
  done <"$DEVNET_ENV"
  echo "start-service: devnet settings from $DEVNET_ENV fill what the environment and $DOTENV leave unset" >&2
fi
exec "$LAMDA" "$NAME"
