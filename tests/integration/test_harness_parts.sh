#!/usr/bin/env bash
# The harness starts each real part and the suite can talk to it.
source "$(dirname "$0")/../lib/harness.sh"

if start_postgres; then
  check_eq "postgres answers a query" "$(psql_q 'select 40 + 2')" "42"
else
  not_ok "postgres starts"
fi

if start_anvil BSC 97; then
  check_eq "anvil answers eth_chainId" "$(rpc "$BSC_RPC" eth_chainId | grep -o '"result":"[^"]*"')" '"result":"0x61"'
else
  not_ok "anvil starts"
fi

if start_nats; then
  ok "nats-server with JetStream starts"
else
  not_ok "nats-server starts"
fi
finish
