#!/usr/bin/env bash
# Build every fuzz/fuzz_*.c with clang's libFuzzer + ASan + UBSan against all of src/ (but
# src/main.c), then run each for FUZZ_SECONDS (default 20) on a copy of its seed corpus.
# Exits non-zero if a target fails to build or finds a crash; crash inputs and logs stay in
# build/fuzz/<name>/.
#   scripts/fuzz.sh [NAME...]      (e.g. scripts/fuzz.sh rlp abi; default: all targets)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-20}
CLANG=${CLANG:-clang}
OUT=build/fuzz

# Same package list and flags as the Makefile (PKGS is read from it so the two cannot drift).
PKGS=$(sed -n 's/^PKGS[[:space:]]*:=[[:space:]]*//p' Makefile)
PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null || true)
CFLAGS="-std=c11 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -g -O1 -Isrc -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

command -v "$CLANG" >/dev/null || { echo "fuzz: $CLANG not found" >&2; exit 1; }
mkdir -p "$OUT"

if [ $# -gt 0 ]; then
  targets=(); for n in "$@"; do targets+=("fuzz/fuzz_$n.c"); done
else
  mapfile -t targets < <(find fuzz -maxdepth 1 -name 'fuzz_*.c' | sort)
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets" >&2; exit 1; }

# The library once, as objects built with fuzzer-no-link (the fuzzer's main comes with the target).
LIBOBJ=$OUT/obj
mkdir -p "$LIBOBJ"
objs=()
while IFS= read -r src; do
  o=$LIBOBJ/${src//\//_}.o
  if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find src -name '*.h' -newer "$o" -print -quit)" ]; then
    # shellcheck disable=SC2086
    # A file that does not compile is left out with a warning (`make` reports it anyway);
    # only targets that need it then fail, at link time.
    if ! "$CLANG" ${CFLAGS/fuzzer,/fuzzer-no-link,} $PKG_CFLAGS -c "$src" -o "$o" 2>"$o.err"; then
      echo "fuzz: warning: $src does not compile, left out (see $o.err)" >&2
      rm -f "$o"; continue
    fi
  fi
  objs+=("$o")
done < <(find src -name '*.c' ! -path src/main.c | sort)
# The embedded migrations (generated, as in the Makefile): targets that open a store need them.
mkdir -p "$OUT/gen"
scripts/embed.sh $(find migrations -name '*.sql' | sort) >"$OUT/gen/migrations.c.tmp" &&
  { cmp -s "$OUT/gen/migrations.c.tmp" "$OUT/gen/migrations.c" || mv "$OUT/gen/migrations.c.tmp" "$OUT/gen/migrations.c"; }
rm -f "$OUT/gen/migrations.c.tmp"
if [ ! -f "$LIBOBJ/gen_migrations.o" ] || [ "$OUT/gen/migrations.c" -nt "$LIBOBJ/gen_migrations.o" ]; then
  # shellcheck disable=SC2086
  "$CLANG" ${CFLAGS/fuzzer,/fuzzer-no-link,} -c "$OUT/gen/migrations.c" -o "$LIBOBJ/gen_migrations.o"
fi
objs+=("$LIBOBJ/gen_migrations.o")
# An archive, like the Makefile's liblamda.a: a target links only the objects it uses.
LIB=$OUT/liblamda-fuzz.a
rm -f "$LIB"; ar rcs "$LIB" "${objs[@]}"

failed=()
for t in "${targets[@]}"; do
  name=$(basename "$t" .c); name=${name#fuzz_}
  bin=$OUT/fuzz_$name
  work=$OUT/$name
  echo "== fuzz $name: build"
  # shellcheck disable=SC2086
  if ! "$CLANG" $CFLAGS $PKG_CFLAGS "$t" "$LIB" -o "$bin" $PKG_LIBS -lpthread -lm; then
    failed+=("$name(build)"); continue
  fi
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/artifacts"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/corpus/" 2>/dev/null || true
  echo "== fuzz $name: run ${SECONDS_EACH}s"
  if "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
       -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1; then
    echo "   ok: $(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}') runs"
  else
    echo "   FAILED: see $work/log and $work/artifacts/"
    grep -E 'ERROR|SUMMARY|runtime error' "$work/log" | head -5 | sed 's/^/   /'
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: failed: ${failed[*]}"; exit 1; fi
echo "fuzz: all ${#targets[@]} targets ran clean"
