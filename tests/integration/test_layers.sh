#!/usr/bin/env bash
# The include graph follows the module map: no upward include, no loop (scripts/check-layers.sh).
# The checker is itself checked on a copy of src/ with one upward include and one loop added.
source "$(dirname "$0")/../lib/harness.sh"
CHECK=$ROOT/scripts/check-layers.sh

out=$("$CHECK" 2>&1)
check_eq "src/ has no forbidden include and no loop" "$?" 0
[ -n "$out" ] && echo "$out" | grep -v '^known' | sed 's/^/# /'

cp -r "$ROOT/src" "$H_TMP/up"
sed -i '1i #include "chain/follower.h"' "$H_TMP/up/store/store_jobs.c"
out=$("$CHECK" "$H_TMP/up" 2>&1)
check "an upward include (store -> chain) is refused" grep -q 'FORBIDDEN include: store/store_jobs.c -> chain/follower.h' <<<"$out"

cp -r "$ROOT/src" "$H_TMP/loop"
sed -i '1i #include "core/log.h"' "$H_TMP/loop/core/hex.h"
sed -i '1i #include "core/hex.h"' "$H_TMP/loop/core/log.h"
out=$("$CHECK" "$H_TMP/loop" 2>&1)
check "a loop between two files of one folder is refused" grep -q 'include loop' <<<"$out"
# Comments and scripts point at the project's docs; every one they name must exist.
missing=$(cd "$ROOT" && git ls-files -z src scripts tests tools bench fuzz Makefile | xargs -0 grep -hoE 'docs/[A-Za-z0-9_-]+\.md' |
  sort -u | while read -r d; do [ -e "$d" ] || echo "$d"; done | tr '\n' ' ')
check_eq "every docs/*.md that the code names exists" "$missing" ""
finish
