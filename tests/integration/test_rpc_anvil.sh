#!/usr/bin/env bash
# The JSON-RPC client and the newHeads subscription against a real anvil: chain id, block
# number advancing, failover past a dead URL, empty getLogs, error classification, batch, and
# WebSocket head latency plus reconnection after the node restarts.
source "$(dirname "$0")/../lib/harness.sh"
PROBE=$ROOT/$BUILD/rpcprobe
prefix() { [[ "$1" == "$2"* ]]; }   # prefix TEXT PREFIX
matches() { [[ "$1" =~ $2 ]]; }     # matches TEXT REGEX

start_anvil BSC 97 || { not_ok "anvil starts"; finish; }

check_eq "eth_chainId is 97" "$("$PROBE" chainid "$BSC_RPC" 2>/dev/null)" 97

b0=$("$PROBE" blocknumber "$BSC_RPC" 2>/dev/null)
rpc "$BSC_RPC" evm_mine >/dev/null
rpc "$BSC_RPC" evm_mine >/dev/null
b1=$("$PROBE" blocknumber "$BSC_RPC" 2>/dev/null)
check_eq "eth_blockNumber advances by 2 after two evm_mine" "$b1" "$((b0 + 2))"

dead=$(free_port)
out=$("$PROBE" chainid "http://127.0.0.1:$dead" "$BSC_RPC" 2>"$H_TMP/failover.err")
check_eq "failover: dead first URL, anvil second → chain id" "$out" 97
check "failover: answered by the second URL" grep -q "answered by $BSC_RPC" "$H_TMP/failover.err"

out=$("$PROBE" chainid "http://127.0.0.1:$dead" 2>/dev/null)
check "all URLs dead → transient error, no crash" prefix "$out" "error transient"

check_eq "eth_getLogs on an empty range returns 0 logs" \
  "$("$PROBE" logs 0 "$b1" 0x5FbDB2315678afecb367f032d93F642f64180aa3 "$BSC_RPC" 2>/dev/null)" 0

out=$("$PROBE" block latest "$BSC_RPC" 2>/dev/null)
check "eth_getBlockByNumber latest: number, hash and base fee" \
  matches "$out" "^$b1 0x[0-9a-f]{64} 0x[0-9a-f]{64} [0-9]+ 0x[0-9a-f]{64}\$"

out=$("$PROBE" batch "$BSC_RPC" 2>/dev/null | tr '\n' ' ')
check_eq "batch: chain id and block number in order" "$out" "97 $b1 "

out=$("$PROBE" call eth_noSuchMethod '[]' "$BSC_RPC" 2>/dev/null)
check "unknown method → fatal (not retried)" prefix "$out" "error fatal -32601"

out=$("$PROBE" call eth_sendRawTransaction '["0x00"]' "$BSC_RPC" 2>/dev/null)
check "undecodable raw transaction → fatal error with code" prefix "$out" "error fatal -32602"

# newHeads latency: measured from before evm_mine to the head arriving on the WebSocket.
"$PROBE" headlat "$BSC_RPC" "$BSC_WS" 5 >"$H_TMP/lat.out" 2>"$H_TMP/lat.err"
rc=$?
sed 's/^/# /' "$H_TMP/lat.out"
check_eq "heads_ws sees 5 mined blocks" "$rc" 0
worst=$(awk '/^max_latency_ms/ {print $2}' "$H_TMP/lat.out")
# the first head includes the HTTP connection's warm-up; the rest must be well under 100 ms
steady=$(awk '/latency_ms/ && NR>1 && $1=="head" {if ($4>m) m=$4} END {print m+0}' "$H_TMP/lat.out")
echo "# worst head latency ${worst:-?} ms, steady-state worst ${steady} ms"
check "heads_ws latency under 100 ms after evm_mine" awk -v s="$steady" 'BEGIN {exit !(s < 100)}'

# Reconnection: the subscriber survives the node going away and coming back on the same port.
"$PROBE" heads "$BSC_WS" 2 40 >"$H_TMP/heads.out" 2>"$H_TMP/heads.err" &
probe=$!
track $probe
sleep 1
kill -TERM "$BSC_PID"; wait "$BSC_PID" 2>/dev/null
"$ANVIL" --host 127.0.0.1 --port "$BSC_PORT" --chain-id 97 --silent >"$H_TMP/anvil2.log" 2>&1 &
track $!
wait_port "$BSC_PORT" 30
for _ in $(seq 60); do # mine until the re-subscribed probe has printed its heads
  rpc "$BSC_RPC" evm_mine >/dev/null
  kill -0 $probe 2>/dev/null || break
  sleep 0.25
done
wait $probe
check_eq "heads_ws reconnects after a node restart and receives heads" "$?" 0
check_eq "two heads printed after reconnect" "$(grep -c '^head ' "$H_TMP/heads.out")" 2

finish
