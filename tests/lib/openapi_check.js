#!/usr/bin/env node
// openapi_check — validates recorded API responses against the OpenAPI document the API serves,
// with the pinned ajv (tools/npm). Used by tests/integration/test_api_gateway.sh.
//
//   node openapi_check.js DOC.json RECORD_DIR
//
// RECORD_DIR/index has one line per response: "N METHOD PATH STATUS CONTENT-TYPE", the body
// in RECORD_DIR/N.body (written by req() in test_api_gateway.sh). Each response is matched to
// the document's operation the way the router matches (a literal segment beats a {param}),
// then checked: the status is documented, the content type is the documented one, and the
// body validates against that status's schema. A response to no operation (404 "no such
// route", 405, OPTIONS) is counted, not checked. Then every operation must have at least one
// checked response and one checked 2xx. A self-check renames a key in a real response that
// validates and requires the copy to be rejected (so the schemas really are closed).
// Prints TAP-like "ok - …" / "not ok - …" lines; exit status 1 on any failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const npm = createRequire(path.join(__dirname, '../../tools/npm/package.json'));
const Ajv2020 = npm('ajv/dist/2020').default;
const addFormats = npm('ajv-formats').default;

const [docFile, recDir] = process.argv.slice(2);
if (!docFile || !recDir) {
  console.error('usage: openapi_check.js DOC.json RECORD_DIR');
  process.exit(2);
}
let failed = false;
const ok = (n) => console.log(`ok - ${n}`);
const notOk = (n, why) => { console.log(`not ok - ${n}${why ? ': ' + why : ''}`); failed = true; };

const doc = JSON.parse(fs.readFileSync(docFile, 'utf8'));
// strict: a typo in a schema keyword is an error, not a silently ignored annotation.
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: false });
addFormats(ajv);
ajv.addKeyword('components'); // the wrapper below: lets "#/components/schemas/X" resolve
ajv.addSchema({ $id: 'lamda-openapi', components: { schemas: doc.components.schemas } });
const validators = new Map();
function validatorFor(ref) {
  const name = ref.replace('#/components/schemas/', '');
  if (!validators.has(name)) validators.set(name, ajv.getSchema(`lamda-openapi#/components/schemas/${name}`));
  return validators.get(name);
}
try {
  for (const name of Object.keys(doc.components.schemas)) validatorFor(`#/components/schemas/${name}`);
  ok('every component schema compiles (ajv strict, JSON Schema 2020-12)');
} catch (e) {
  notOk('every component schema compiles (ajv strict, JSON Schema 2020-12)', e.message);
  process.exit(1);
}

// Operations, literal templates first (the router's precedence).
const ops = [];
for (const [tpl, item] of Object.entries(doc.paths)) {
  const nparams = (tpl.match(/\{/g) || []).length;
  const re = new RegExp('^' + tpl.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$');
  for (const [method, op] of Object.entries(item))
    ops.push({ key: `${method.toUpperCase()} ${tpl}`, method: method.toUpperCase(), re, nparams, op, seen: 0, seen2xx: 0 });
}
ops.sort((a, b) => a.nparams - b.nparams);

const lines = fs.readFileSync(path.join(recDir, 'index'), 'utf8').split('\n').filter(Boolean);
let checked = 0, skipped = 0;
const bad = [];
let sample = null; // a validated provider response, for the self-check
for (const line of lines) {
  const [n, method, url, status, ...ctParts] = line.split(' ');
  const ct = ctParts.join(' ');
  // the router ignores one trailing '/', so such a response is checked as the path without it
  let p = url.split('?')[0];
  if (p.length > 1 && p.endsWith('/') && !p.endsWith('//')) p = p.slice(0, -1);
  const op = ops.find((o) => o.method === method && o.re.test(p));
  if (!op) { skipped++; continue; }
  const what = `${method} ${url} → ${status}`;
  const resp = op.op.responses[status];
  if (!resp) { bad.push(`${what}: status ${status} not documented for ${op.key}`); continue; }
  const base = (t) => t.split(';')[0].trim().toLowerCase();
  const media = Object.keys(resp.content || {}).find((m) => base(m) === base(ct));
  if (!media) {
    bad.push(`${what}: content-type "${ct}", documented ${Object.keys(resp.content || {}).join(', ') || 'none'}`);
    continue;
  }
  const mt = resp.content[media];
  const raw = fs.readFileSync(path.join(recDir, `${n}.body`), 'utf8');
  let body = raw;
  if (media.startsWith('application/json')) {
    try { body = JSON.parse(raw); } catch (e) { bad.push(`${what}: body is not JSON`); continue; }
  }
  const v = validatorFor(mt.schema.$ref);
  checked++;
  op.seen++;
  if (+status >= 200 && +status < 300) op.seen2xx++;
  if (!v(body)) {
    const err = v.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params && e.params.additionalProperty ? ' (' + e.params.additionalProperty + ')' : ''}`).join('; ');
    bad.push(`${what}: ${mt.schema.$ref.split('/').pop()}: ${err}`);
    continue;
  }
  if (!sample && mt.schema.$ref.endsWith('/ProviderResponse')) sample = { v, body };
}
if (bad.length) notOk(`every recorded response matches its documented status, content type and schema (${checked} checked)`,
  `${bad.length} mismatches:\n  ` + bad.slice(0, 40).join('\n  ') + (bad.length > 40 ? `\n  … and ${bad.length - 40} more` : ''));
else ok(`every recorded response matches its documented status, content type and schema (${checked} checked, ${skipped} to no operation)`);

const unseen = ops.filter((o) => !o.seen).map((o) => o.key);
if (unseen.length) notOk('every operation of the route table has a validated response', 'none for ' + unseen.join(', '));
else ok(`every operation of the route table has a validated response (${ops.length} operations)`);
const no2xx = ops.filter((o) => !o.seen2xx).map((o) => o.key);
if (no2xx.length) notOk('every operation has a validated success response', 'none for ' + no2xx.join(', '));
else ok('every operation has a validated success response');

// Self-check: the schemas are closed, so a renamed key must fail.
if (!sample) notOk('self-check: a renamed key is rejected', 'no valid ProviderResponse was recorded');
else {
  const copy = JSON.parse(JSON.stringify(sample.body));
  copy.data.gpu_modle = copy.data.gpu_model;
  delete copy.data.gpu_model;
  if (sample.v(copy)) notOk('self-check: a response with data.gpu_model renamed is rejected');
  else ok('self-check: a response with data.gpu_model renamed is rejected');
  const top = JSON.parse(JSON.stringify(sample.body));
  top.result = top.data;
  delete top.data;
  if (sample.v(top)) notOk('self-check: an envelope with data renamed is rejected');
  else ok('self-check: an envelope with data renamed is rejected');
}
process.exit(failed ? 1 : 0);
