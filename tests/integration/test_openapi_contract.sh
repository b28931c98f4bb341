#!/usr/bin/env bash
# The OpenAPI document as the API serves it: `redocly lint` finds no error and no warning
# (rules: redocly.yaml), and the TypeScript client openapi-typescript generates from it
# compiles with tsc --strict when used for Job and Provider (and refuses a misuse). Offline:
# the tools come from tools/npm/node_modules (scripts/bootstrap.sh). The responses themselves
# are validated against the document in test_api_gateway.sh.
source "$(dirname "$0")/../lib/harness.sh"
BIN=$ROOT/tools/npm/node_modules/.bin
for t in redocly openapi-typescript tsc; do
  [ -x "$BIN/$t" ] || { not_ok "tool $t installed" "run scripts/bootstrap.sh"; finish; }
done
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

PORT=$(free_port)
DATABASE_URL="sqlite:$H_TMP/api.db" API_PORT=$PORT LOG_LEVEL=warn "$LAMDA" api-gateway >"$H_TMP/api.log" 2>&1 &
track $!
wait_port "$PORT" || { not_ok "api-gateway listens"; cat "$H_TMP/api.log"; finish; }
DOC=$H_TMP/openapi.json
check_eq "GET /api/openapi.json 200" "$(curl -s -m 10 -o "$DOC" -w '%{http_code}' "http://127.0.0.1:$PORT/api/openapi.json")" "200"

# --- lint: 0 errors, 0 warnings
(cd "$ROOT" && "$BIN/redocly" lint --config redocly.yaml --format=json "$DOC" >"$H_TMP/lint.json" 2>"$H_TMP/lint.err")
totals=$(node -e 'const t=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).totals; console.log(t.errors+" "+t.warnings)' "$H_TMP/lint.json" 2>/dev/null)
if [ "$totals" = "0 0" ]; then ok "redocly lint: 0 errors, 0 warnings"; else
  not_ok "redocly lint: 0 errors, 0 warnings" "errors/warnings: ${totals:-unreadable}"
  (cd "$ROOT" && "$BIN/redocly" lint --config redocly.yaml --format=stylish "$DOC" 2>&1 | grep -E ' (error|warning) ' | head -20)
fi
# The lint is not vacuous: the document with one schema reference dangling fails it.
node -e 'const f=require("fs"),d=JSON.parse(f.readFileSync(process.argv[1]));
  d.components.schemas.ProviderResponse.properties.data.$ref="#/components/schemas/Nope";
  f.writeFileSync(process.argv[2],JSON.stringify(d))' "$DOC" "$H_TMP/broken.json"
check "redocly lint rejects a dangling schema reference" \
  bash -c "! (cd '$ROOT' && '$BIN/redocly' lint --config redocly.yaml '$H_TMP/broken.json' >/dev/null 2>&1)"

# --- the TypeScript client: generated into the build directory, compiled strict
OUT=$ROOT/$BUILD/openapi-client
rm -rf "$OUT" && mkdir -p "$OUT"
if "$BIN/openapi-typescript" "$DOC" -o "$OUT/lamda-api.d.ts" >"$H_TMP/gen.log" 2>&1; then ok "openapi-typescript generates the client"
else not_ok "openapi-typescript generates the client" "$(tail -3 "$H_TMP/gen.log")"; fi
cp "$ROOT/tests/openapi/client_use.ts" "$ROOT/tests/openapi/client_misuse.ts" "$OUT/"
TSC=(--strict --noEmit --target es2020 --module es2020 --moduleResolution bundler)
if (cd "$OUT" && "$BIN/tsc" "${TSC[@]}" client_use.ts >"$H_TMP/tsc.log" 2>&1); then ok "tsc --strict compiles a use of Job and Provider"
else not_ok "tsc --strict compiles a use of Job and Provider" "$(head -5 "$H_TMP/tsc.log")"; fi
(cd "$OUT" && "$BIN/tsc" "${TSC[@]}" client_misuse.ts >"$H_TMP/tsc2.log" 2>&1)
check "tsc refuses a Job field used with the wrong type" grep -q "client_misuse.ts(6,.*TS2322" "$H_TMP/tsc2.log"
check "tsc refuses a Job field that does not exist" grep -qE "client_misuse[.]ts[(]7,.*TS2(339|551)" "$H_TMP/tsc2.log"
finish
