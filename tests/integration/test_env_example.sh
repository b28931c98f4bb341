#!/usr/bin/env bash
# env.example is what `lamda config --example` prints: every setting with its default and help.
# It was once committed empty by accident; this keeps it from drifting from the settings table.
source "$(dirname "$0")/../lib/harness.sh"
env -i PATH="$PATH" LAMDA_DOTENV=/nonexistent "$LAMDA" config --example >"$H_TMP/env.example" 2>"$H_TMP/err"
check_eq "lamda config --example exits 0" "$?" 0
check "env.example lists settings (not empty)" test "$(grep -c '^[A-Z_]*=' "$ROOT/env.example")" -ge 30
if cmp -s "$H_TMP/env.example" "$ROOT/env.example"; then
  ok "env.example equals lamda config --example"
else
  not_ok "env.example equals lamda config --example" "regenerate it: build/lamda config --example > env.example"
  diff "$ROOT/env.example" "$H_TMP/env.example" | head -20 >&2
fi
finish
