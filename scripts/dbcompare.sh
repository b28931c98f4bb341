#!/usr/bin/env bash
# dbcompare.sh — compare the chain-derived data of two lamda databases, e.g. a running
# service's database and one built by `lamda rebuild` from the chain alone.
#
#   scripts/dbcompare.sh DATABASE_URL_A DATABASE_URL_B
#
# Each URL is sqlite:PATH or postgres://…; the two may be of different backends. Compared:
#   providers  every column but created_at/updated_at
#   jobs       job_id, renter, provider, payment, created_block, created_at, confirmed_at,
#              paid_at, paid_amount, and the status as far as the chain decides it
#              (confirmed/paid as they are; every agent- or dispatch-driven state counts as created)
#   ledger     every column
#   cursors    chain, contract, block number and hash
# Off-chain data (job specs, agent reports, outbox, reputation updates) is not compared.
# Prints one line per table ("equal N rows" or the first differences) and exits 0 when all
# tables are equal, 1 when one differs, 2 on a usage or database error.
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: $0 DATABASE_URL_A DATABASE_URL_B" >&2; exit 2; }
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PSQL=${PSQL:-$PG_BIN/psql}
TMP=$(mktemp -d /tmp/lamda-dbcompare.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# sql URL QUERY: rows as text, one per line.
sql() {
  case "$1" in
    sqlite:*) sqlite3 -batch -noheader "${1#sqlite:}" "$2" ;;
    postgres://* | postgresql://*) "$PSQL" -X -A -t -q "$1" -c "$2" ;;
    *) echo "dbcompare: unsupported database URL: $1" >&2; return 2 ;;
  esac
}
# hex URL COLUMN: lowercase hex of a binary column on that backend.
hex() { case "$1" in sqlite:*) echo "lower(hex($2))" ;; *) echo "encode($2,'hex')" ;; esac; }
# t COLUMN: text of a value, NULL spelt out.
t() { echo "coalesce(cast($1 as text),'NULL')"; }

query() { # URL TABLE
  local u=$1 h
  case $2 in
    providers)
      echo "select $(hex "$u" address)||'|'||gpu_model||'|'||$(t vram)||'|'||$(t last_seen)||'|'||$(t is_online)
        ||'|'||$(t is_registered)||'|'||$(t total_jobs_completed)||'|'||$(t reputation_score)
        ||'|'||$(t registered_block) from providers" ;;
    jobs)
      echo "select $(hex "$u" job_id)||'|'||$(hex "$u" renter)||'|'||$(hex "$u" provider)||'|'||payment
        ||'|'||(case when status in ('confirmed','paid') then status else 'created' end)
        ||'|'||$(t created_block)||'|'||$(t created_at)||'|'||$(t confirmed_at)||'|'||$(t paid_at)
        ||'|'||$(t paid_amount) from jobs" ;;
    ledger)
      echo "select $(t chain_id)||'|'||$(hex "$u" tx_hash)||'|'||$(t log_index)||'|'||$(t block_number)
        ||'|'||$(hex "$u" block_hash)||'|'||$(hex "$u" contract)
        ||'|'||$(hex "$u" entity_key)||'|'||$(hex "$u" topics)||'|'||$(hex "$u" data)||'|'||$(t block_time)
        from ledger" ;;
    cursors)
      echo "select $(t chain_id)||'|'||$(hex "$u" contract)||'|'||$(t block_number)||'|'||$(hex "$u" block_hash)
        from cursors" ;;
  esac
}

differ=0
for table in providers jobs ledger cursors; do
  for side in a b; do
    url=$1; [ $side = b ] && url=$2
    if ! sql "$url" "$(query "$url" $table)" >"$TMP/$table.$side.raw" 2>"$TMP/$table.$side.err"; then
      echo "dbcompare: $table on $side: $(head -3 "$TMP/$table.$side.err")" >&2
      exit 2
    fi
    LC_ALL=C sort "$TMP/$table.$side.raw" >"$TMP/$table.$side"
  done
  na=$(wc -l <"$TMP/$table.a") nb=$(wc -l <"$TMP/$table.b")
  if cmp -s "$TMP/$table.a" "$TMP/$table.b"; then
    echo "$table: equal, $na rows"
  else
    differ=1
    only_a=$(LC_ALL=C comm -23 "$TMP/$table.a" "$TMP/$table.b" | wc -l)
    only_b=$(LC_ALL=C comm -13 "$TMP/$table.a" "$TMP/$table.b" | wc -l)
    echo "$table: DIFFERENT ($na rows vs $nb; $only_a only in A, $only_b only in B)"
    LC_ALL=C comm -23 "$TMP/$table.a" "$TMP/$table.b" | head -5 | sed 's/^/  A only: /'
    LC_ALL=C comm -13 "$TMP/$table.a" "$TMP/$table.b" | head -5 | sed 's/^/  B only: /'
  fi
done
exit $differ
