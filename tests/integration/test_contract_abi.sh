#!/usr/bin/env bash
# The devnet contracts (contracts/*.sol), compiled with the pinned solc-js, have exactly the ABI
# of the deployed contracts (contracts/abi/*.abi.json, the project's reference copies): same functions, events, errors,
# parameter names/types/internalTypes, indexed flags and mutability. The comparator itself is
# checked too: a changed ABI must be reported, not waved through.
source "$(dirname "$0")/../lib/harness.sh"
REF=$ROOT/contracts/abi
OUT=$H_TMP/contracts

check "contracts compile with solc-js" node "$ROOT/scripts/compile-contracts.js" "$OUT" >/dev/null
for n in JobManager NodeReputation; do
  check "$n artifact has bytecode" node -e '
    const a = require(process.argv[1]);
    process.exit(/^0x[0-9a-f]{200,}$/.test(a.bytecode) && Array.isArray(a.abi) ? 0 : 1)' "$OUT/$n.json"
  if diff=$(node "$ROOT/scripts/compare-abi.js" "$OUT/$n.json" "$REF/$n.abi.json" 2>&1); then
    ok "$n ABI identical to contracts/abi/$n.abi.json"
  else
    not_ok "$n ABI identical to contracts/abi/$n.abi.json" "$(echo "$diff" | tr '\n' ';')"
  fi
done

# The comparator must catch each kind of difference. Mutate the reference copy one way at a time.
mutate() { # NAME JS-EXPRESSION-ON-abi
  node -e '
    const fs = require("fs"); const abi = JSON.parse(fs.readFileSync(process.argv[1]));
    (new Function("abi", process.argv[2]))(abi);
    fs.writeFileSync(process.argv[3], JSON.stringify(abi));' "$REF/$1.abi.json" "$2" "$H_TMP/mut.json"
  ! node "$ROOT/scripts/compare-abi.js" "$OUT/$1.json" "$H_TMP/mut.json" >/dev/null
}
check "comparator: flipped indexed flag detected" mutate JobManager \
  'abi.find(e => e.name === "JobCreated").inputs[2].indexed = false'
check "comparator: changed mutability detected" mutate JobManager \
  'abi.find(e => e.name === "createJob").stateMutability = "nonpayable"'
check "comparator: renamed tuple component detected" mutate JobManager \
  'abi.find(e => e.name === "getJobInfo").outputs[0].components[4].name = "state"'
check "comparator: changed internalType detected" mutate NodeReputation \
  'abi.find(e => e.name === "getProviderInfo").outputs[0].internalType = "struct X.Provider"'
check "comparator: missing error detected" mutate NodeReputation \
  'abi.splice(abi.findIndex(e => e.name === "OwnableInvalidOwner"), 1)'
check "comparator: extra function detected" mutate NodeReputation \
  'abi.push({type: "function", name: "ACTIVE_WINDOW", inputs: [], outputs: [], stateMutability: "view"})'
check "comparator: changed parameter type detected" mutate NodeReputation \
  'abi.find(e => e.name === "registerNode").inputs[1].type = "uint128"'
check "comparator: order does not matter" node -e '
  const fs = require("fs"); const abi = JSON.parse(fs.readFileSync(process.argv[1]));
  fs.writeFileSync(process.argv[2], JSON.stringify(abi.reverse()));' "$REF/NodeReputation.abi.json" "$H_TMP/rev.json"
check "comparator: reversed reference still identical" node "$ROOT/scripts/compare-abi.js" "$OUT/NodeReputation.json" "$H_TMP/rev.json"
finish
