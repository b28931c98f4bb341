#!/usr/bin/env bash
# build/agentsim speaks the published node agent's protocol on a real nats-server: it listens on
# jobs.dispatch.<EIP-55 address>, reads job_id/image_name/input_file_cid, and reports
# processing then completed (or failed) on agent.status with an RFC 3339 timestamp and a
# deterministic CIDv0; it honours --count, --once, --timeout, --fail and --address.
source "$(dirname "$0")/../lib/harness.sh"
AGENTSIM=$ROOT/$BUILD/agentsim
NATSPROBE=$ROOT/$BUILD/natsprobe
start_nats || { not_ok "nats-server starts"; finish; }
SUBJ=jobs.dispatch.$ANVIL_ADDR1
CID_IN=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG
JOB_A=0x$(printf 'a%.0s' $(seq 64))
JOB_B=0x$(printf 'b%.0s' $(seq 64))
job_msg() { printf '{"jobId":"%s","dockerImage":"alpine:3","inputFileCID":"%s","job_id":"%s","image_name":"alpine:3","input_file_cid":"%s"}' "$1" "$CID_IN" "$1" "$CID_IN"; }
# Core publish: a request nobody answers still delivers the message to subscribers.
publish() { "$NATSPROBE" request "$1" "$2" 200 >/dev/null 2>&1; true; }
ready() { grep -q '^ready' "$1" 2>/dev/null; }
statuses_of() { grep "\"job_id\":\"$2\"" "$1" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' | tr '\n' ' '; }

# --- three jobs (one repeated, one malformed) with --count 4 -----------------------------------
"$NATSPROBE" sub agent.status 100 20000 >"$H_TMP/status.out" 2>/dev/null &
WITNESS=$!; track $WITNESS
"$AGENTSIM" --key "$ANVIL_KEY1" --count 4 --timeout 20 --work-ms 20 >"$H_TMP/agent.out" 2>"$H_TMP/agent.err" &
AGENT=$!; track $AGENT
wait_for_ready() { for _ in $(seq 100); do ready "$1" && return 0; sleep 0.1; done; return 1; }
check "agentsim prints ready" wait_for_ready "$H_TMP/agent.out"
wait_for_ready "$H_TMP/status.out"
check_eq "subscribes to jobs.dispatch.<EIP-55 address of the key>" \
  "$(sed -n 's/^ready address=\([^ ]*\) subject=\([^ ]*\).*$/\1 \2/p' "$H_TMP/agent.out")" "$ANVIL_ADDR1 $SUBJ"
publish "$SUBJ" "$(job_msg $JOB_A)"
publish "$SUBJ" "$(job_msg $JOB_A)"
publish "$SUBJ" '{"job_id":'
publish "$SUBJ" "$(job_msg $JOB_B)"
wait $AGENT
check_eq "exits 0 once --count jobs arrived" "$?" 0
check_eq "one line per job received" "$(grep -c '^job ' "$H_TMP/agent.out")" 3
check "a malformed message is reported, not fatal" grep -q '^bad-message not a JSON object' "$H_TMP/agent.out"
check "the job line carries image, input and latency fields" \
  grep -qE "^job $JOB_A image=alpine:3 input=$CID_IN status=completed output=Qm[1-9A-HJ-NP-Za-km-z]{44} at_ms=[0-9]+ waited_ms=[0-9]+ handled_ms=[0-9]+$" "$H_TMP/agent.out"
sleep 0.3
check_eq "job A: processing then completed, twice" "$(statuses_of "$H_TMP/status.out" $JOB_A)" "processing completed processing completed "
check_eq "job B: processing then completed" "$(statuses_of "$H_TMP/status.out" $JOB_B)" "processing completed "
A_CIDS=$(grep "\"job_id\":\"$JOB_A\"" "$H_TMP/status.out" | grep completed | sed -n 's/.*"output_cid":"\([^"]*\)".*/\1/p' | sort -u)
B_CID=$(grep "\"job_id\":\"$JOB_B\"" "$H_TMP/status.out" | grep completed | sed -n 's/.*"output_cid":"\([^"]*\)".*/\1/p')
check_eq "the output CID is deterministic per job" "$(wc -l <<<"$A_CIDS")" 1
check "the output CID is a CIDv0" grep -qE '^Qm[1-9A-HJ-NP-Za-km-z]{44}$' <<<"$A_CIDS"
check "different jobs get different CIDs" test "$A_CIDS" != "$B_CID"
check "the job line shows the CID reported" grep -q "output=$A_CIDS " "$H_TMP/agent.out"
check "status messages have exactly the five keys of the published agent" \
  grep -qE "^msg agent.status \{\"agent_address\":\"$ANVIL_ADDR1\",\"job_id\":\"$JOB_A\",\"status\":\"processing\",\"output_cid\":\"\",\"timestamp\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\"\}$" "$H_TMP/status.out"
check_eq "the malformed message produced no status" "$(grep -c '^msg agent.status' "$H_TMP/status.out")" 6
{ kill -KILL $WITNESS; wait $WITNESS; } 2>/dev/null

# --- --fail --once, by --address ------------------------------------------------------------------
"$NATSPROBE" sub agent.status 100 20000 >"$H_TMP/status2.out" 2>/dev/null &
WITNESS=$!; track $WITNESS
"$AGENTSIM" --address "$(tr 'A-F' 'a-f' <<<"$ANVIL_ADDR1")" --fail --once --timeout 20 --work-ms 0 >"$H_TMP/agent2.out" 2>/dev/null &
AGENT=$!; track $AGENT
wait_for_ready "$H_TMP/agent2.out"; wait_for_ready "$H_TMP/status2.out"
check "--address subscribes on the checksummed subject" grep -q "subject=$SUBJ " "$H_TMP/agent2.out"
publish "$SUBJ" "$(job_msg $JOB_B)"
wait $AGENT
check_eq "--once exits 0 after one job" "$?" 0
sleep 0.3
check_eq "--fail reports processing then failed" "$(statuses_of "$H_TMP/status2.out" $JOB_B)" "processing failed "
check "a failed report has an empty output CID" grep -q '"status":"failed","output_cid":""' "$H_TMP/status2.out"
{ kill -KILL $WITNESS; wait $WITNESS; } 2>/dev/null

# --- --timeout without the jobs, and usage errors ---------------------------------------------------
"$AGENTSIM" --key "$ANVIL_KEY1" --count 1 --timeout 1 >/dev/null 2>&1
check_eq "--timeout before --count jobs exits 1" "$?" 1
"$AGENTSIM" --key 0x1234 >/dev/null 2>"$H_TMP/bad.err"
check_eq "a malformed key is a usage error" "$?" 2
check "the key is not echoed" bash -c "! grep -q 0x1234 '$H_TMP/bad.err'"
"$AGENTSIM" >/dev/null 2>&1
check_eq "no key or address is a usage error" "$?" 2
finish
