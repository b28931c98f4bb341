#!/usr/bin/env bash
# check-layers — the include graph of src/ follows the module map (docs/CONTRIBUTING.md):
#   1. a file includes only its own folder or a folder on a LOWER layer;
#   2. no loop among modules (a module is x.c with x.h and x_internal.h; a loop is a set of files that include
#      each other, however indirectly).
# Prints each forbidden edge and loop, and exits 1 if there is any not in KNOWN below.
# Usage: scripts/check-layers.sh [SRC_DIR]   (default: this checkout's src/)
# Parses `#include "…"` lines only: what a file can name is what it can call.
set -uo pipefail
cd "${1:-$(dirname "$0")/../src}"

# The layering, lowest first. Folders on one line are peers and may not include each other.
LAYERS=(
  "core version"
  "ipfs evm"
  "store bus"
  "chain"
  "view"
  "api services"
)
# The wiring may reach every folder: it is where the layers are put together.
WIRING=" main.c services/wiring.c "
# Forbidden edges tolerated while they are being removed, one "file -> header" a line. Empty:
# every edge must follow LAYERS. An entry that no longer occurs is reported too, so this list
# only shrinks.
KNOWN=()

declare -A rank
r=0
for line in "${LAYERS[@]}"; do
  for f in $line; do rank[$f]=$r; done
  r=$((r + 1))
done
folder() { case $1 in */*) echo "${1%%/*}" ;; *) echo "${1%.*}" ;; esac; }

bad=() edges=()
while IFS= read -r file; do
  from=$(folder "$file")
  while IFS= read -r inc; do
    [ -n "$inc" ] || continue
    [ -e "$inc" ] || continue # generated or system header
    m1=${file%.*} m2=${inc%.*}
    edges+=("${m1%_internal} ${m2%_internal}")
    to=$(folder "$inc")
    [ "$to" = "$from" ] && continue
    [[ "$WIRING" == *" $file "* ]] && continue
    if [ -z "${rank[$from]:-}" ] || [ -z "${rank[$to]:-}" ]; then
      bad+=("$file -> $inc (folder not in LAYERS)")
    elif [ "${rank[$to]}" -ge "${rank[$from]}" ]; then
      bad+=("$file -> $inc")
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(find . -name '*.[ch]' | sed 's#^\./##' | sort)

status=0
for e in "${bad[@]}"; do
  known=0
  for k in "${KNOWN[@]}"; do [ "$e" = "$k" ] && known=1; done
  if [ $known = 1 ]; then echo "known upward include: $e"; else echo "FORBIDDEN include: $e"; status=1; fi
done
for k in "${KNOWN[@]}"; do
  found=0
  for e in "${bad[@]}"; do [ "$e" = "$k" ] && found=1; done
  [ $found = 1 ] || { echo "KNOWN entry no longer occurs (remove it): $k"; status=1; }
done
# Loops: tsort names every loop it meets on stderr. Self-edges (x.c -> x.h) are not loops.
loops=$(printf '%s\n' "${edges[@]}" | awk '$1 != $2' | tsort 2>&1 >/dev/null | grep -v 'input contains a loop' || true)
if [ -n "$loops" ]; then
  echo "include loop among modules:"
  echo "$loops" | sed 's/^tsort: /  /'
  status=1
fi
[ $status = 0 ] && echo "layers ok: ${#edges[@]} includes checked, ${#bad[@]} known exceptions"
exit $status
