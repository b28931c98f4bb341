#!/usr/bin/env bash
# The storage suite (tests/unit/test_store.c) against a real PostgreSQL started here; the unit
# run already covers SQLite. Each "ok"/"not ok" line of the suite is passed through.
source "$(dirname "$0")/../lib/harness.sh"
T=${STORE_TEST_BIN:-$ROOT/$BUILD/tests/test_store}
start_postgres || { not_ok "start postgres"; finish; }
out=$(LAMDA_TEST_PG_URL=$PG_URL "$T" 2>&1); rc=$?
echo "$out" | grep -E '^(ok|not ok) - .*\(postgres\)'
echo "$out" | grep -E '^ {2}' | head -40 >&2
check_eq "storage suite on postgres exits 0" "$rc" 0
n=$(echo "$out" | grep -c '^ok - .*(postgres)$')
[ "$n" -ge 10 ] && ok "postgres cases ran ($n)" || not_ok "postgres cases ran" "only $n"
# `lamda migrate` uses the same code: idempotent, and it refuses a newer schema.
if [ -x "$LAMDA" ]; then
  check "lamda migrate on postgres" env DATABASE_URL="$PG_URL" "$LAMDA" migrate
  psql_q "INSERT INTO schema_migrations (version, name, applied_at) VALUES (424242, 'future', 0)"
  msg=$(DATABASE_URL="$PG_URL" "$LAMDA" migrate 2>&1); rc=$?
  [ "$rc" -ne 0 ] && [[ "$msg" == *newer* ]] && ok "lamda migrate refuses a newer schema" \
    || not_ok "lamda migrate refuses a newer schema" "rc=$rc: $msg"
fi
finish
