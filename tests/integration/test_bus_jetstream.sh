#!/usr/bin/env bash
# src/bus against a real nats-server (JetStream): publish + consume, de-duplication by
# Nats-Msg-Id, exactly-once delivery to core subscribers through the stream's RePublish,
# durable consumers, request/reply, and connecting while the server is down.
source "$(dirname "$0")/../lib/harness.sh"
PROBE_BIN=${NATSPROBE:-$ROOT/$BUILD/natsprobe}
# stdout is what the tests read; the JSON log lines (stderr) go to a file kept for debugging.
probe() { "$PROBE_BIN" "$@" 2>>"$H_TMP/probe.log"; }
STREAM=LAMDA_DISPATCH
ADDR=0x70997970C51812dc3A010C7d01b50e0d17dc79C8

start_nats || { not_ok "nats-server starts"; finish; }

# sub_bg NAME SUBJECT TIMEOUT_MS: a background subscriber writing to $H_TMP/NAME.out; returns
# once it has printed "ready" (its subscription is registered on the server).
sub_bg() {
  "$PROBE_BIN" sub "$2" 1000 "$3" >"$H_TMP/$1.out" 2>"$H_TMP/$1.err" &
  eval "PID_$1=$!"
  for _ in $(seq 100); do grep -q '^ready' "$H_TMP/$1.out" 2>/dev/null && return 0; sleep 0.05; done
  echo "subscriber $1 never became ready" >&2
  return 1
}
count_of() { sed -n 's/^count //p' "$H_TMP/$1.out"; }

# (a) A JetStream publish is stored and a durable consumer gets it back.
out=$(probe pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-a '{"jobId":"a"}')
check_eq "js publish of a new msg id is stored" "$out" "stored"
check_eq "stream holds the message" "$(probe js-count "$STREAM")" "msgs 1"
out=$(probe js-consume "$STREAM" consumer_a 500)
check_eq "durable consumer receives the published message" "$(echo "$out" | tail -1)" "count 1"
check "consumed message has its subject, msg id and data" \
  grep -qx "msg lamda.dispatch.$ADDR job-a {\"jobId\":\"a\"}" <<<"$out"

# (b) One msg id published 3 times: stored once, and a core subscriber on jobs.dispatch.<addr>
# (where agents listen; fed by RePublish) gets exactly 1. A core subscriber on the stored
# subject sees every publish — the reason the stream must not capture jobs.dispatch.> itself.
sub_bg agent "jobs.dispatch.$ADDR" 2500 || not_ok "agent subscriber ready"
sub_bg raw "lamda.dispatch.$ADDR" 2500 || not_ok "raw subscriber ready"
sub_bg other "jobs.dispatch.0x0000000000000000000000000000000000000001" 2500 || not_ok "other subscriber ready"
out=$(probe pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-b '{"jobId":"b"}' 3 | tr '\n' ' ')
check_eq "3 publishes of one msg id: stored once, then duplicates" "$out" "stored duplicate duplicate "
wait "$PID_agent" "$PID_raw" "$PID_other"
check_eq "stream holds one message per msg id" "$(probe js-count "$STREAM")" "msgs 2"
check_eq "core subscriber on jobs.dispatch.<addr> receives exactly 1" "$(count_of agent)" "1"
check "the republished message carries the job" grep -qx "msg jobs.dispatch.$ADDR {\"jobId\":\"b\"}" "$H_TMP/agent.out"
check_eq "a subscriber for another provider receives nothing" "$(count_of other)" "0"
echo "# documentation: a core subscriber on the stored subject lamda.dispatch.<addr> got $(count_of raw) of 3 publishes"
check_eq "stored-subject subscriber sees every retry (why RePublish is used)" "$(count_of raw)" "3"

# (c) A durable consumer sees exactly one message per msg id, and resumes where it left off.
out=$(probe js-consume "$STREAM" consumer_c 500)
check_eq "new durable consumer: one message per msg id" "$(echo "$out" | tail -1)" "count 2"
check_eq "each msg id once" "$(grep '^msg ' <<<"$out" | awk '{print $3}' | sort | tr '\n' ' ')" "job-a job-b "
probe pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-c '{"jobId":"c"}' 2 >/dev/null 2>&1
out=$(probe js-consume "$STREAM" consumer_c 500)
check_eq "the durable consumer resumes with only the new msg id" "$(grep '^msg ' <<<"$out" | awk '{print $3}' | tr '\n' ' ')" "job-c "

