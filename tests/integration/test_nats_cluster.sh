#!/usr/bin/env bash
# lamda on a real 3-node nats-server cluster (JetStream, routes on loopback): NATS_URL with
# three seeds, the dispatch stream created with NATS_STREAM_REPLICAS=3, a stream of another
# replica count refused with a clear message, a client that knew only one seed following the
# cluster when that node dies, and the whole demo flow on `lamda all` before and after the
# stream leader is SIGKILLed — each job dispatched once, its reputation incremented once.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
NATSPROBE=$ROOT/$BUILD/natsprobe
STREAM=LAMDA_DISPATCH
ADDR=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
now_ms() { date +%s%3N; }

start_nats_cluster || { not_ok "a 3-node NATS cluster starts"; finish; }
ok "a 3-node NATS cluster starts and elects a JetStream leader ($(nats_meta_leader))"
SEEDS=$NATS_URL

# --- configuration ---------------------------------------------------------------------------
out=$(LAMDA_DOTENV=/nonexistent NATS_URL="$SEEDS" NATS_STREAM_REPLICAS=3 "$LAMDA" config 2>&1)
check_eq "lamda config takes three seed URLs" "$(sed -n 's/^NATS_URL=//p' <<<"$out")" "$SEEDS"
out=$(LAMDA_DOTENV=/nonexistent NATS_URL="nats://127.0.0.1:1, http://127.0.0.1:2" "$LAMDA" config 2>&1)
check "a bad scheme in any seed is refused at start" grep -q 'NATS_URL: unsupported scheme "http://"' <<<"$out"
out=$(LAMDA_DOTENV=/nonexistent NATS_STREAM_REPLICAS=0 "$LAMDA" config 2>&1)
check "NATS_STREAM_REPLICAS=0 is refused" grep -q 'NATS_STREAM_REPLICAS: must be between 1 and 5' <<<"$out"

# --- the stream, replicated ------------------------------------------------------------------
out=$(NATSPROBE_REPLICAS=3 "$NATSPROBE" pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-1 '{"jobId":"1"}' 1 20000 2>>"$H_TMP/probe.log")
check_eq "a publish through the seeds is stored" "$out" "stored"
check_eq "the stream is created with 3 replicas" "$(nats_stream_field $STREAM .config.num_replicas)" 3
for _ in $(seq 50); do [ "$(nats_stream_field $STREAM '.cluster.replicas | length')" = 2 ] && break; sleep 0.1; done
check_eq "the stream has a leader and two replicas" "$(nats_stream_field $STREAM '.cluster.replicas | length')" 2
out=$(NATSPROBE_REPLICAS=1 "$NATSPROBE" pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-x x 1 3000 2>&1)
check "a replica count other than the stream's is refused, naming both" \
  grep -q "stream $STREAM has 3 replicas but NATS_STREAM_REPLICAS is 1" <<<"$out"
check_eq "the refused run stored nothing" "$("$NATSPROBE" js-count $STREAM 2>/dev/null)" "msgs 1"

# --- a client that knew one seed follows the cluster -----------------------------------------
# The subscriber is told only node 1; the servers' INFO tells it the others. Node 1 dies, the
# subscriber reconnects elsewhere, and a job published after that still reaches it.
NATS_URL="nats://127.0.0.1:${NATS_NODE_PORT[1]}" "$NATSPROBE" sub "jobs.dispatch.$ADDR" 1 30000 >"$H_TMP/sub.out" 2>"$H_TMP/sub.err" &
SUB=$!; track $SUB
for _ in $(seq 100); do grep -q '^ready' "$H_TMP/sub.out" 2>/dev/null && break; sleep 0.05; done
stop_nats_node 1
for _ in $(seq 100); do [ "$(grep -c "connected to" "$H_TMP/sub.err")" -ge 2 ] && break; sleep 0.1; done
check "the one-seed subscriber reconnects to another node" test "$(grep -c "connected to" "$H_TMP/sub.err")" -ge 2
sleep 0.5 # its subscription is re-sent on reconnect; give the route a moment to carry interest
out=$(NATSPROBE_REPLICAS=3 "$NATSPROBE" pub-dedup "$STREAM" "lamda.dispatch.$ADDR" job-2 '{"jobId":"2"}' 1 20000 2>>"$H_TMP/probe.log")
check_eq "with node 1 down the stream still stores (2 of 3 replicas)" "$out" "stored"
wait $SUB
check "the subscriber got the job through the republish after failing over" \
  grep -qx "msg jobs.dispatch.$ADDR {\"jobId\":\"2\"}" "$H_TMP/sub.out"
start_nats_node 1

# --- lamda all, the demo flow, the stream leader killed between two jobs ----------------------
start_anvil BSC 97 || { not_ok "anvil BSC starts"; finish; }
start_anvil OPBNB 5611 || { not_ok "anvil opBNB starts"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export DATABASE_URL="sqlite:$H_TMP/cluster.db" NATS_URL=$SEEDS NATS_STREAM_REPLICAS=3 NATS_RECONNECT_GRACE=200ms
export ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0 API_PORT=$(free_port)
start_lamda all all
API=http://127.0.0.1:$API_PORT
check "lamda all serves the API on the cluster" wait_for "api" 30 curl -fs -m 2 -o /dev/null "$API/health"
# The stream the probe made above republishes (the old layout): lamda recreates it, dropping
# what it held, so the count before the demo is taken once lamda has made it its own.
check "lamda takes the dispatch stream over" wait_for "stream" 30 grep -q "stream $STREAM ready" "$H_TMP/all.log"

demo() { # NAME PROVIDER_KEY
  RUN_DIR=/nonexistent DEVNET_DIR=/nonexistent API_URL=$API DEMO_PROVIDER_KEY=$2 DEMO_RENTER_KEY=$ANVIL_KEY3 \
    DEMO_TIMEOUT=30 "$ROOT/scripts/demo.sh" >"$H_TMP/demo-$1.out" 2>&1
}
msgs_before=$("$NATSPROBE" js-count $STREAM 2>/dev/null | sed -n 's/^msgs //p')
demo one "$ANVIL_KEY1"
check_eq "demo 1 on the cluster succeeds" "$?" 0
leader=$(nats_stream_field $STREAM .cluster.leader)
n=$(nats_node_of "$leader")
t0=$(now_ms)
stop_nats_node "$n" KILL
for _ in $(seq 600); do
  l=$(nats_stream_field $STREAM .cluster.leader)
  [ -n "$l" ] && [ "$l" != "$leader" ] && break
  sleep 0.05
done
t1=$(now_ms)
check "the stream elects a new leader after its leader ($leader) is SIGKILLed" test -n "$l" -a "$l" != "$leader"
echo "# stream leader change after SIGKILL of $leader: $((t1 - t0)) ms (new leader $l)"
demo two "$ANVIL_KEY4"
rc=$?
check_eq "demo 2 succeeds with the old stream leader down" "$rc" 0
[ $rc = 0 ] || tail -20 "$H_TMP/demo-two.out" >&2
start_nats_node "$n"
sleep 1
msgs_after=$("$NATSPROBE" js-count $STREAM 2>/dev/null | sed -n 's/^msgs //p')
check_eq "one stored dispatch message per job" "$((msgs_after - msgs_before))" 2
check_eq "one JobCountIncremented per confirmed job" \
  "$("$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented)" 2
check_eq "both jobs confirmed in the database" "$(db_q "select count(*) from jobs where status = 'confirmed'")" 2
kill -TERM "$LAMDA_PID_all"; wait "$LAMDA_PID_all"
check_eq "lamda all stops cleanly" "$?" 0
finish
