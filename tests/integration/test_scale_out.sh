#!/usr/bin/env bash
# Scale-out under faults: two replicas of each of the four services on a 3-node NATS cluster
# (stream with 3 replicas) and a PostgreSQL primary streaming synchronously to a hot standby. While jobs are
# created and confirmed in waves, the test SIGKILLs service replicas (each restarts, as under a
# supervisor), kills and restarts one NATS node at a time — the stream leader first — and fails
# PostgreSQL over once (primary killed, standby promoted, replicas restarted on it). It asserts
# that the agent received every job exactly once, each confirmation incremented exactly once,
# and the tables equal `lamda rebuild`; it prints each fault and its recovery time.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/../lib/chain.sh"
AGENTSIM=$ROOT/$BUILD/agentsim
WAVE=${WAVE:-12}
WAVES=5
TOTAL=$((WAVE * WAVES))
now_ms() { date +%s%3N; }

start_anvil BSC 97 && start_anvil OPBNB 5611 && start_postgres && start_pg_standby || { not_ok "parts start"; finish; }
start_nats_cluster || { not_ok "a 3-node NATS cluster starts"; finish; }
# Synchronous replication, as docs/scale-out.md recommends for a failover that loses nothing
# (with asynchronous replication a job whose delivery record was lost may reach its agent
# twice: test_pg_failover.sh measures that case).
pg_synchronous_standby || { not_ok "synchronous replication"; finish; }
deploy_contracts || { not_ok "contracts deploy"; finish; }
lamda_env
export JOB_ID_FROM_CID=true DEFAULT_DOCKER_IMAGE=ghcr.io/lamda/worker:1.0 ADMIN_WALLET_PRIVATE_KEY=$ANVIL_KEY0
export NATS_STREAM_REPLICAS=3 NATS_RECONNECT_GRACE=500ms
# A copy whose round trip a killed NATS node cut short counts as "maybe delivered" and goes out
# again only if the agent does not report it within JOB_ACK_WAIT (design §7): shortened so the
# waves settle (the agent reports, so a copy it got is not sent again).
export JOB_ACK_WAIT=15s
echo "$PG_URL" >"$H_TMP/dburl"
PROV=$ANVIL_ADDR3
q() { "$PG_BIN/psql" -X -A -t -q "$(cat "$H_TMP/dburl")" -c "$1" 2>/dev/null; }
increments() { "$LAMDADEV" logs --rpc "$OPBNB_RPC" --address "$NR" --count JobCountIncremented; }
increments_are() { [ "$(increments)" = "$1" ]; }
received() { grep -c '^job ' "$H_TMP/agent.out"; }
received_are() { [ "$(received)" -ge "$1" ]; }
sent_is() { [ "$(q "select count(*) from outbox where sent_at is not null")" = "$1" ]; }

# replica NAME SERVICE [API_PORT]: runs the service in a loop, as a supervisor would; each start
# reads the current database URL (it changes at the failover). Its PID is in $H_TMP/NAME.pid.
replica() {
  (
    while [ ! -f "$H_TMP/stop" ]; do
      DATABASE_URL=$(cat "$H_TMP/dburl") API_PORT=${3:-0} "$LAMDA" "$2" >>"$H_TMP/$1.log" 2>&1 &
      echo $! >"$H_TMP/$1.pid"
      wait $! 2>/dev/null
      sleep 0.2
    done
  ) &
  track $!
}
kill_replica() { kill -KILL "$(cat "$H_TMP/$1.pid")" 2>/dev/null; echo "# fault: SIGKILL $1"; }
n_in_log() { grep -c "$2" "$H_TMP/$1.log" 2>/dev/null || true; }


"$AGENTSIM" --address "$PROV" --count "$TOTAL" --timeout 900 --work-ms 20 >"$H_TMP/agent.out" 2>"$H_TMP/agent.err" &
AGENT=$!; track $AGENT
wait_for "agent ready" 20 grep -q '^ready' "$H_TMP/agent.out"
API_A=$(free_port) API_B=$(free_port)
for r in a b; do
  replica "nr-$r" node-registry
  replica "jd-$r" job-dispatcher
  replica "rep-$r" reputation-service
done
replica api-a api-gateway "$API_A"
replica api-b api-gateway "$API_B"
check "both API replicas answer" wait_for "apis" 30 bash -c \
  "curl -fs -m 1 -o /dev/null http://127.0.0.1:$API_A/health && curl -fs -m 1 -o /dev/null http://127.0.0.1:$API_B/health"

