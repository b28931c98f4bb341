#!/usr/bin/env node
// compile-contracts.js — compile contracts/*.sol with the pinned solc-js (tools/npm) and write
// build/contracts/<Name>.json = {"abi": [...], "bytecode": "0x..."} for every contract.
//
//   node scripts/compile-contracts.js [OUT_DIR]      (default build/contracts)
//
// Standard-JSON input, optimizer on (200 runs), EVM version pinned so the bytecode runs on
// anvil and on the BNB chains alike. Exits non-zero, printing solc's messages, on any error.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const solc = require(path.join(root, 'tools/npm/node_modules/solc'));
const outDir = path.resolve(process.argv[2] || path.join(root, 'build/contracts'));
const srcDir = path.join(root, 'contracts');

const sources = {};
for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(srcDir, f), 'utf8') };
}
if (Object.keys(sources).length === 0) {
  console.error(`compile-contracts: no .sol files in ${srcDir}`);
  process.exit(1);
}

const input = {
  language: 'Solidity',
  sources,
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: 'cancun',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
let failed = false;
for (const e of output.errors || []) {
  if (e.severity === 'error') failed = true;
  console.error(e.formattedMessage || e.message);
}
if (failed) {
  console.error('compile-contracts: compilation failed');
  process.exit(1);
}

fs.mkdirSync(outDir, { recursive: true });
for (const file of Object.keys(output.contracts || {})) {
  for (const [name, c] of Object.entries(output.contracts[file])) {
    const art = { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object };
    // Write then rename so a concurrent reader never sees half a file.
    const dst = path.join(outDir, `${name}.json`);
    fs.writeFileSync(dst + '.tmp', JSON.stringify(art, null, 1) + '\n');
    fs.renameSync(dst + '.tmp', dst);
    console.log(`compile-contracts: ${path.relative(root, dst)} (${(art.bytecode.length - 2) / 2} bytes)`);
  }
}
