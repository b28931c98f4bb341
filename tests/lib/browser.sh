# browser.sh — sourced by the browser tests after harness.sh: whether headless Chromium and the
# pinned playwright-core are there, and where a test keeps its screenshots.
#
#   browser_available || { skip "why"; finish; }   # sets BROWSER_WHY when not
#   BROWSER_OUT=$(browser_outdir NAME)               # $BUILD/test-output/NAME, kept after the test
BROWSER_JS=$ROOT/tests/lib/browser.js

browser_available() {
  BROWSER_WHY=""
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || BROWSER_WHY="no ${CHROMIUM:-/usr/bin/chromium} (scripts/bootstrap.sh installs Debian's chromium; it could not here)"
  [ -e "$ROOT/tools/npm/node_modules/playwright-core/package.json" ] || BROWSER_WHY="${BROWSER_WHY:+$BROWSER_WHY; }no playwright-core in tools/npm (scripts/bootstrap.sh)"
  [ -z "$BROWSER_WHY" ]
}

# ok with a TAP SKIP directive: counted as passed, says why.
skip() { echo "ok - $1 # SKIP"; }

browser_outdir() {
  local d=$ROOT/$BUILD/test-output/$1
  rm -rf "$d" && mkdir -p "$d" && echo "$d"
}