# Re-ensuring the stream with another duplicate window updates it in place (messages kept).
out=$(NATSPROBE_DUP_WINDOW_MS=7200000 "$PROBE_BIN" pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-c x 2>&1)
check "a stream with another duplicate window is updated" grep -q "updated stream $STREAM" <<<"$out"
check "msg id still de-duplicated after the update" grep -qx duplicate <<<"$out"
out=$(NATSPROBE_DUP_WINDOW_MS=7200000 "$PROBE_BIN" pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-c x 2>&1)
check "an unchanged stream is left alone" bash -c '! grep -q "updated stream" <<<"$1"' _ "$out"
check_eq "stream kept its messages across re-ensure" "$(probe js-count "$STREAM")" "msgs 3"

# Request/reply helper (nodes.query / jobs.query handlers).
"$PROBE_BIN" reply nodes.query '{"nodes":[],"count":0}' 1 5000 >"$H_TMP/reply.out" 2>&1 &
PID_reply=$!
for _ in $(seq 100); do grep -q '^ready' "$H_TMP/reply.out" && break; sleep 0.05; done
check_eq "request gets the handler's reply" "$(probe request nodes.query '{}' 2000)" 'reply {"nodes":[],"count":0}'
wait "$PID_reply"
out=$("$PROBE_BIN" request jobs.query '{}' 500 2>&1)
check "request with no handler fails cleanly" grep -qi "no responders\|timeout" <<<"$out"

# Invalid subjects are refused before reaching the server.
out=$("$PROBE_BIN" pub-dedup "$STREAM" "jobs.dispatch.$ADDR" bad x 1 1000 2>&1)
check "publish outside lamda.dispatch. is refused" grep -q "subject must be" <<<"$out"
out=$("$PROBE_BIN" pub-dedup "$STREAM" "lamda.dispatch.*" bad x 1 1000 2>&1)
check "wildcard publish subject is refused" grep -q "subject must be" <<<"$out"

# (d) Connect while the server is down, then start it: the publish goes through once it is up.
stop_nats
"$PROBE_BIN" pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-d '{"jobId":"d"}' 1 20000 >"$H_TMP/late.out" 2>"$H_TMP/late.err" &
PID_late=$!
sleep 1.5
if kill -0 "$PID_late" 2>/dev/null; then ok "publisher keeps running while the server is down"; else
  not_ok "publisher keeps running while the server is down" "$(cat "$H_TMP/late.err")"; fi
restart_nats || not_ok "nats-server restarts"
wait "$PID_late"
rc=$?
check_eq "publish succeeds after the server comes up" "$rc:$(cat "$H_TMP/late.out")" "0:stored"
check_eq "stream (file storage) kept earlier messages and has the new one" "$(probe js-count "$STREAM")" "msgs 4"

# The server restarts in the middle of a publisher's retries of one msg id: publishes that
# were not acknowledged are retried after the reconnect, the stream still keeps one copy, and an
# agent subscribed through the outage receives the job exactly once.
sub_bg outage "jobs.dispatch.$ADDR" 9000 || not_ok "outage subscriber ready"
"$PROBE_BIN" pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-e '{"jobId":"e"}' 8 20000 400 >"$H_TMP/outage-pub.out" 2>>"$H_TMP/probe.log" &
PID_pub=$!
sleep 1
stop_nats
sleep 1.5
restart_nats || not_ok "nats-server restarts"
wait "$PID_pub"
check_eq "publisher across a server restart: every publish acknowledged, stored once" \
  "$?:$(tr '\n' ' ' <"$H_TMP/outage-pub.out")" "0:stored duplicate duplicate duplicate duplicate duplicate duplicate duplicate "
wait "$PID_outage"
check_eq "agent subscribed across the restart receives the job exactly once" "$(count_of outage)" "1"
check_eq "stream holds one more message" "$(probe js-count "$STREAM")" "msgs 5"

finish
