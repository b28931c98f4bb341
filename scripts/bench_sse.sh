#!/usr/bin/env bash
# bench_sse.sh — commit → Server-Sent Event latency (issue 20), on SQLite and PostgreSQL: an
# api-gateway process serves GET /api/events; build/bench/sse_latency, another process,
# commits job changes through the store and times each one's arrival on the stream. Target:
# p99 < 100 ms. Prints one JSON line per backend; `make bench` runs it (scripts/bench.sh) and
# it runs alone as `scripts/bench_sse.sh` after `make`. SSE_BENCH_EVENTS sets the count.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
source tests/lib/harness.sh
set +e
N=${SSE_BENCH_EVENTS:-500}
start_postgres >/dev/null || { echo "bench_sse: postgres did not start" >&2; exit 1; }
for be in sqlite postgres; do
  if [ $be = sqlite ]; then url=sqlite:$H_TMP/sse-bench.db
  else "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda ssebench; url=postgres://lamda@127.0.0.1:$PG_PORT/ssebench; fi
  "$BUILD/apiseed" "$url" 10 "$N" >/dev/null || { echo "bench_sse: seed failed" >&2; continue; }
  port=$(free_port)
  LAMDA_DOTENV=/nonexistent DATABASE_URL=$url API_PORT=$port API_RATE_LIMIT=0 LOG_LEVEL=warn \
    "$BUILD/lamda" api-gateway >"$H_TMP/api-$be.log" 2>&1 &
  pid=$!
  track $pid
  wait_port "$port" 20 || continue
  sleep 0.5 # the event reader's first read of the table
  res=$("$BUILD/bench/sse_latency" 127.0.0.1 "$port" "$url" "$N")
  echo "{\"backend\":\"$be\",${res#\{}"
  kill -TERM $pid; wait $pid 2>/dev/null
done
