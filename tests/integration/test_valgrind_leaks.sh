#!/usr/bin/env bash
# No leak in a service run (issue 11): `lamda all` under valgrind (memcheck) against the
# harness's anvils, nats-server and SQLite, with traffic on every path — providers registering
# and beating, a job spec, a job dispatched over NATS, its confirmation signed and mined by the
# reputation service, API reads, /metrics, nodes.query/jobs.query over NATS — then SIGTERM:
# valgrind must report "definitely lost: 0" and "indirectly lost: 0", and no memory error.
# ("possibly lost"/"still reachable" are reported, not failed: libnats and libh2o keep
# per-thread caches until exit. libh2o's per-thread recycle lists, which it cannot release,
# are suppressed by valgrind-h2o.supp and reported as third-party on their own line.)
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
command -v valgrind >/dev/null || { ok "# SKIP valgrind not installed"; finish; }
# valgrind cannot run a sanitizer build (make test-asan): LeakSanitizer covers leaks there.
if ldd "$LAMDA" 2>/dev/null | grep -q 'libasan'; then ok "# SKIP $BUILD is an ASan build; LeakSanitizer checks leaks there"; finish; fi
cp "$LAMDA" "$LAMDADEV" "$ROOT/$BUILD/natsprobe" "$H_TMP/" && LAMDA=$H_TMP/lamda LAMDADEV=$H_TMP/lamdadev
NATSPROBE=$H_TMP/natsprobe

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export DATABASE_URL=sqlite:$H_TMP/vg.db ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 API_PORT API_THREADS=2 LOG_LEVEL=warn
API_PORT=$(free_port)
API_URL=http://127.0.0.1:$API_PORT
VG=$H_TMP/valgrind.txt

valgrind --tool=memcheck --suppressions="$ROOT/tests/integration/valgrind-h2o.supp" --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
  --track-origins=no --num-callers=30 -s --log-file="$VG" "$LAMDA" all >"$H_TMP/all.log" 2>&1 &
PID=$!
track $PID
check "lamda all under valgrind serves the API" wait_for "api" 60 curl -fs -m 5 -o /dev/null "$API_URL/health"

nr_send "$ANVIL_KEY1" 'registerNode(string,uint256)' "RTX 4090" 24576 || not_ok "register"
nr_send "$ANVIL_KEY1" 'sendHeartbeat()' || not_ok "heartbeat"
JOB=$(new_job_id)
code=$(post_spec "$ANVIL_KEY3" "$JOB" ghcr.io/lamda/worker:1.0 QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG)
check "the spec is accepted ($code)" [ "${code:0:1}" = 2 ]
"$NATSPROBE" sub "jobs.dispatch.$ANVIL_ADDR1" 1 60000 >"$H_TMP/sub.out" 2>&1 &
track $!
wait_for "subscriber" 10 grep -q ready "$H_TMP/sub.out"
create_job "$ANVIL_KEY3" "$JOB" "$ANVIL_ADDR1" || not_ok "create job"
check "the job is dispatched on NATS" wait_for "dispatch" 60 grep -q '^msg ' "$H_TMP/sub.out"
jm_send "$ANVIL_KEY3" 'confirmResult(bytes32)' "$JOB" || not_ok "confirm"
inc() { [ "$("$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented)" = 1 ]; }
check "the increment is signed and mined" wait_for "increment" 60 inc
for p in /api/nodes "/api/nodes/$ANVIL_ADDR1" /api/jobs "/api/jobs/$JOB" /api/v1/nodes/stats /api/v1/jobs/stats \
         "/api/reputation/$ANVIL_ADDR1" /metrics /ready /api/openapi.json /api/nodes/nonsense '/api/jobs?limit=x'; do
  curl -s -m 10 -o /dev/null "$API_URL$p"
done
curl -s -m 10 -o /dev/null -H 'content-type: application/json' -d '{"online":true}' "$API_URL/api/nodes/query"
"$NATSPROBE" request nodes.query '{"limit":5}' 10000 >"$H_TMP/q1.out" 2>&1
"$NATSPROBE" request jobs.query '{"status":"confirmed"}' 10000 >"$H_TMP/q2.out" 2>&1
check "nodes.query answers over NATS" grep -q '"count"' "$H_TMP/q1.out"
check "jobs.query answers over NATS" grep -q '"count"' "$H_TMP/q2.out"

kill -TERM $PID
wait $PID
rc=$?
check_eq "SIGTERM ends the run cleanly (exit status, 99 = a leak)" "$rc" 0
definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$VG" | tr -d ,)
indirect=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$VG" | tr -d ,)
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$VG" | tail -1 | tr -d ,)
echo "# valgrind: definitely lost ${definite:-0} bytes, indirectly lost ${indirect:-0}, $(grep -o 'possibly lost: [0-9,]* bytes' "$VG"), $(grep -o 'still reachable: [0-9,]* bytes' "$VG"), errors ${errors:-?}"
echo "# third-party (suppressed, libh2o per-thread recycle lists): $(grep -o 'suppressed: [0-9,]* bytes in [0-9,]* blocks' "$VG" | tail -1)"
check "valgrind wrote its summary" grep -q 'ERROR SUMMARY' "$VG"
check_eq "definitely lost bytes" "${definite:-0}" 0
check_eq "indirectly lost bytes" "${indirect:-0}" 0
check_eq "memory errors" "${errors:-?}" 0
[ "$H_FAILED" = 0 ] || grep -A25 -E 'definitely lost in|Invalid|uninitialised' "$VG" | head -80 >&2
finish
