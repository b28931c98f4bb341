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
  "$LAMDA" api-gateway >"$H_TMP/api.log" 2>&1 &
API_PID=$!
track $API_PID
wait_port "$PORT" || { not_ok "api-gateway listens"; finish; }

N=${FUZZ_N:-20000}
out=$("$ROOT/$BUILD/httpfuzz" "$PORT" "$N" 7 2>"$H_TMP/fuzz.err"); rc=$?
echo "# $out"
check_eq "no 5xx and never refused in $N hostile requests" "$rc" "0"
[ "$rc" = 0 ] || head -5 "$H_TMP/fuzz.err"
check "the server is still running" kill -0 $API_PID
check_eq "and still answers /health" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")" "200"
four=$(sed -n 's/.* 4xx \([0-9]*\).*/\1/p' <<<"$out")
check "most requests were refused with 4xx" test "${four:-0}" -gt $((N / 2))
kill -TERM $API_PID; wait $API_PID; rc=$?
check_eq "clean exit after the storm" "$rc" "0"
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:\|LeakSanitizer' '$H_TMP/api.log'"
finish
