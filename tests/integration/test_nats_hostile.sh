#!/usr/bin/env bash
# Hostile NATS clients (issue 21) against the server configuration `make run` uses: one account
# per provider (tools/natsauth.c). A provider may publish only its own agent.status and receive
# only its own jobs; lamda knows who sent a report (agent.status.<address>, mapped by the
# server) and checks the optional EIP-191 signature; queries are strict; a flood of bad
# messages writes a bounded log.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
NATSPROBE=$ROOT/$BUILD/natsprobe

RENTER_KEY=$ANVIL_KEY1
PROVIDER=$ANVIL_ADDR3 PROVIDER_KEY=$ANVIL_KEY3
STRANGER=$ANVIL_ADDR4 STRANGER_KEY=$ANVIL_KEY4 # a provider too, with its own NATS user
start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats_auth "$PROVIDER" "$STRANGER" || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
AS_PROVIDER=$(nats_url_as "$PROVIDER") AS_STRANGER=$(nats_url_as "$STRANGER")
IMAGE=nvidia/cuda:12.2.0-base-ubuntu22.04
CID=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG
OUT=bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi
export DATABASE_URL=sqlite:$H_TMP/lamda.db ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0
export API_PORT=$(free_port) API_RATE_LIMIT=0 LOG_MAX_PER_SECOND=20
API_URL=http://127.0.0.1:$API_PORT
start_lamda all all
wait_port "$API_PORT" || { not_ok "lamda all starts"; finish; }

# Subscribers: the provider on its own subject, the stranger on the provider's subject.
NATS_URL=$AS_PROVIDER "$NATSPROBE" sub "jobs.dispatch.$PROVIDER" 100 40000 >"$H_TMP/prov.out" 2>&1 &
track $!
NATS_URL=$AS_STRANGER "$NATSPROBE" sub "jobs.dispatch.$PROVIDER" 100 40000 >"$H_TMP/stranger.out" 2>&1 &
track $!
wait_for "subscribers ready" 10 grep -q ready "$H_TMP/prov.out" && wait_for "stranger ready" 10 grep -q ready "$H_TMP/stranger.out"
check "a client without credentials is refused by the server" bash -c \
  "NATS_URL=nats://127.0.0.1:$NATS_PORT '$NATSPROBE' pub agent.status '{}' >/dev/null 2>&1; grep -q 'authentication error\|Authorization Violation' '$H_TMP/nats.log'"
check "the stranger's subscription to another provider's jobs is refused" \
  bash -c "grep -q 'Subscription Violation.*Subject \"jobs.dispatch.$PROVIDER\"' '$H_TMP/nats.log' && grep -q 'Not Permitted' '$H_TMP/stranger.out'"
NATS_URL=$AS_STRANGER "$NATSPROBE" pub "jobs.dispatch.$PROVIDER" '{"jobId":"0xforged"}' >"$H_TMP/pub1.out" 2>&1
check "the stranger's publish to another provider's dispatch subject is refused" \
  grep -q "Publish Violation.*Subject \"jobs.dispatch.$PROVIDER\"" "$H_TMP/nats.log"
NATS_URL=$AS_STRANGER "$NATSPROBE" pub "lamda.dispatch.$PROVIDER" '{}' >/dev/null 2>&1
NATS_URL=$AS_STRANGER "$NATSPROBE" pub "agent.status.$PROVIDER" '{}' >/dev/null 2>&1
check "nor may it publish to the stream's subjects or as another provider's agent.status" bash -c \
  "grep -q 'Publish Violation.*\"lamda.dispatch.$PROVIDER\"' '$H_TMP/nats.log' && grep -q 'Publish Violation.*\"agent.status.$PROVIDER\"' '$H_TMP/nats.log'"

# A job reaches its provider (JetStream republish, exported to the provider's account only).
J1=$(new_job_id)
check_eq "spec accepted" "$(post_spec "$RENTER_KEY" "$J1" "$IMAGE" "$CID")" "202"
create_job "$RENTER_KEY" "$J1" "$PROVIDER"
check "the provider receives its job through its own account" wait_for "J1 at the provider" 15 grep -q "\"jobId\":\"$J1\"" "$H_TMP/prov.out"
sleep 0.5
check "the stranger received nothing (neither the job nor its own forged message)" bash -c "! grep -q '^msg ' '$H_TMP/stranger.out'"
check "the provider never saw the forged message" bash -c "! grep -q 0xforged '$H_TMP/prov.out'"

status_of() { curl -s "$API_URL/api/jobs/$1" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }
report() { printf '{"agent_address":"%s","job_id":"%s","status":"%s","output_cid":"%s","timestamp":"2026-12-02T08:07:32Z"%s}' "$@"; }
sign_report() { # KEY JOB STATUS OUTPUT → signature
  "$LAMDADEV" sign-message --key "$1" "$(printf 'lamda:agent-status\njob:%s\nstatus:%s\noutput:%s\ntimestamp:2026-12-02T08:07:32Z' "$2" "$3" "$4")"
}
# The stranger claims to be the provider: its publish reaches lamda as agent.status.<stranger>.
NATS_URL=$AS_STRANGER "$NATSPROBE" pub agent.status "$(report "$PROVIDER" "$J1" processing "" "")" >/dev/null 2>&1
check "a report claiming another provider is refused (the sender is the subject's address)" \
  wait_for "refusal" 10 grep -q "agent_address is not the sender's ($STRANGER)" "$H_TMP/all.log"
