#!/usr/bin/env bash
# Secrets and hostile input (issue 11): `lamda all` runs with the admin key (from a 0600 key
# file) and API_ADMIN_TOKEN, and everything is exercised — the API's read and mutating
# endpoints, /metrics, a job through dispatch and confirmation (the key signs an increment), a
# reverted increment, `lamda config`, `lamda reputation audit`, bad configurations, a non-owner
# key — then EVERYTHING the run produced (logs, stdout/stderr, HTTP responses, /metrics, the
# SQLite database and its WAL) is searched for the key's hex (with and without 0x, any case)
# and for the token: none. Also: a key file readable by others is refused; mutations without
# credentials, with a wrong token, and a replayed provider signature are refused; SQL-injection
# strings in every query parameter, path parameter and body field get no 5xx and change no table.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
cp "$LAMDA" "$LAMDADEV" "$H_TMP/" && LAMDA=$H_TMP/lamda LAMDADEV=$H_TMP/lamdadev
OUT=$H_TMP/out # everything the run produces goes here (the key file does not)
SECRET=$H_TMP/secret
mkdir -p "$OUT" "$SECRET"

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_nats || { not_ok "parts start"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
KEY=$ANVIL_KEY0 # the NodeReputation owner
TOKEN=tok-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
printf '%s\n' "$KEY" >"$SECRET/admin.key"
chmod 600 "$SECRET/admin.key"
export DATABASE_URL=sqlite:$OUT/lamda.db ADMIN_WALLET_PRIVATE_KEY_FILE=$SECRET/admin.key API_ADMIN_TOKEN=$TOKEN
export LOG_LEVEL=debug API_PORT
API_PORT=$(free_port)
API=http://127.0.0.1:$API_PORT
N=0
# req NAME CURL-ARGS...: the response body goes to $OUT/NAME.body, the status is printed.
req() { local n=$1; shift; curl -s -m 10 -o "$OUT/$n.body" -w '%{http_code}' "$@"; }

# ---- key file permissions -------------------------------------------------------------------------
cp "$SECRET/admin.key" "$SECRET/loose.key"
chmod 644 "$SECRET/loose.key"
ADMIN_WALLET_PRIVATE_KEY_FILE=$SECRET/loose.key "$LAMDA" config >"$OUT/loose.out" 2>&1
rc=$?
check "a key file with mode 0644 is refused (exit $rc)" [ "$rc" -ne 0 ]
check "the refusal names the setting" grep -q ADMIN_WALLET_PRIVATE_KEY_FILE "$OUT/loose.out"
ADMIN_WALLET_PRIVATE_KEY_FILE=$SECRET/loose.key timeout 10 "$LAMDA" reputation-service >"$OUT/loose-service.out" 2>&1
check "a service with a 0644 key file does not start" [ "$?" -ne 0 ]

# ---- bad configurations (error paths that handle the key) ------------------------------------------
ADMIN_WALLET_PRIVATE_KEY=$KEY "$LAMDA" config >"$OUT/both.out" 2>&1
check "key and key file together are refused" [ "$?" -ne 0 ]
ADMIN_WALLET_PRIVATE_KEY=${KEY}00 ADMIN_WALLET_PRIVATE_KEY_FILE= "$LAMDA" config >"$OUT/longkey.out" 2>&1
check "a malformed key is refused" [ "$?" -ne 0 ]
ADMIN_WALLET_PRIVATE_KEY=${KEY:0:60}zz ADMIN_WALLET_PRIVATE_KEY_FILE= "$LAMDA" config >"$OUT/badhex.out" 2>&1
check "a key with bad hex is refused" [ "$?" -ne 0 ]
API_PORT=notaport "$LAMDA" all >"$OUT/badport.out" 2>&1
check "a bad API_PORT stops start-up" [ "$?" -ne 0 ]
ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY1 ADMIN_WALLET_PRIVATE_KEY_FILE= timeout 20 "$LAMDA" reputation-service >"$OUT/notowner.out" 2>&1
check "a non-owner key is refused at start-up" [ "$?" -ne 0 ]
# URL settings with a scheme their client does not speak: exit 2 at start, naming the variable.
for kv in NATS_URL=http://127.0.0.1:4222 BSC_RPC_URL=ftp://127.0.0.1:8545 OPBNB_WS_URL=http://127.0.0.1:8546; do
  env "$kv" "$LAMDA" config >"$OUT/scheme.out" 2>&1
  check_eq "lamda config refuses $kv with exit 2" "$?" 2
  check "  and names ${kv%%=*}" grep -q "configuration error: ${kv%%=*}: unsupported scheme" "$OUT/scheme.out"
done
NATS_URL=http://127.0.0.1:4222 timeout 10 "$LAMDA" api-gateway >"$OUT/scheme-svc.out" 2>&1
check_eq "a service with a bad NATS_URL scheme does not start (exit 2)" "$?" 2
# --help prints usage (stdout, exit 0), never the configuration.
"$LAMDA" config --help >"$OUT/config-help.out" 2>&1
check_eq "lamda config --help exits 0" "$?" 0
check "lamda config --help prints its usage, not the configuration" \
  bash -c "grep -q '^usage: lamda config' '$OUT/config-help.out' && ! grep -q '^NATS_URL=' '$OUT/config-help.out'"
"$LAMDA" api-gateway -h >"$OUT/svc-help.out" 2>&1
check "lamda api-gateway -h prints its usage and exits 0" bash -c "[ $? = 0 ] && grep -q '^usage: lamda api-gateway' '$OUT/svc-help.out'"
"$LAMDA" --help >"$OUT/help.out" 2>&1
check "lamda --help lists the commands" grep -q '^usage: lamda <command>' "$OUT/help.out"
"$LAMDA" config >"$OUT/config.out" 2>&1
check_eq "lamda config runs" "$?" 0
check "lamda config shows the key redacted" grep -q '^ADMIN_WALLET_PRIVATE_KEY_FILE=' "$OUT/config.out"

# ---- the service, exercised ----------------------------------------------------------------------
"$LAMDA" all >"$OUT/all.log" 2>&1 &
ALL_PID=$!
track $ALL_PID
wait_for "api" 30 curl -fs -m 2 -o /dev/null "$API/health" || { not_ok "lamda all serves the API"; finish; }
nr_send "$ANVIL_KEY1" 'registerNode(string,uint256)' "RTX 4090" 24576 || not_ok "register"
nr_send "$ANVIL_KEY1" 'sendHeartbeat()' || not_ok "heartbeat"
JOB=$(new_job_id)
API_URL=$API
check_eq "a signed job spec is accepted (202: before its JobCreated)" "$(post_spec "$ANVIL_KEY3" "$JOB" ghcr.io/lamda/worker:1.0 QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG)" 202
cp "$H_TMP/spec.json" "$OUT/spec.body"
create_job "$ANVIL_KEY3" "$JOB" "$ANVIL_ADDR1" || not_ok "create job"
check "the job is dispatched" wait_for "assigned" 20 job_status_is "$JOB" assigned

ST="$API/api/jobs/$JOB/status"
check_eq "PUT status without credentials: 401" "$(req put-noauth -X PUT -H 'content-type: application/json' -d '{"status":"running"}' "$ST")" 401
check_eq "PUT status with a wrong token: 403" "$(req put-wrong -X PUT -H 'content-type: application/json' -H "Authorization: Bearer ${TOKEN}x" -d '{"status":"running"}' "$ST")" 403
check_eq "PUT status with another scheme: 401" "$(req put-basic -X PUT -H 'content-type: application/json' -H "Authorization: Basic $TOKEN" -d '{"status":"running"}' "$ST")" 401
TS=$(date +%s)
SIG=$("$LAMDADEV" sign-message --key "$ANVIL_KEY1" "$(printf 'lamda:job-status\njob:%s\nstatus:running\ntimestamp:%s' "$JOB" "$TS")")
BODY="{\"status\":\"running\",\"signature\":\"$SIG\",\"timestamp\":$TS}"
check_eq "PUT status signed by the provider: 200" "$(req put-signed -X PUT -H 'content-type: application/json' -d "$BODY" "$ST")" 200
check_eq "the same signed request replayed: 403" "$(req put-replay -X PUT -H 'content-type: application/json' -d "$BODY" "$ST")" 403
OLD=$((TS - 3600))
SIG=$("$LAMDADEV" sign-message --key "$ANVIL_KEY1" "$(printf 'lamda:job-status\njob:%s\nstatus:completed\ntimestamp:%s' "$JOB" "$OLD")")
check_eq "a signature an hour old: 403" "$(req put-old -X PUT -H 'content-type: application/json' -d "{\"status\":\"completed\",\"output_cid\":\"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\",\"signature\":\"$SIG\",\"timestamp\":$OLD}" "$ST")" 403
SIG=$("$LAMDADEV" sign-message --key "$ANVIL_KEY4" "$(printf 'lamda:job-status\njob:%s\nstatus:completed\ntimestamp:%s' "$JOB" "$TS")")
check_eq "a signature by someone else: 403" "$(req put-other -X PUT -H 'content-type: application/json' -d "{\"status\":\"completed\",\"output_cid\":\"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\",\"signature\":\"$SIG\",\"timestamp\":$TS}" "$ST")" 403
check_eq "PUT status with the admin token: 200" "$(req put-admin -X PUT -H 'content-type: application/json' -H "Authorization: Bearer $TOKEN" -d '{"status":"completed","output_cid":"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"}' "$ST")" 200
check_eq "a spec with a bad signature is refused (4xx)" "$(req spec-bad -H 'content-type: application/json' -d "{\"jobId\":\"$(new_job_id)\",\"dockerImage\":\"a:b\",\"inputFileCID\":\"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\",\"signature\":\"0x$(printf '11%.0s' {1..65})\"}" "$API/api/jobs" | cut -c1)" 4

# The key at work: a confirmation → incrementJobs signed and mined; then a reverted one.
jm_send "$ANVIL_KEY3" 'confirmResult(bytes32)' "$JOB" || not_ok "confirm"
inc() { [ "$("$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented)" = "$1" ]; }
check "the admin key signed an increment" wait_for "increment" 30 inc 1
nr_send "$ANVIL_KEY0" 'transferOwnership(address)' "$ANVIL_ADDR1" || not_ok "give ownership away"
JOB2=$(new_job_id)
create_job "$ANVIL_KEY3" "$JOB2" "$ANVIL_ADDR1" && jm_send "$ANVIL_KEY3" 'confirmResult(bytes32)' "$JOB2" || not_ok "second job"
failed() { [ "$(db_q "select count(*) from reputation_updates where state = 'failed'" 2>/dev/null)" = 1 ]; }
check "a reverted increment is recorded as failed" wait_for "revert" 30 failed
nr_send "$ANVIL_KEY1" 'transferOwnership(address)' "$ANVIL_ADDR0" || not_ok "ownership back"
"$LAMDA" reputation audit >"$OUT/audit.out" 2>&1
check "lamda reputation audit reports the drift the revert left (exit 1)" [ "$?" = 1 ]

# ---- SQL injection in every parameter ------------------------------------------------------------
INJ=("' OR '1'='1" "'; DROP TABLE jobs; --" "\" OR \"\"=\"" "1; DELETE FROM providers" "1 UNION SELECT * FROM ledger"
     "0x70997970C51812dc3A010C7d01b50e0d17dc79C8' --" "%' OR 1=1 --" "\\'; UPDATE jobs SET status='paid'; --")
counts() { db_q "select (select count(*) from jobs)||'/'||(select count(*) from providers)||'/'||(select count(*) from ledger)||'/'||(select count(*) from job_specs)||'/'||(select count(*) from sqlite_master)||'/'||(select group_concat(status) from jobs)"; }
BEFORE=$(counts)
five=0 total=0
hit() { # CURL-ARGS...: one hostile request; counts 5xx
  local c; c=$(req "inj-$total" "$@"); total=$((total + 1))
  [[ "$c" == 5?? || "$c" == 000 ]] && { five=$((five + 1)); echo "# $c for: $*" >&2; }
}
QPARAMS=(status limit offset renter renter_address provider provider_address gpu_model min_vram min_reputation_score online page sort)
for s in "${INJ[@]}"; do
  for p in "${QPARAMS[@]}"; do
    for path in /api/jobs /api/nodes /api/v1/jobs /api/v1/nodes "/api/reputation/$ANVIL_ADDR1/jobs"; do
      hit -G --data-urlencode "$p=$s" "$API$path"
    done
  done
  enc=$(jq -rn --arg s "$s" '$s|@uri')
  for path in "/api/jobs/$enc" "/api/nodes/$enc" "/api/v1/jobs/$enc" "/api/v1/nodes/$enc" "/api/v1/jobs/renter/$enc" \
              "/api/v1/jobs/provider/$enc" "/api/reputation/$enc" "/api/reputation/$enc/jobs"; do
    hit "$API$path"
  done
  js=$(jq -cn --arg s "$s" '$s')
  for f in renter_address provider_address status gpu_model min_vram online limit offset min_reputation_score; do
    hit -H 'content-type: application/json' -d "{\"$f\":$js}" "$API/api/jobs/query"
    hit -H 'content-type: application/json' -d "{\"$f\":$js}" "$API/api/nodes/query"
  done
  for f in jobId dockerImage inputFileCID signature; do
    b=$(jq -cn --arg s "$s" --arg f "$f" --arg j "$(new_job_id)" \
      '{jobId:$j,dockerImage:"a:b",inputFileCID:"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",signature:"0x00"} | .[$f]=$s')
    hit -H 'content-type: application/json' -d "$b" "$API/api/jobs"
  done
  for f in status output_cid error_message signature timestamp; do
    b=$(jq -cn --arg s "$s" --arg f "$f" '{status:"failed"} | .[$f]=$s')
    hit -X PUT -H 'content-type: application/json' -H "Authorization: Bearer $TOKEN" -d "$b" "$ST"
    hit -X PUT -H 'content-type: application/json' -H "X-Signature: $s" -H "X-Timestamp: $s" -d "$b" "$ST"
  done
done
echo "# $total hostile requests"
check_eq "SQL-injection strings: no 5xx in $total requests" "$five" 0
check_eq "SQL-injection strings: tables intact (rows, schema, statuses)" "$(counts)" "$BEFORE"
check_eq "the database passes integrity_check" "$(db_q 'pragma integrity_check')" ok

# ---- /metrics and the rest, then stop -------------------------------------------------------------
for p in /metrics /health /ready /api/openapi.json /api/nodes /api/jobs /api/v1/nodes/stats /api/v1/jobs/stats \
         "/api/nodes/$ANVIL_ADDR1" "/api/jobs/$JOB" "/api/reputation/$ANVIL_ADDR1"; do
  req "get-$(tr -c 'a-zA-Z0-9' _ <<<"$p")" "$API$p" >/dev/null
done
check "/metrics answers" grep -q '^lamda_' "$OUT/get-_metrics_.body"
t0=$(date +%s%N)
kill -TERM $ALL_PID
wait $ALL_PID
rc=$?
gone_ms=$((($(date +%s%N) - t0) / 1000000))
echo "# lamda all gone ${gone_ms} ms after SIGTERM"
check_eq "lamda all stops cleanly on SIGTERM" "$rc" 0
"$LAMDA" config >"$OUT/config2.out" 2>&1

# ---- search everything ---------------------------------------------------------------------------------
cp "$H_TMP"/nats.log "$OUT/" 2>/dev/null
K=${KEY#0x}
files=$(find "$OUT" -type f | wc -l)
search() { grep -r -a -i -l -F -e "$1" "$OUT" 2>/dev/null; }
check_eq "the search finds the key where it is (the key file itself)" "$(grep -r -a -i -l -F -e "$K" "$SECRET" | wc -l)" 2
check_eq "the key (0x…) appears nowhere in $files files" "$(search "0x$K")" ""
check_eq "the key (bare hex, any case) appears nowhere" "$(search "$K")" ""
check_eq "the key's upper-case hex appears nowhere" "$(grep -r -a -l -F -e "${K^^}" "$OUT")" ""
check_eq "the token appears nowhere" "$(search "$TOKEN")" ""
check "the search did cover the database and the logs" bash -c "[ -s '$OUT/lamda.db' ] && [ -s '$OUT/all.log' ] && [ -s '$OUT/get-_metrics_.body' ]"
finish
