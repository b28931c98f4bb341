#!/usr/bin/env bash
# load.sh — the API under load while ingestion runs (issue 11; run by `make chaos`).
#
# node-registry backfills LOAD_LOGS NodeHeartbeat logs (default 3,000,000, from
# build/bench/replayrpc's synthetic chain) into SQLite while wrk hits the api-gateway (a separate
# process on the same database) with LOAD_CONNECTIONS connections (default 1000) for
# LOAD_SECONDS (default 60) on a mix of list, detail, stats, query and health endpoints.
# Checks: zero 5xx and nothing but 2xx/4xx; no socket errors beyond connect refusals;
# ingestion advanced during the run; the API's RSS stable (sampled every 5 s; the peak of
# the second half at most 1.25× that of the first half + 8 MB). Prints every number.
source "$(dirname "$0")/../tests/lib/harness.sh"
LOGS=${LOAD_LOGS:-3000000}
SECS=${LOAD_SECONDS:-60}
CONN=${LOAD_CONNECTIONS:-1000}
command -v wrk >/dev/null || { not_ok "wrk is installed"; finish; }
make -s --no-print-directory -C "$ROOT" "$BUILD/bench/replayrpc" >/dev/null || { not_ok "build replayrpc"; finish; }
cp "$LAMDA" "$ROOT/$BUILD/bench/replayrpc" "$H_TMP/" && LAMDA=$H_TMP/lamda
echo "# load: wrk -c$CONN for ${SECS}s on the API while node-registry backfills $LOGS logs"

start_nats || { not_ok "nats-server starts"; finish; }
C=0x5FbDB2315678afecb367f032d93F642f64180aa3
RPORT=$(free_port)
"$H_TMP/replayrpc" --port "$RPORT" --chain-id 5611 --contract $C --kind heartbeat --logs "$LOGS" --per-block 50 \
  --providers 10000 >"$H_TMP/replay.log" 2>&1 &