check_eq "and the job did not move" "$(status_of "$J1")" "assigned"
# The provider itself, with the unmodified agent's plain publish to agent.status.
NATS_URL=$AS_PROVIDER "$NATSPROBE" pub agent.status "$(report "$PROVIDER" "$J1" processing "" "")" >/dev/null 2>&1
is_status() { [ "$(status_of "$1")" = "$2" ]; }
check "the provider's own report is applied (agent.status mapped to agent.status.<provider>)" wait_for "J1 running" 10 is_status "$J1" running
# A forged signature: the provider's address, someone else's key.
SIG=$(sign_report "$STRANGER_KEY" "$J1" completed "$OUT")
NATS_URL=$AS_PROVIDER "$NATSPROBE" pub agent.status "$(report "$PROVIDER" "$J1" completed "$OUT" ",\"signature\":\"$SIG\"")" >/dev/null 2>&1
check "a report signed by the wrong key is refused" wait_for "forged signature" 10 grep -q "signature is not agent_address's" "$H_TMP/all.log"
check_eq "and the job did not move" "$(status_of "$J1")" "running"
SIG=$(sign_report "$PROVIDER_KEY" "$J1" completed "$OUT")
NATS_URL=$AS_PROVIDER "$NATSPROBE" pub agent.status "$(report "$PROVIDER" "$J1" completed "$OUT" ",\"signature\":\"$SIG\"")" >/dev/null 2>&1
check "the provider's signed report is applied" wait_for "J1 completed" 10 is_status "$J1" completed
# The stream in lamda's account keeps the provider's reports too (they reach it through the
# account import): each good report also comes from the capture, applied or as a repeat.
captured() { curl -s "$API_URL/metrics" | awk '/^lamda_agent_status_total\{result="(applied|repeat)"\}/ {n += $2} END {print n + 0}'; }
captured_at_least() { [ "$(captured)" -ge "$1" ]; }
check "the provider's reports also came through the LAMDA_STATUS capture" wait_for "captured" 10 captured_at_least 2

# NATS queries follow the HTTP query routes' rule: one object, known fields, JSON types.
q() { "$NATSPROBE" request jobs.query "$1" 3000 2>&1; }
check "jobs.query answers a good query" grep -q '"count":1' <<<"$(q "{\"provider_address\":\"$PROVIDER\"}")"
check "jobs.query: trailing data refused" grep -q 'data after the JSON object' <<<"$(q '{"limit":5}{"x":1}')"
check "jobs.query: unknown field refused" grep -q 'unknown field' <<<"$(q '{"limt":5}')"
check "jobs.query: a number as a string refused" grep -q '"error"' <<<"$(q '{"limit":"5"}')"

# A flood of bad messages from a provider: the log stays bounded, /metrics counts the rest.
before=$(grep -c 'agent.status dropped' "$H_TMP/all.log")
NATS_URL=$AS_PROVIDER "$NATSPROBE" pub agent.status '{"not":"a report"' 20000 >/dev/null 2>&1
dropped() { curl -s "$API_URL/metrics" | sed -n 's/^lamda_agent_status_total{result="dropped"} //p'; }
enough() { [ "$(dropped)" -ge 20000 ]; }
check "the 20000 bad messages were all seen" wait_for "flood consumed" 30 enough
sleep 1.1; curl -s -o /dev/null "$API_URL/api/jobs/$J1" # a later line writes the summaries
lines=$(($(grep -c 'agent.status dropped' "$H_TMP/all.log") - before))
sup=$(curl -s "$API_URL/metrics" | sed -n 's/^lamda_log_suppressed_total{level="warn"} //p')
echo "# flood: $lines 'dropped' lines written, ${sup:-0} warn lines suppressed, log $(wc -c <"$H_TMP/all.log") bytes"
check "flood: at most 20 lines per second plus summaries ($lines)" test "$lines" -le 400
check "flood: the lines left out are counted (lamda_log_suppressed_total ${sup:-0} >= 19000)" test "${sup:-0}" -ge 19000

# AGENT_STATUS_REQUIRE_SIGNATURE=true: an unsigned report is refused, a signed one applied.
kill -TERM "$LAMDA_PID_all"; wait "$LAMDA_PID_all" 2>/dev/null
AGENT_STATUS_REQUIRE_SIGNATURE=true start_lamda all2 all
wait_port "$API_PORT" || not_ok "lamda restarts"
J2=$(new_job_id)
post_spec "$RENTER_KEY" "$J2" "$IMAGE" "$CID" >/dev/null
create_job "$RENTER_KEY" "$J2" "$PROVIDER"
wait_for "J2 at the provider" 15 grep -q "\"jobId\":\"$J2\"" "$H_TMP/prov.out"
sleep 1 # the subscriptions of the restarted dispatcher
NATS_URL=$AS_PROVIDER "$NATSPROBE" pub agent.status "$(report "$PROVIDER" "$J2" processing "" "")" >/dev/null 2>&1
check "signature required: an unsigned report is refused" wait_for "unsigned" 10 grep -q 'no signature (AGENT_STATUS_REQUIRE_SIGNATURE' "$H_TMP/all2.log"
check_eq "and the job did not move" "$(status_of "$J2")" "assigned"
SIG=$(sign_report "$PROVIDER_KEY" "$J2" processing "")
NATS_URL=$AS_PROVIDER "$NATSPROBE" pub agent.status "$(report "$PROVIDER" "$J2" processing "" ",\"signature\":\"$SIG\"")" >/dev/null 2>&1
check "signature required: a signed report is applied" wait_for "J2 running" 10 is_status "$J2" running
check "no NATS password in lamda's log" bash -c "! grep -q '$(cat "$NATS_AUTH_DIR/lamda.password")' '$H_TMP/all.log' '$H_TMP/all2.log'"
finish
