#!/usr/bin/env bash
# The dashboard in a real browser (issue 20): headless Chromium opens /dashboard of a running
# `lamda all` on the devnet (SQLite), the demo flow runs (provider registers, job created,
# dispatched, run, completed, confirmed), and the page's counters and a job row change live,
# with no reload. Screenshots (desktop before/after, phone) are kept in
# $BUILD/test-output/dashboard_browser/.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
source "$(dirname "$0")/../lib/browser.sh"
browser_available || { skip "dashboard in a browser: $BROWSER_WHY"; finish; }
OUT=$(browser_outdir dashboard_browser)

start_anvil BSC 97 || { not_ok "anvil BSC starts"; finish; }
start_anvil OPBNB 5611 || { not_ok "anvil opBNB starts"; finish; }
start_nats || { not_ok "nats-server starts"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export NATS_URL ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 DATABASE_URL=sqlite:$H_TMP/dash.db
export API_PORT=$(free_port)
U=http://127.0.0.1:$API_PORT
start_lamda all all
check "lamda all answers /health" wait_for "api health" 30 curl -fs -m 2 -o /dev/null "$U/health" || finish

BROWSER_TIMEOUT=90 node "$BROWSER_JS" dashboard "$U" "$OUT" >"$H_TMP/browser.out" 2>"$H_TMP/browser.err" &
BPID=$!
track $BPID
if ! wait_for "the page renders" 40 grep -q '^ready ' "$H_TMP/browser.out"; then
  not_ok "the dashboard renders in Chromium with its event stream open" "$(cat "$H_TMP/browser.out" "$H_TMP/browser.err" | head -5)"
  finish
fi
ok "the dashboard renders in Chromium with its event stream open"

RUN_DIR=/nonexistent DEVNET_DIR=/nonexistent API_URL=$U DEMO_PROVIDER_KEY=$ANVIL_KEY1 DEMO_RENTER_KEY=$ANVIL_KEY3 \
  DEMO_TIMEOUT=30 "$ROOT/scripts/demo.sh" >"$H_TMP/demo.out" 2>&1
check_eq "the demo flow succeeds against it" "$?" 0
wait $BPID
brc=$?
res=$(sed -n 's/^result //p' "$H_TMP/browser.out")
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($1)" "$res" 2>/dev/null; }
check_eq "the page changed live as the job ran (driver goal met)" "$brc/$(field 'd["met"]')" "0/True"
check_eq "no reload happened (the page's own marker survived)" "$(field 'd["after"]["marker"]')" True
check "the job total grew without a reload" test "$(field 'd["after"]["jobs_total"] > d["before"]["jobs_total"]')" = True
check "events arrived over SSE" test "$(field 'd["after"]["events"] > 0')" = True
job=$(sed -n 's/^demo: provider .* job \(0x[0-9a-f]*\)$/\1/p' "$H_TMP/demo.out")
check "the demo's job has a row that reached completed or later" test "$(field "any(r['id'] == '$job' and r['status'] in ('completed','confirmed','paid') for r in d['after']['rows'])")" = True
check "providers online counter moved" test "$(field 'd["after"]["providers_online"] > d["before"]["providers_online"]')" = True
check_eq "no script errors on the page" "$(field 'len(d["errors"])')" 0
check_eq "the phone layout does not scroll sideways" "$(field 'd["phone_overflow_px"] <= 0')" True
for f in dashboard-before dashboard-after dashboard-phone; do
  check "screenshot $f.png saved" test -s "$OUT/$f.png"
done
echo "# screenshots: $OUT"
finish
