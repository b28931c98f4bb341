#!/usr/bin/env node
// browser.js — drives headless Chromium (Debian's /usr/bin/chromium) with the pinned
// playwright-core for the browser tests (tests/integration/test_dashboard_browser.sh).
//
//   node browser.js dashboard URL OUTDIR
//       Opens URL/dashboard, prints "ready {counters}" once it has rendered, then waits
//       (up to BROWSER_TIMEOUT s) until, without a reload, the job total has grown, a job
//       row has reached completed/confirmed/paid and events have arrived over SSE. Writes
//       screenshots (desktop before/after, phone after) into OUTDIR; prints "result {json}".
//   node browser.js eventsource URL
//       Opens URL/dashboard (same origin) and an EventSource on /api/events in the page;
//       prints "event ID" for each event and "open"/"error" on each connection change, until
//       stdin closes. The browser's own reconnect sends Last-Event-ID.
// Exit status 0 when the goal was met, 1 otherwise, 2 on a launch failure.
'use strict';
const path = require('path');
const { createRequire } = require('module');
const npm = createRequire(path.join(__dirname, '../../tools/npm/package.json'));
const { chromium } = npm('playwright-core');

const [mode, url, outdir] = process.argv.slice(2);
const timeoutMs = Number(process.env.BROWSER_TIMEOUT || 90) * 1000;

async function launch() {
  const args = process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args });
}

async function counters(page) {
  return page.evaluate(() => {
    const t = (id) => (document.getElementById(id) || {}).textContent;
    const rows = [...document.querySelectorAll('#recent-jobs tr[data-job-id]')].map((r) => ({ id: r.dataset.jobId, status: r.dataset.status }));
    return {
      marker: window.__lamdaNoReload === true, // set once by us: gone after a reload
      jobs_total: Number(t('jobs-total')), completed: Number(t('status-completed')), confirmed: Number(t('status-confirmed')),
      providers_online: Number(t('providers-online')), events: Number(t('events-received')), sse: t('sse-state'), rows,
    };
  });
}

async function dashboard() {
  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url + '/dashboard');
  await page.waitForFunction(() => document.getElementById('jobs-total').textContent !== '–' &&
    document.getElementById('sse-state').dataset.state === 'open', null, { timeout: 20000 });
  await page.evaluate(() => { window.__lamdaNoReload = true; });
  const before = await counters(page);
  await page.screenshot({ path: path.join(outdir, 'dashboard-before.png'), fullPage: true });
  console.log('ready ' + JSON.stringify(before));
  let after = before, met = false;
  const done = (c) => c.marker && c.jobs_total > before.jobs_total && c.events > before.events &&
    c.rows.some((r) => ['completed', 'confirmed', 'paid'].includes(r.status) && !before.rows.some((b) => b.id === r.id));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    after = await counters(page);
    if (done(after)) { met = true; break; }
    await page.waitForTimeout(200);
  }
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(outdir, 'dashboard-after.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(outdir, 'dashboard-phone.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  console.log('result ' + JSON.stringify({ met, before, after, errors, phone_overflow_px: overflow }));
  await browser.close();
  return met && errors.length === 0;
}

async function eventsource() {
  const browser = await launch();
  const page = await browser.newPage();
  await page.exposeFunction('report', (line) => console.log(line));
  await page.goto(url + '/dashboard/style.css'); // any same-origin page will do
  await page.evaluate(() => {
    const es = new EventSource('/api/events');
    es.onopen = () => window.report('open');
    es.onerror = () => window.report('error ' + es.readyState);
    for (const k of ['job', 'node', 'dispatch', 'reset'])
      es.addEventListener(k, (ev) => window.report(`event ${ev.lastEventId} ${k}`));
  });
  await new Promise((resolve) => { process.stdin.on('end', resolve); process.stdin.on('close', resolve); process.stdin.resume(); });
  await browser.close();
  return true;
}

(mode === 'dashboard' ? dashboard() : mode === 'eventsource' ? eventsource() : Promise.reject(new Error('usage')))
  .then((ok) => process.exit(ok ? 0 : 1))
  .catch((e) => { console.log('launch-failed ' + String(e.message || e).split('\n')[0]); process.exit(2); });
