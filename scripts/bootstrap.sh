#!/usr/bin/env bash
# Install everything lamda needs on a Debian machine: the C libraries it links, the servers
# its tests and `make run` start, and the pinned devnet tools from npm (tools/npm/).
# Idempotent: when everything is present it only checks, which takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential pkg-config git curl ca-certificates
  libcurl4-openssl-dev libcjson-dev libh2o-evloop-dev libpq-dev libsqlite3-dev sqlite3
  libsecp256k1-dev libnats-dev libwebsockets-dev libssl-dev libcrypt-dev
  postgresql nats-server
  clang libclang-rt-14-dev wrk nginx-light valgrind strace jq
)

missing=()
# One dpkg-query for all packages; a package it has never heard of prints nothing, so the
# test is "listed as installed", not "not listed as missing".
installed=" $(dpkg-query -W -f='${Package}=${db:Status-Status} ' "${DEB_PACKAGES[@]}" 2>/dev/null || true) "
for p in "${DEB_PACKAGES[@]}"; do
  [[ "$installed" == *" $p=installed "* ]] || missing+=("$p")
done
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && $cmd" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian postgresql package starts a cluster on 5432; our tests start their own on
  # free ports, so the default one is left as the package set it up.
fi

# Chromium, for the real-browser tests only (test_dashboard_browser.sh, driven by the pinned
# playwright-core). Best effort and separate from the list above: lamda builds and runs
# without it, and a machine whose apt sources have no chromium skips those tests (they say so)
# instead of failing to bootstrap at all.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bootstrap: installing chromium (browser tests)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; } ||
      echo "bootstrap: chromium could not be installed; the browser tests will be skipped" >&2
  else
    echo "bootstrap: no /usr/bin/chromium (browser tests will be skipped); as root: apt-get install chromium" >&2
  fi
fi

# npm dev tools (anvil, solc; redocly, ajv, openapi-typescript and tsc for the OpenAPI
# tests; playwright-core for the browser tests), pinned by tools/npm/package-lock.json. Reinstalled only when the lock
# file's content changed (a hash kept beside the install), not its mtime: git rewrites mtimes,
# and `npm ci` empties node_modules while it runs, under any test using anvil at that moment.
lock_sum=$(sha256sum tools/npm/package-lock.json | cut -d' ' -f1)
if [ ! -x tools/npm/node_modules/.bin/anvil ] || [ ! -e tools/npm/node_modules/solc/package.json ] ||
   [ ! -e tools/npm/node_modules/playwright-core/package.json ] ||
   [ "$(cat tools/npm/node_modules/.lamda-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
  echo "bootstrap: installing dev tools (anvil, solc, OpenAPI checks) from npm" >&2
  (cd tools/npm && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >tools/npm/node_modules/.lamda-lock-sha256
fi
exit 0
