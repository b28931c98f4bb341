#!/usr/bin/env bash
# The API's response cache (src/api/cache.c), on SQLite and PostgreSQL: a repeated GET is served
# from memory with a strong ETag, If-None-Match gets 304, and a commit by another process — a
# status change (an event) or a heartbeat's last_seen (no event: the TTL bounds it) — is
# visible through the API within the bound (API_CACHE_TTL, 100 ms).
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
SEED=$ROOT/$BUILD/apiseed
start_postgres || { not_ok "postgres starts"; finish; }
now_ms() { date +%s%3N; }

run_suite() { # backend database-url
  local be=$1
  export DATABASE_URL=$2
  read -r P1 J1 < <("$SEED" "$DATABASE_URL" 3 5) || { not_ok "$be: seed"; return; }
  local port; port=$(free_port)
  API_PORT=$port API_RATE_LIMIT=0 API_CACHE_TTL=100ms LAMDA_DOTENV=/nonexistent NODE_REPUTATION_CONTRACT_ADDRESS= \
    OPBNB_RPC_URL=http://127.0.0.1:1 "$LAMDA" api-gateway >"$H_TMP/api-$be.log" 2>&1 &
  local pid=$!
  track $pid
  wait_port "$port" || { not_ok "$be: api-gateway listens"; return; }
  local U=http://127.0.0.1:$port
  etag_of() { curl -s -D - -o /dev/null "$@" | sed -n 's/^etag: *\("[^"]*"\).*/\1/ip' | tr -d '\r'; }

  local e1 e2
  e1=$(etag_of "$U/api/nodes?limit=10")
  e2=$(etag_of "$U/api/nodes?limit=10")
  check "$be: a GET carries a strong ETag" grep -qE '^"[0-9a-f]{16}-[0-9a-f]+"$' <<<"$e1"
  check_eq "$be: the same answer, the same ETag" "$e2" "$e1"
  local hits
  hits=$(curl -s "$U/metrics" | awk '/^lamda_api_cache_total\{result="hit"\}/ {print $2}')
  check "$be: the repeat was a cache hit (lamda_api_cache_total hit=$hits)" test "${hits:-0}" -ge 1
  # A hit sends the stored bytes themselves (no copy): the same bytes as the answer that was
  # built, and a HEAD gets their length and no body.
  local built served head_len
  built=$(curl -s "$U/api/nodes?limit=9" | sha256sum)
  served=$(curl -s "$U/api/nodes?limit=9" | sha256sum)
  check_eq "$be: a hit serves the bytes of the answer that was built" "$served" "$built"
  head_len=$(curl -s -I "$U/api/nodes?limit=9" | sed -n 's/^content-length: *\([0-9]*\).*/\1/ip')
  check_eq "$be: HEAD of a cached answer: its length, no body" "$head_len $(curl -s -I -o /dev/null -w '%{size_download}' "$U/api/nodes?limit=9")" \
    "$(curl -s "$U/api/nodes?limit=9" | wc -c) 0"
  local code len
  read -r code len < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' -H "if-none-match: $e1" "$U/api/nodes?limit=10")
  check_eq "$be: If-None-Match with the current ETag: 304, no body" "$code $len" "304 0"
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'if-none-match: "0000000000000000-1"' "$U/api/nodes?limit=10")
  check_eq "$be: If-None-Match with another ETag: 200" "$code" 200
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "if-none-match: \"x\", $e1" "$U/api/nodes?limit=10")
  check_eq "$be: If-None-Match with a list naming it: 304" "$code" 304

  # A status change committed by another process (an event): visible within the bound.
  local job_url="$U/api/jobs/$J1" before t0 t1 st
  before=$(etag_of "$job_url")
  curl -s "$job_url" >/dev/null # cached now
  t0=$(now_ms)
  db_q "update jobs set status = 'running' where $(addr_hex_sql job_id) = '${J1#0x}'" || not_ok "$be: update"
  for _ in $(seq 200); do
    st=$(curl -s "$job_url" | jq -r .data.status)
    [ "$st" = running ] && break
  done
  t1=$(now_ms)
  check_eq "$be: a status change by another process shows" "$st" running
  echo "# $be: status change visible through the API after $((t1 - t0)) ms (bound: API_CACHE_TTL 100 ms)"
  check "$be: ... within the bound (+100 ms for curl on a loaded machine)" test $((t1 - t0)) -le 200
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "if-none-match: $before" "$job_url")
  check_eq "$be: the ETag of the old answer no longer matches: 200" "$code" 200

  # A change no event records (a provider's last_seen, as heartbeats write it): the TTL bounds it.
  local node_url="$U/api/nodes/$P1" seen
  curl -s "$node_url" >/dev/null
  t0=$(now_ms)
  db_q "update providers set last_seen = 1700000001 where $(addr_hex_sql address) = lower('${P1#0x}')" || not_ok "$be: update"
  for _ in $(seq 200); do
    seen=$(curl -s "$node_url" | jq -r '.data.last_seen')
    [ "$seen" = 1700000001 ] && break
    [[ "$seen" == 2023-11-14T22:13:21* ]] && break
  done
  t1=$(now_ms)
  echo "# $be: a last_seen change (no event) visible after $((t1 - t0)) ms"
  check "$be: a change no event records shows within the TTL (+100 ms)" test $((t1 - t0)) -le 200
  kill -TERM $pid; wait $pid 2>/dev/null
}

run_suite sqlite "sqlite:$H_TMP/cache.db"
run_suite postgres "$PG_URL"
finish
