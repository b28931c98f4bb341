#!/usr/bin/env node
// compare-abi.js — structural comparison of two contract ABIs.
//
//   node scripts/compare-abi.js COMPILED.json REFERENCE.abi.json
//
// COMPILED may be a build/contracts artifact ({"abi": [...]}) or a bare ABI array. Entries are
// matched by (type, name) — constructor/fallback/receive by type — so order does not matter.
// Compared per entry: inputs/outputs (name, type, internalType, indexed, components, in
// order), stateMutability and anonymous. internalType is compared with whitespace removed: the
// reference files spell "enum JobManager.JobStatus" as "enumJobManager.JobStatus".
// Prints one line per difference and exits 1 if there is any; exits 0 when identical.
'use strict';
const fs = require('fs');

function load(file) {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  const abi = Array.isArray(j) ? j : j.abi;
  if (!Array.isArray(abi)) throw new Error(`${file}: no ABI array`);
  return abi;
}

const keyOf = (e) => (e.name !== undefined ? `${e.type} ${e.name}` : e.type);
const norm = (s) => (s === undefined ? undefined : String(s).replace(/\s+/g, ''));

function compareParams(where, a, b, diffs) {
  a = a || [];
  b = b || [];
  if (a.length !== b.length) {
    diffs.push(`${where}: ${a.length} parameters, reference has ${b.length}`);
    return;
  }
  a.forEach((p, i) => {
    const q = b[i];
    const at = `${where}[${i}]`;
    if (p.name !== q.name) diffs.push(`${at}: name '${p.name}' != '${q.name}'`);
    if (p.type !== q.type) diffs.push(`${at}: type '${p.type}' != '${q.type}'`);
    if (norm(p.internalType) !== norm(q.internalType))
      diffs.push(`${at}: internalType '${p.internalType}' != '${q.internalType}'`);
    if (Boolean(p.indexed) !== Boolean(q.indexed) && (p.indexed !== undefined || q.indexed !== undefined))
      diffs.push(`${at}: indexed ${p.indexed} != ${q.indexed}`);
    if (p.components || q.components) compareParams(`${at}.components`, p.components, q.components, diffs);
  });
}

function compare(got, want) {
  const diffs = [];
  const g = new Map(), w = new Map();
  for (const [abi, m, label] of [[got, g, 'compiled'], [want, w, 'reference']]) {
    for (const e of abi) {
      const k = keyOf(e);
      if (m.has(k)) diffs.push(`${label}: duplicate entry ${k} (overloads are not expected)`);
      m.set(k, e);
    }
  }
  for (const k of w.keys()) if (!g.has(k)) diffs.push(`missing: ${k}`);
  for (const k of g.keys()) if (!w.has(k)) diffs.push(`extra: ${k}`);
  for (const [k, e] of g) {
    const r = w.get(k);
    if (!r) continue;
    if (e.stateMutability !== r.stateMutability)
      diffs.push(`${k}: stateMutability '${e.stateMutability}' != '${r.stateMutability}'`);
    if (Boolean(e.anonymous) !== Boolean(r.anonymous)) diffs.push(`${k}: anonymous ${e.anonymous} != ${r.anonymous}`);
    compareParams(`${k} inputs`, e.inputs, r.inputs, diffs);
    if (e.outputs || r.outputs) compareParams(`${k} outputs`, e.outputs, r.outputs, diffs);
  }
  return diffs;
}

if (require.main === module) {
  if (process.argv.length !== 4) {
    console.error('usage: compare-abi.js COMPILED.json REFERENCE.abi.json');
    process.exit(2);
  }
  let diffs;
  try {
    diffs = compare(load(process.argv[2]), load(process.argv[3]));
  } catch (e) {
    console.error(`compare-abi: ${e.message}`);
    process.exit(2);
  }
  for (const d of diffs) console.log(d);
  process.exit(diffs.length ? 1 : 0);
}
module.exports = { compare };