# Lease lines: a follower logs "lease acquired on chain …" or "another instance holds the lease";
# the reputation sender logs "txmgr: wallet …" when it takes its lease, "another instance sends"
# when it stands by. (One follower per contract runs across all processes of a database.)
GOT='lease acquired on chain|txmgr: wallet'
WAITING='another instance holds the lease|another instance sends'
# holds NAME: the replica's last lease line says it holds a lease.
holds() { grep -E "$GOT|$WAITING" "$H_TMP/$1.log" 2>/dev/null | tail -1 | grep -Eq "$GOT"; }
# Across every replica's log: the JobManager lease is shared by job-dispatcher and
# reputation-service processes, so the one a killed holder frees may go to either service.
acquired() { cat "$H_TMP"/nr-?.log "$H_TMP"/jd-?.log "$H_TMP"/rep-?.log 2>/dev/null | grep -Ec "$GOT"; }
# takeover SVC: SIGKILL the replica of SVC that holds a lease, and print how long until one of
# the replicas takes a lease again (the standby, or the killed one restarted: whichever is first).
takeover() {
  local svc=$1 holder before t0
  if holds "$svc-a"; then holder=$svc-a; elif holds "$svc-b"; then holder=$svc-b; else
    echo "# $svc: neither replica holds a lease (another service's process follows the contract)"
    kill_replica "$svc-a"
    return
  fi
  before=$(acquired "$svc")
  t0=$(now_ms)
  kill_replica "$holder"
  if wait_for "$svc lease taken over" 30 bash -c "[ \$(cat $H_TMP/nr-?.log $H_TMP/jd-?.log $H_TMP/rep-?.log | grep -Ec '$GOT') -gt $before ]"; then
    echo "#   $svc: a lease was held again after $(( $(now_ms) - t0 )) ms"
  else
    not_ok "$svc: the lease is taken over after its holder is SIGKILLed"
  fi
}

# Wave 1: steady state.
create_confirm "$WAVE" "$ANVIL_KEY1" "$PROV"
check "wave 1: every job reaches the agent" wait_for "agent" 60 received_are "$WAVE"

# Wave 2: the active replica of each follower service is SIGKILLed.
create_confirm "$WAVE" "$ANVIL_KEY1" "$PROV" &
W=$!
takeover nr
takeover jd
takeover rep
kill_replica api-a
wait $W
check "wave 2 (replicas SIGKILLed): every job reaches the agent" wait_for "agent" 60 received_are $((2 * WAVE))

# Waves 3 and 4: one NATS node at a time is killed and restarted — the stream leader first.
for wave in 3 4; do
  create_confirm "$WAVE" "$ANVIL_KEY1" "$PROV" &
  W=$!
  leader=$(nats_stream_field LAMDA_DISPATCH .cluster.leader)
  if [ $wave = 3 ]; then n=$(nats_node_of "$leader"); else n=$(( (n % 3) + 1 )); fi
  t0=$(now_ms)
  stop_nats_node "$n" KILL
  echo "# fault: SIGKILL nats n$n (stream leader: $leader)"
  for _ in $(seq 300); do
    l=$(nats_stream_field LAMDA_DISPATCH .cluster.leader)
    [ -n "$l" ] && [ "$l" != "n$n" ] && break
    sleep 0.05
  done
  echo "#   stream leader after $(( $(now_ms) - t0 )) ms: $l"
  wait $W
  sleep 2
  start_nats_node "$n"
  check "wave $wave (nats n$n killed): every job reaches the agent" wait_for "agent" 90 received_are $((wave * WAVE))
done

# Wave 5: PostgreSQL fails over. The replicas are restarted on the promoted standby.
create_confirm "$WAVE" "$ANVIL_KEY1" "$PROV" &
W=$!
sleep 1
t0=$(now_ms)
kill_postgres
promote_pg_standby
echo "$PG_STANDBY_URL" >"$H_TMP/dburl"
echo "# fault: PostgreSQL primary killed, standby promoted in $(( $(now_ms) - t0 )) ms"
for r in nr-a nr-b jd-a jd-b rep-a rep-b api-a api-b; do kill -KILL "$(cat "$H_TMP/$r.pid")" 2>/dev/null; done
wait $W
check "wave 5 (PostgreSQL failover): every job reaches the agent" wait_for "agent" 90 received_are "$TOTAL"
check "every job recorded as dispatched on the promoted database" wait_for "outbox" 60 sent_is "$TOTAL"
check "one increment per confirmed job ($TOTAL)" wait_for "increments" 90 increments_are "$TOTAL"
sleep 3 # a duplicate would arrive by now
check_eq "the agent received $TOTAL jobs in all" "$(received)" "$TOTAL"
check_eq "the agent received each job once" "$(sed -n 's/^job \(0x[0-9a-f]*\) .*/\1/p' "$H_TMP/agent.out" | sort -u | wc -l)" "$TOTAL"
check_eq "no increment sent twice" "$(increments)" "$TOTAL"
check "an API replica serves the promoted database" wait_for "api" 20 curl -fs -m 2 -o /dev/null "http://127.0.0.1:$API_B/api/jobs?limit=1"

touch "$H_TMP/stop"
for r in nr-a nr-b jd-a jd-b rep-a rep-b api-a api-b; do kill -TERM "$(cat "$H_TMP/$r.pid")" 2>/dev/null; done
sleep 1
"$LAMDA" rebuild "sqlite:$H_TMP/rebuilt.db" >"$H_TMP/rebuild.log" 2>&1
check_eq "lamda rebuild from the chain succeeds" "$?" 0
DB=$(cat "$H_TMP/dburl")
"$ROOT/scripts/dbcompare.sh" "$DB" "sqlite:$H_TMP/rebuilt.db" >"$H_TMP/compare.out" 2>&1
rc=$?
check_eq "the database equals lamda rebuild" "$rc" 0
[ $rc = 0 ] || cat "$H_TMP/compare.out" >&2
finish
