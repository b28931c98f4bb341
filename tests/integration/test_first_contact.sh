#!/usr/bin/env bash
# First contact, as a new user meets the project: a plain `git clone` with nothing beside it, on
# a machine whose libraries appear only once bootstrap has installed them. One `make test`
# must install, build and test; and no file of the project may read outside the repository.
#
# The "machine without the packages" is simulated with stand-ins earlier on PATH: pkg-config
# and dpkg-query answer nothing until a marker exists, and apt-get creates the marker (the
# packages are really installed on this machine; the stand-ins only hide them until then).
source "$(dirname "$0")/../lib/harness.sh"

# No tracked file other than prose may name the folder beside the checkout: the product and
# its tests must work from a clone alone. The pattern is split so this file does not match.
beside="../""shared"
named=$(git -C "$ROOT" ls-files -z | grep -zv '\.md$' | xargs -0 grep -lF "$beside" 2>/dev/null | tr '\n' ' ')
check_eq "no script, test or source names $beside" "$named" ""

if [ "$(id -u)" -ne 0 ]; then
  # bootstrap.sh installs with apt-get only as root; as anyone else it prints the command.
  ok "# skip fresh-machine build: needs root (bootstrap runs apt-get)"
  finish
fi

CLONE=$H_TMP/fresh/lamda
git clone -q "$ROOT" "$CLONE" || { not_ok "git clone of the repository"; finish; }
check "nothing beside the clone" test ! -e "$CLONE/$beside"

# The npm devnet tools: reuse this checkout's install (same lock file) instead of fetching
# them again, so the test stays on loopback. bootstrap.sh checks the lock's hash and keeps it.
lock=$(sha256sum "$CLONE/tools/npm/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$ROOT/tools/npm/node_modules/.lamda-lock-sha256" 2>/dev/null)" != "$lock" ]; then
  not_ok "this checkout's npm tools match the committed lock (run scripts/bootstrap.sh)"
  finish
fi
ln -s "$ROOT/tools/npm/node_modules" "$CLONE/tools/npm/node_modules"

FAKE=$H_TMP/fakebin MARK=$H_TMP/packages-installed
mkdir -p "$FAKE"
for t in pkg-config dpkg-query; do
  real=$(command -v "$t")
  printf '#!/bin/sh\n[ -e %q ] && exec %q "$@"\nexit 1\n' "$MARK" "$real" >"$FAKE/$t"
done
printf '#!/bin/sh\necho "$*" >>%q\ncase "$*" in *install*) touch %q;; esac\nexit 0\n' \
  "$H_TMP/apt.log" "$MARK" >"$FAKE/apt-get"
chmod +x "$FAKE"/*
# A fresh shell's make: nothing inherited from the make that runs this suite (SAN=1, -j, …).
umake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u SAN PATH="$FAKE:$PATH" make -C "$CLONE" "$@"; }

# Control: the stand-ins really hide the libraries, so a build that skips bootstrap fails.
umake all >"$H_TMP/control.log" 2>&1
check "without bootstrap the build is refused" test $? -ne 0
check "and the refusal says what to run" grep -q "libraries missing" "$H_TMP/control.log"
check "control left no marker" test ! -e "$MARK"

# The user's command, typed once. TESTS narrows the suite to the ABI unit test, which also
# proves the reference ABIs come from inside the repository.
umake test TESTS="unit abi" >"$H_TMP/first.log" 2>&1
rc=$?
check_eq "one 'make test' installs, builds and passes (exit status)" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$H_TMP/first.log" | tail -30
check "bootstrap ran apt-get install" grep -q "install" "$H_TMP/apt.log"
check "the suite ran and passed" grep -Eq '^[1-9][0-9]* passed, 0 failed$' "$H_TMP/first.log"
check "lamda was built" test -x "$CLONE/build/lamda"
check "make run goes through the same bootstrap-then-build step" \
  grep -Eq '^run: build$' "$CLONE/Makefile"
finish
