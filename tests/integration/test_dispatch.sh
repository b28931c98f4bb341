#!/usr/bin/env bash
# The job dispatcher sends each created job that has its renter's spec to the provider's
# jobs.dispatch.<address> subject exactly once, and tracks agent.status reports.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
NATSPROBE=$ROOT/$BUILD/natsprobe

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats && start_postgres || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
RENTER_KEY=$ANVIL_KEY1 RENTER=$ANVIL_ADDR1 OTHER_KEY=$ANVIL_KEY4
IMAGE=nvidia/cuda:12.2.0-base-ubuntu22.04
CID=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG
OUT_CID=bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi

# Each suite has its own provider: the PostgreSQL suite's followers also replay the SQLite
# suite's events from the same chains (without its specs, so nothing of it is dispatched).
run_suite() { # backend database-url provider-key provider-address rtx-providers-expected
BE=$1
export DATABASE_URL=$2
PROVIDER_KEY=$3 PROVIDER=$4 RTX_NODES=$5
export API_PORT=$(free_port) API_RATE_LIMIT=0
API_URL=http://127.0.0.1:$API_PORT
start_lamda disp job-dispatcher
start_lamda api api-gateway
wait_port "$API_PORT" || { not_ok "api starts"; finish; }

# A core subscriber on the provider's subject for the whole test.
"$NATSPROBE" sub "jobs.dispatch.$PROVIDER" 1000 60000 >"$H_TMP/sub-$BE.out" 2>&1 &
SUB_PID=$!; track $SUB_PID
wait_for "subscriber ready" 10 grep -q ready "$H_TMP/sub-$BE.out"
got_msg() { grep -c "\"jobId\":\"$(tr 'A-F' 'a-f' <<<"$1")\"" "$H_TMP/sub-$BE.out"; }
has_msg() { [ "$(got_msg "$1")" -ge 1 ]; }

# 1. Spec before event.
J1=$(new_job_id)
check_eq "$BE: spec before event: accepted (202)" "$(post_spec $RENTER_KEY $J1 $IMAGE $CID)" "202"
create_job $RENTER_KEY $J1 $PROVIDER
check "$BE: spec before event: dispatched" wait_for "J1 message" 15 has_msg $J1
line=$(grep "\"jobId\":\"$J1\"" "$H_TMP/sub-$BE.out" | head -1)
for key in jobId dockerImage inputFileCID job_id image_name input_file_cid renter provider payment block; do
  grep -q "\"$key\":" <<<"$line" || not_ok "message has key $key"
done
check "$BE: message carries image, CID and provider" grep -q "\"image_name\":\"$IMAGE\".*\"input_file_cid\":\"$CID\".*\"provider\":\"$PROVIDER\"" <<<"$line"

# 2. Spec after event.
J2=$(new_job_id)
create_job $RENTER_KEY $J2 $PROVIDER
check "$BE: spec after event: job recorded as created" wait_for "J2 row" 15 job_status_is $J2 created
check_eq "$BE: spec after event: accepted and bound (200)" "$(post_spec $RENTER_KEY $J2 $IMAGE $CID)" "200"
check "$BE: spec after event: dispatched" wait_for "J2 message" 15 has_msg $J2
check_eq "$BE: spec after event: job assigned" "$(job_status $J2)" "assigned"
check_eq "$BE: a different second spec is refused (409)" "$(post_spec $RENTER_KEY $J2 nvidia/cuda:11.8-base $CID)" "409"

# 3. A spec signed by someone other than the renter never dispatches.
J3=$(new_job_id)
check_eq "$BE: foreign spec before event: accepted for now (202)" "$(post_spec $OTHER_KEY $J3 evil/miner:latest $CID)" "202"
create_job $RENTER_KEY $J3 $PROVIDER
J4=$(new_job_id)
create_job $RENTER_KEY $J4 $PROVIDER
wait_for "J4 row" 15 job_status_is $J4 created
check_eq "$BE: foreign spec after event: forbidden (403)" "$(post_spec $OTHER_KEY $J4 evil/miner:latest $CID)" "403"
check_eq "$BE: renter's spec replaces a squatter's (200)" "$(post_spec $RENTER_KEY $J3 $IMAGE $CID)" "200"
check "$BE: squatted job dispatched with the renter's spec" wait_for "J3 message" 15 has_msg $J3
# 3b. Squatting before the event (issue 21): a stranger's spec first, then the renter's, both
# before createJob. Before the fix the stranger's took the id (202) and the renter got 409.
J5=$(new_job_id)
check_eq "$BE: squatter's spec before the event: kept as its candidate (202)" "$(post_spec $OTHER_KEY $J5 evil/miner:latest $CID)" "202"
check_eq "$BE: renter's spec after a squatter's, before the event: 202, not 409" "$(post_spec $RENTER_KEY $J5 $IMAGE $CID)" "202"
create_job $RENTER_KEY $J5 $PROVIDER
check "$BE: the on-chain renter's spec wins: dispatched" wait_for "J5 message" 15 has_msg $J5
check "$BE: dispatched with the renter's image, not the squatter's" grep -q "\"jobId\":\"$J5\".*\"image_name\":\"$IMAGE\"" "$H_TMP/sub-$BE.out"
check_eq "$BE: no candidate spec left for a job on chain" "$(db_q "select count(*) from job_spec_candidates where $(addr_hex_sql job_id) = '${J5#0x}'")" "0"
sleep 1
check_eq "$BE: job without the renter's spec not dispatched" "$(got_msg $J4)" "0"
check_eq "$BE: no job dispatched twice" "$(grep -o '"jobId":"0x[0-9a-f]*"' "$H_TMP/sub-$BE.out" | sort | uniq -d | wc -l)" "0"
check_eq "$BE: malformed spec body refused (400)" \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{"jobId":"0x12"}' $API_URL/api/jobs)" "400"
check_eq "$BE: bad CID refused (400)" "$(post_spec $RENTER_KEY $(new_job_id) $IMAGE QmNotACid)" "400"
check_eq "$BE: bad image refused (400)" "$(post_spec $RENTER_KEY $(new_job_id) 'UPPER/Case:tag' $CID)" "400"

# 4. A durable JetStream consumer sees exactly one message per dispatched job.
consumed=$("$NATSPROBE" js-consume LAMDA_DISPATCH "durable-$BE" 1500)
for j in $J1 $J2 $J3; do check_eq "$BE: durable consumer: one message for ${j:0:10}" "$(grep -c "$j" <<<"$consumed")" "1"; done
check_eq "$BE: durable consumer: none for the job without the renter's spec" "$(grep -c "$J4" <<<"$consumed")" "0"

# 5. agent.status reports.
status_msg() { printf '{"agent_address":"%s","job_id":"%s","status":"%s","output_cid":"%s","timestamp":"2026-11-29T12:00:00Z"}' "$@"; }
pub() { "$NATSPROBE" request agent.status "$1" 200 >/dev/null 2>&1; } # no responder: a plain publish
pub "$(status_msg $RENTER $J1 processing '')"
pub '{"not json'
pub "$(head -c 1048576 /dev/zero | tr '\0' 'a')"
pub "$(status_msg $PROVIDER $J1 completed 'QmBad')"
sleep 0.5
check_eq "$BE: report from a wrong agent is ignored" "$(job_status $J1)" "assigned"
# The published Go agent's timestamps (time.RFC3339Nano): nine fraction digits and an offset;
# 17:30:00.215190849+05:30 and 08:30:00.5-03:30 are both 2026-11-29T12:00:00Z = 1795953600.
pub "{\"agent_address\":\"$PROVIDER\",\"job_id\":\"$J1\",\"status\":\"processing\",\"output_cid\":\"\",\"timestamp\":\"2026-11-29T17:30:00.215190849+05:30\"}"
check "$BE: processing → running" wait_for "running" 5 job_status_is $J1 running
check_eq "$BE: a Go RFC3339Nano +05:30 timestamp is stored as its UTC instant" \
  "$(db_q "select running_at from jobs where $(addr_hex_sql job_id) = lower('${J1#0x}')")" "1795953600"
pub "$(status_msg $PROVIDER $J1 completed $OUT_CID)"
check "$BE: completed with output CID" wait_for "completed" 5 job_status_is $J1 completed
check_eq "$BE: output CID stored" "$(db_q "select output_cid from jobs where $(addr_hex_sql job_id) = lower('${J1#0x}')")" "$OUT_CID"
pub "$(status_msg $PROVIDER $J1 processing '')"
sleep 0.5
check_eq "$BE: invalid transition (completed → running) refused" "$(job_status $J1)" "completed"
pub "{\"agent_address\":\"$PROVIDER\",\"job_id\":\"$J2\",\"status\":\"failed\",\"timestamp\":\"2026-11-29T08:30:00.5-03:30\"}"
check "$BE: failed without output_cid recorded" wait_for "failed" 5 job_status_is $J2 failed
check_eq "$BE: a -03:30 timestamp is stored as its UTC instant" \
  "$(db_q "select failed_at from jobs where $(addr_hex_sql job_id) = lower('${J2#0x}')")" "1795953600"
check "$BE: dispatcher survived every message" kill -0 $LAMDA_PID_disp

# 6. Confirmation and payment follow the chain.
jm_send $RENTER_KEY 'confirmResult(bytes32)' $J1
check "$BE: JobConfirmed → confirmed" wait_for "confirmed" 10 job_status_is $J1 confirmed
check_eq "$BE: reputation update queued once" "$(db_q "select count(*) from reputation_updates where $(addr_hex_sql job_id) = lower('${J1#0x}')")" "1"
jm_send $PROVIDER_KEY 'claimReward(bytes32)' $J1
check "$BE: PaymentClaimed → paid" wait_for "paid" 10 job_status_is $J1 paid
check_eq "$BE: paid amount" "$(db_q "select paid_amount from jobs where $(addr_hex_sql job_id) = lower('${J1#0x}')")" "1000000000000000"

# 7. The original's NATS request/reply queries.
r=$("$NATSPROBE" request jobs.query "{\"provider_address\":\"$PROVIDER\",\"limit\":2}" 3000)
check "$BE: jobs.query: total count of the provider's jobs" grep -q '"count":5' <<<"$r"
check_eq "$BE: jobs.query: limit respected" "$(grep -o '"job_id"' <<<"$r" | wc -l)" "2"
check "$BE: jobs.query: a bad query gets an error" grep -q '"error"' <<<"$("$NATSPROBE" request jobs.query '{"limit":"x"}' 3000)"
start_lamda nr node-registry
nr_send $PROVIDER_KEY 'registerNode(string,uint256)' "RTX 4090" 24576
nodes_one() { grep -q "\"count\":$RTX_NODES" <<<"$("$NATSPROBE" request nodes.query '{"min_vram":20000,"gpu_model":"rtx 4090"}' 3000)"; }
check "$BE: nodes.query: filtered by VRAM and GPU model" wait_for "nodes.query" 15 nodes_one
check "$BE: nodes.query: filters exclude" grep -q '"count":0' <<<"$("$NATSPROBE" request nodes.query '{"min_vram":30000}' 3000)"
for p in $LAMDA_PID_disp $LAMDA_PID_api $LAMDA_PID_nr; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
kill "$SUB_PID" 2>/dev/null
}

run_suite sqlite "sqlite:$H_TMP/d.db" $ANVIL_KEY3 $ANVIL_ADDR3 1
run_suite postgres "$PG_URL" $ANVIL_KEY0 $ANVIL_ADDR0 2
finish
