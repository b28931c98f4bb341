#!/usr/bin/env bash
# Hostile input: thousands of generated malformed requests (tools/httpfuzz.c: invalid UTF-8,
# huge and numerous headers, SQL-injection strings, deeply nested JSON, odd methods, lying
# Content-Lengths). The gateway must never crash and never answer 5xx. Under `make test-asan`
# the same run is checked by ASan/UBSan (the server's stderr must hold no sanitizer report).
source "$(dirname "$0")/../lib/harness.sh"
export LSAN_OPTIONS="suppressions=$ROOT/tests/integration/lsan-h2o.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

DB="sqlite:$H_TMP/api.db"
"$ROOT/$BUILD/apiseed" "$DB" 20 50 >/dev/null || { not_ok "seed database"; finish; }
PORT=$(free_port)
DATABASE_URL=$DB API_PORT=$PORT API_RATE_LIMIT=0 API_MAX_BODY=16384 API_ADMIN_TOKEN=tok LOG_LEVEL=warn \
  SPEC_PENDING_MAX_PER_SIGNER=3 SPEC_PENDING_MAX_TOTAL=5 SPEC_PENDING_TTL=1h \
  "$LAMDA" api-gateway >"$H_TMP/api.log" 2>&1 &
API_PID=$!
track $API_PID
wait_port "$PORT" || { not_ok "api-gateway listens"; finish; }

# Raw HTTP/1.1 over one connection: send $2 (printf escapes), print everything the server
# sends until it closes ("<closed>") or stays silent for 2 s ("<open>").
raw_http() {
  python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
s.settimeout(2)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            out += b"<closed>"
            break
        out += d
except socket.timeout:
    out += b"<open>"
print(out.decode("latin1"))
PY
}
# RFC 9112 §6.3: ambiguous framing is refused and the connection closed, so whatever follows
# the first request (here a smuggled GET) is never answered.
smuggle='GET /health HTTP/1.1\r\nHost: x\r\n\r\n'
r=$(raw_http "$PORT" "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}$smuggle")
check_eq "two Content-Length headers: 400" "$(head -1 <<<"$r" | tr -d '\r')" "HTTP/1.1 400 Bad Request"
check_eq "two Content-Length headers: one response, then the connection is closed" \
  "$(grep -o 'HTTP/1.1 [0-9]' <<<"$r" | wc -l) $(grep -o '<closed>' <<<"$r")" "1 <closed>"
r=$(raw_http "$PORT" "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}$smuggle")
check_eq "a repeated identical Content-Length: 400 and closed" \
  "$(head -1 <<<"$r" | tr -d '\r') $(grep -o 'HTTP/1.1 [0-9]' <<<"$r" | wc -l) $(grep -o '<closed>' <<<"$r")" "HTTP/1.1 400 Bad Request 1 <closed>"
r=$(raw_http "$PORT" "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n$smuggle")
check_eq "Content-Length with Transfer-Encoding: 400" "$(head -1 <<<"$r" | tr -d '\r')" "HTTP/1.1 400 Bad Request"
check_eq "Content-Length with Transfer-Encoding: one response, then closed" \
  "$(grep -o 'HTTP/1.1 [0-9]' <<<"$r" | wc -l) $(grep -o '<closed>' <<<"$r")" "1 <closed>"