track $!
wait_port "$RPORT" 120 || { not_ok "replayrpc starts"; finish; }
export LAMDA_DOTENV=/nonexistent LOG_LEVEL=warn DATABASE_URL=sqlite:$H_TMP/load.db NATS_URL
export OPBNB_RPC_URL=http://127.0.0.1:$RPORT BSC_RPC_URL=http://127.0.0.1:$RPORT
export NODE_REPUTATION_CONTRACT_ADDRESS=$C NODE_REPUTATION_START_BLOCK=1 OPBNB_CONFIRMATIONS=0
export API_RATE_LIMIT=0 API_PORT
API_PORT=$(free_port)
API=http://127.0.0.1:$API_PORT
"$LAMDA" migrate >/dev/null || { not_ok "migrate"; finish; }
"$LAMDA" api-gateway >"$H_TMP/api.log" 2>&1 &
APID=$!
track $APID
"$LAMDA" node-registry >"$H_TMP/nr.log" 2>&1 &
NRPID=$!
track $NRPID
for _ in $(seq 300); do curl -fs -m 2 -o /dev/null "$API/health" && break; sleep 0.1; done
q() { sqlite3 -batch -noheader -cmd '.timeout 5000' "$H_TMP/load.db" "$1" 2>/dev/null; }
for _ in $(seq 100); do [ "$(q 'select count(*) from providers')" -gt 0 ] 2>/dev/null && break; sleep 0.2; done
rss() { awk '/^VmRSS/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null; }

cat >"$H_TMP/mix.lua" <<'EOF'
local paths = {"/api/nodes?limit=20", "/api/v1/nodes/stats", "/health", "/api/nodes?online=true&limit=5&min_vram=1000",
  "/api/nodes/0x0000000000000000000000000000000000000001", "/api/v1/nodes?gpu_model=RTX%204090&limit=10",
  "/api/jobs?limit=10", "/api/nodes?limit=x"}
local i = 0
request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
s2, s4, s5, so = 0, 0, 0, 0
response = function(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 200 and status < 300 then s2 = s2 + 1 else so = so + 1 end
end
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local a2, a4, a5, ao = 0, 0, 0, 0
  for _, t in ipairs(threads) do a2 = a2 + t:get("s2"); a4 = a4 + t:get("s4"); a5 = a5 + t:get("s5"); ao = ao + t:get("so") end
  io.write(string.format("result requests=%d seconds=%.1f rps=%.0f s2xx=%d s4xx=%d s5xx=%d other=%d connect=%d read=%d write=%d timeout=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6), a2, a4, a5, ao,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
EOF

cursor0=$(q 'select block_number from cursors'); ledger0=$(q 'select count(*) from ledger')
: >"$H_TMP/rss"
( while kill -0 $APID 2>/dev/null && [ ! -f "$H_TMP/stop-rss" ]; do
    echo "$(date +%s) $(rss $APID) $(rss $NRPID)" >>"$H_TMP/rss"; sleep 5
  done ) &
SAMPLER=$!
wrk -t2 -c"$CONN" -d"${SECS}s" --timeout 10s -s "$H_TMP/mix.lua" "$API" >"$H_TMP/wrk.out" 2>&1
touch "$H_TMP/stop-rss"; wait $SAMPLER
echo "$(date +%s) $(rss $APID) $(rss $NRPID)" >>"$H_TMP/rss"
cursor1=$(q 'select block_number from cursors'); ledger1=$(q 'select count(*) from ledger')

line=$(grep '^result ' "$H_TMP/wrk.out")
[ -n "$line" ] || { sed 's/^/# wrk| /' "$H_TMP/wrk.out"; not_ok "wrk ran"; finish; }
val() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" ${line#result }"; }
echo "# wrk: $(val requests) requests in $(val seconds)s = $(val rps) req/s; p50 $(val p50_ms) ms, p99 $(val p99_ms) ms"
echo "# status: 2xx $(val s2xx), 4xx $(val s4xx), 5xx $(val s5xx), other $(val other); socket errors: connect $(val connect), read $(val read), write $(val write), timeout $(val timeout)"
echo "# ingestion during the run: cursor $cursor0 → $cursor1, ledger rows $ledger0 → $ledger1 ($(( (ledger1 - ledger0) / SECS )) logs/s under load)"
check "wrk made requests" [ "$(val requests)" -gt 0 ]
check_eq "zero 5xx" "$(val s5xx)" 0
check_eq "nothing but 2xx and 4xx" "$(val other)" 0
check_eq "no read/write errors or timeouts" "$(( $(val read) + $(val write) + $(val timeout) ))" 0
check "ingestion advanced while the API was under load" [ "${ledger1:-0}" -gt "${ledger0:-0}" ]

n=$(wc -l <"$H_TMP/rss")
half=$(( n / 2 ))
read -r start peak end peak1 peak2 nr_peak <<<"$(awk -v h="$half" '
  NR == 1 { s = $2 } { e = $2; if ($2 > p) p = $2; if (NR <= h && $2 > p1) p1 = $2; if (NR > h && $2 > p2) p2 = $2; if ($3 > np) np = $3 }
  END { print s, p, e, p1, p2, np }' "$H_TMP/rss")"
echo "# api-gateway RSS (MB, every 5 s): $(awk '{printf "%s ", $2}' "$H_TMP/rss")"
echo "# api-gateway RSS: start $start MB, peak $peak MB, end $end MB (first-half peak $peak1, second-half peak $peak2); node-registry peak $nr_peak MB"
check "api-gateway RSS stable (second-half peak $peak2 MB ≤ 1.25 × first-half peak $peak1 MB + 8)" \
  awk -v a="$peak2" -v b="$peak1" 'BEGIN { exit !(a <= b * 1.25 + 8) }'
check "the API still answers after the run" curl -fs -m 5 -o /dev/null "$API/health"
finish
