#!/usr/bin/env bash
# `lamda rebuild` and the job dispatcher's follower on PostgreSQL talk to the database per batch,
# not per log: both run the services' one follower constructor, whose batched dispatch keeps
# the libpq pipeline full. The count is taken from outside, by strace: each turn from sending
# to receiving on a socket to PostgreSQL's port. Before the rebuild shared that constructor it
# made two round trips per JobCreated log (1.95 per log here).
source "$(dirname "$0")/../lib/harness.sh"
command -v strace >/dev/null || { not_ok "strace is installed (scripts/bootstrap.sh)"; finish; }
REPLAY=$ROOT/$BUILD/bench/replayrpc
C=0x5FbDB2315678afecb367f032d93F642f64180aa3
NJOB=6000 NBEAT=200

# LeakSanitizer cannot run under ptrace (make test-asan): leaks are checked by the other tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
start_postgres || { not_ok "postgres starts"; finish; }
serve() { # kind logs → sets RP_PORT
  RP_PORT=$(free_port)
  "$REPLAY" --port "$RP_PORT" --chain-id "$1" --contract $C --kind "$2" --logs "$3" --per-block 50 \
    --providers 100 >"$H_TMP/replay-$2.log" 2>&1 &
  track $!
  wait_port "$RP_PORT" 30
}
serve 97 job $NJOB || { not_ok "replay RPC (jobs) starts"; finish; }
BSC=$RP_PORT
serve 5611 heartbeat $NBEAT || { not_ok "replay RPC (heartbeats) starts"; finish; }
OPBNB=$RP_PORT

"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda rebuilt || { not_ok "create database"; finish; }
DB=postgres://lamda@127.0.0.1:$PG_PORT/rebuilt
DATABASE_URL=$DB "$LAMDA" migrate >/dev/null 2>&1
env LAMDA_DOTENV=/nonexistent LOG_LEVEL=warn BSC_RPC_URL=http://127.0.0.1:$BSC OPBNB_RPC_URL=http://127.0.0.1:$OPBNB \
  JOB_MANAGER_CONTRACT_ADDRESS=$C NODE_REPUTATION_CONTRACT_ADDRESS=$C JOB_MANAGER_START_BLOCK=1 \
  NODE_REPUTATION_START_BLOCK=1 BSC_CONFIRMATIONS=0 OPBNB_CONFIRMATIONS=0 \
  strace -f -qq -yy -e trace=sendto,sendmsg,write,recvfrom,recvmsg,read -o "$H_TMP/strace" "$LAMDA" rebuild "$DB" >"$H_TMP/rebuild.log" 2>&1
check_eq "lamda rebuild exits 0" "$?" 0
n=$("$PG_BIN/psql" -X -A -t -q -h 127.0.0.1 -p "$PG_PORT" -U lamda rebuilt -c 'SELECT count(*) FROM jobs')
check_eq "the rebuilt database has every job" "$n" "$NJOB"
# A round trip is a turn from sending to receiving on a PostgreSQL socket (pipelined writes are
# many sends, then one wait for their results).
round_trips() { # strace-file → count
  grep ":$PG_PORT\]" "$1" | awk '
    { fd = $0; sub(/^[0-9]+ +/, "", fd); op = fd; sub(/\(.*/, "", op); sub(/^[a-z]+\(/, "", fd); sub(/<.*/, "", fd)
      if (op ~ /^(send|write)/) last[fd] = "s"; else if (last[fd] == "s") { n++; last[fd] = "r" } }
    END { print n + 0 }'
}
per_log() { awk -v s="$1" -v l="$2" 'BEGIN { printf "%.4f", s / l }'; }
trips=$(round_trips "$H_TMP/strace")
per=$(per_log "$trips" $((NJOB + NBEAT)))
echo "# rebuild: $trips round trips to PostgreSQL for $((NJOB + NBEAT)) logs ($per per log)"
check "rebuild: fewer than 0.05 database round trips per log ($per)" awk -v p="$per" 'BEGIN { exit !(p < 0.05) }'
check "rebuild: the count saw the database at all" test "$trips" -gt 0

# The job dispatcher's follower, through the same constructor (bench/ingest apply runs it until
# the last block; the service's outbox publisher, which polls while idle, is not ingestion).
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U lamda service || { not_ok "create database"; finish; }
env LAMDA_DOTENV=/nonexistent LOG_LEVEL=warn BSC_RPC_URL=http://127.0.0.1:$BSC DATABASE_URL=postgres://lamda@127.0.0.1:$PG_PORT/service \
  JOB_MANAGER_CONTRACT_ADDRESS=$C JOB_MANAGER_START_BLOCK=1 BSC_CONFIRMATIONS=0 \
  strace -f -qq -yy -e trace=sendto,sendmsg,write,recvfrom,recvmsg,read -o "$H_TMP/strace2" \
  "$ROOT/$BUILD/bench/ingest" apply job $((NJOB / 50 + 1)) >"$H_TMP/ingest.json" 2>&1
check_eq "the service's follower reaches the head" "$?" 0
trips=$(round_trips "$H_TMP/strace2")
per=$(per_log "$trips" $NJOB)
echo "# job-dispatcher follower: $trips round trips to PostgreSQL for $NJOB logs ($per per log)"
check "service: fewer than 0.05 database round trips per log ($per)" awk -v p="$per" 'BEGIN { exit !(p < 0.05) }'
check "service: the count saw the database at all" test "$trips" -gt 0
finish