r=$(raw_http "$PORT" "GET /health HTTP/1.1\r\nHost: x\r\n\r\n$smuggle")
check_eq "pipelined well-framed requests are still both answered" "$(grep -o 'HTTP/1.1 200' <<<"$r" | wc -l)" "2"
# Oversized bodies: 413 in the JSON envelope, over HTTP/1.1 (declared far beyond the limit,
# and a sent body just above it) and over HTTP/2 (h2c prior knowledge).
r=$(raw_http "$PORT" "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
check_eq "HTTP/1.1 declared 100 MB body: 413" "$(head -1 <<<"$r" | cut -d' ' -f2)" "413"
check "HTTP/1.1 declared 100 MB body: JSON error envelope" grep -q '^{"success":false,"error":"request body larger than 16384 bytes"}' <<<"$r"
head -c 20000 /dev/zero | tr '\0' 'a' >"$H_TMP/big.body"
body=$(curl -s -m 10 -o - -w '\n%{http_code}' -H 'content-type: application/json' --data-binary @"$H_TMP/big.body" "http://127.0.0.1:$PORT/api/jobs")
check_eq "HTTP/1.1 20000-byte body: 413 as JSON" "$(tail -1 <<<"$body") $(head -1 <<<"$body" | cut -c1-24)" '413 {"success":false,"error"'
body=$(curl -s -m 10 --http2-prior-knowledge -o - -w '\n%{http_code} %{http_version}' -H 'content-type: application/json' --data-binary @"$H_TMP/big.body" "http://127.0.0.1:$PORT/api/jobs")
check_eq "HTTP/2 20000-byte body: 413 as JSON" "$(tail -1 <<<"$body") $(head -1 <<<"$body" | cut -c1-24)" '413 2 {"success":false,"error"'

# Specs for job ids not on chain are candidates, capped per signer and in total (issue 21):
# a spec flood from one key, or many keys, cannot grow the database without bound.
API_URL=http://127.0.0.1:$PORT
CID=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG
spec() { # KEY JOBID → HTTP status
  local msg sig
  msg=$(printf 'lamda:job-spec\njob:%s\nimage:a/b:1\ninput:%s' "$2" "$CID")
  sig=$("$LAMDADEV" sign-message --key "$1" "$msg")
  curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d "{\"jobId\":\"$2\",\"dockerImage\":\"a/b:1\",\"inputFileCID\":\"$CID\",\"signature\":\"$sig\"}" "$API_URL/api/jobs"
}
jid() { printf '0x%064x' "$1"; }
got=""; for i in 1 2 3 4; do got="$got $(spec "$ANVIL_KEY1" "$(jid $((9000 + i)))")"; done
check_eq "one signer: 3 pending specs accepted, the 4th refused (429)" "$got" " 202 202 202 429"
check_eq "the same spec again is not a new one (202)" "$(spec "$ANVIL_KEY1" "$(jid 9001)")" "202"
got=""; for i in 1 2 3; do got="$got $(spec "$ANVIL_KEY3" "$(jid $((9100 + i)))")"; done
check_eq "in total: 5 pending specs, then 429 for everyone" "$got" " 202 202 429"
check_eq "pending specs held: 5" "$(sqlite3 "${DB#sqlite:}" 'select count(*) from job_spec_candidates')" "5"
sqlite3 "${DB#sqlite:}" "update job_spec_candidates set received_at = received_at - 7200"
check_eq "expired ones (older than SPEC_PENDING_TTL) make room" "$(spec "$ANVIL_KEY4" "$(jid 9201)")" "202"
check_eq "and are gone" "$(sqlite3 "${DB#sqlite:}" 'select count(*) from job_spec_candidates')" "1"
# The one strictness rule (README, "API"): one JSON object, known fields, JSON types.
post() { curl -s -o "$H_TMP/post.json" -w '%{http_code}' -H 'content-type: application/json' -d "$2" "$API_URL$1"; }
good_spec=$(printf '{"jobId":"%s","dockerImage":"a/b:1","inputFileCID":"%s","signature":"0x%0130d"}' "$(jid 1)" "$CID" 0)
check_eq "POST /api/jobs: trailing garbage 400" "$(post /api/jobs "${good_spec}x")" "400"
check "POST /api/jobs: trailing garbage named" grep -q 'data after the JSON object' "$H_TMP/post.json"
check_eq "POST /api/jobs: unknown field 400" "$(post /api/jobs "${good_spec%\}},\"priority\":1}")" "400"
check "POST /api/jobs: unknown field named" grep -q 'unknown field \\"priority\\"' "$H_TMP/post.json"
check_eq "POST /api/nodes/query: a number as a string 400" "$(post /api/nodes/query '{"min_vram":"100"}')" "400"
check_eq "POST /api/nodes/query: a boolean as a string 400" "$(post /api/nodes/query '{"online":"true"}')" "400"
check_eq "POST /api/nodes/query: trailing garbage 400" "$(post /api/nodes/query '{"limit":5} []')" "400"
check_eq "POST /api/nodes/query: a number is still fine" "$(post /api/nodes/query '{"min_vram":100,"online":true}')" "200"
check_eq "POST /api/jobs/query: a number as a string 400" "$(post /api/jobs/query '{"limit":"5"}')" "400"
JOB=$(curl -s "$API_URL/api/jobs?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["jobs"][0]["job_id"])')
put() { curl -s -o "$H_TMP/put.json" -w '%{http_code}' -X PUT -H 'authorization: Bearer tok' -H 'content-type: application/json' -d "$1" "$API_URL/api/jobs/$JOB/status"; }
check_eq "PUT completed without an output CID: 400 (as on NATS)" "$(put '{"status":"completed"}')" "400"
check "PUT completed without an output CID: says why" grep -q 'needs an output_cid' "$H_TMP/put.json"
check_eq "PUT with the timestamp as a string: 400" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'content-type: application/json' \
  -d "{\"status\":\"running\",\"signature\":\"0x$(printf '1%.0s' {1..130})\",\"timestamp\":\"$(date +%s)\"}" "$API_URL/api/jobs/$JOB/status")" "400"

N=${FUZZ_N:-20000}
out=$("$ROOT/$BUILD/httpfuzz" "$PORT" "$N" 7 2>"$H_TMP/fuzz.err"); rc=$?
echo "# $out"
check_eq "no 5xx and never refused in $N hostile requests" "$rc" "0"
[ "$rc" = 0 ] || head -5 "$H_TMP/fuzz.err"
check "the server is still running" kill -0 $API_PID
check_eq "and still answers /health" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" "200"
four=$(sed -n 's/.* 4xx \([0-9]*\).*/\1/p' <<<"$out")
check "most requests were refused with 4xx" test "${four:-0}" -gt $((N / 2))
t0=$(date +%s%N)
kill -TERM $API_PID; wait $API_PID; rc=$?
gone_ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "clean exit after the storm" "$rc" "0"
check "gone within 1 s of SIGTERM after the storm (${gone_ms} ms)" test "$gone_ms" -lt 1000
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' '$H_TMP/api.log'"
# Log flooding: a burst of rate-limited requests (each one a 429 access line at info) writes a
# bounded number of lines — LOG_MAX_PER_SECOND per call site and second, plus one summary line —
# and /metrics counts the lines left out.
PORT2=$(free_port)
DATABASE_URL=$DB API_PORT=$PORT2 API_RATE_LIMIT=5 LOG_LEVEL=info LOG_MAX_PER_SECOND=20 \
  "$LAMDA" api-gateway >"$H_TMP/flood.log" 2>&1 &
FLOOD_PID=$!
track $FLOOD_PID
wait_port "$PORT2" || not_ok "second api-gateway listens"
t0=$(date +%s)
codes=$(curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$PORT2/api/nodes?limit=[1-3000]")
secs=$(($(date +%s) - t0 + 1))
n429=$(grep -c '^429$' <<<"$codes")
sleep 1.1; curl -s -o /dev/null "http://127.0.0.1:$PORT2/health" # a later line writes the summary
sup=$(curl -s "http://127.0.0.1:$PORT2/metrics" | sed -n 's/^lamda_log_suppressed_total{level="info"} //p')
written=$(grep -c '"msg":"http [A-Z]* [^ ]* 429 rate limited' "$H_TMP/flood.log")
echo "# $n429 answers 429 in ${secs} s: $written access lines written, ${sup:-0} suppressed"
check "the burst was rate limited (most of 3000 answered 429)" test "$n429" -gt 2500
check "429 access lines bounded: $written <= 20 per second over ${secs} s" test "$written" -le $((20 * (secs + 1)))
check_eq "every 429 line left out is counted in lamda_log_suppressed_total" "$((written + ${sup:-0}))" "$n429"
check "a summary line names the suppressed cause" grep -q 'more lines like .*429 rate limited.* suppressed' "$H_TMP/flood.log"
kill -TERM $FLOOD_PID; wait $FLOOD_PID
finish
