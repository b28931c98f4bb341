#!/usr/bin/env bash
# Run the test suite and print one closing line "N passed, N failed".
#   tests/run.sh                 unit tests, then integration tests
#   tests/run.sh unit|integration [PATTERN]
# Every test program prints "ok - name" / "not ok - name" lines; a program that exits non-zero
# without a "not ok" line (a crash, a sanitizer report) counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
pattern=${2:-}
passed=0 failed=0
failed_names=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"

run_one() { # name, command...
  local name=$1; shift
  local log=$logdir/${name//\//_}.log
  local start=$(date +%s)
  "$@" >"$log" 2>&1
  local rc=$?
  local p f
  p=$(grep -c '^ok ' "$log")
  f=$(grep -c '^not ok ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name exited with status $rc" >>"$log"; fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-44s %3d passed %3d failed %4ss\n' "$name" "$p" "$f" "$(( $(date +%s) - start ))"
  if [ "$f" -gt 0 ]; then
    failed_names+=("$name")
    sed 's/^/    | /' "$log" | grep -v '^    | ok ' | tail -40
  fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    [ -n "$pattern" ] && [[ "$n" != *$pattern* ]] && continue
    run_one "unit/$n" timeout 300 "$t"
  done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
  for t in tests/integration/test_*.sh; do
    [ -f "$t" ] || continue
    n=$(basename "$t" .sh)
    [ -n "$pattern" ] && [[ "$n" != *$pattern* ]] && continue
    run_one "integration/$n" timeout 900 bash "$t"
  done
fi

echo
# The failures again, last: a CI log is often read from its tail.
for n in "${failed_names[@]}"; do
  grep -E '^(not ok|# )' "$logdir/${n//\//_}.log" | tail -20 | sed "s|^|$n: |"
done
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
