// The operator dashboard. No framework, no build step: it reads GET /api/dashboard/summary
// every second, /metrics every few seconds (follower heads, when the followers run in this
// process), and applies GET /api/events as the changes happen, so counters and rows move
// without a reload. Every value is written with textContent, never as HTML.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const STATUSES = ['created', 'assigned', 'running', 'completed', 'failed', 'confirmed', 'paid', 'cancelled',
    'undelivered', 'stalled'];
  const state = { summary: null, heads: {}, events: 0, lastId: null, jobs: new Map() };
  const short = (h) => (h && h.length > 14 ? h.slice(0, 8) + '…' + h.slice(-4) : h || '–');
  const fmt = (n) => (n === null || n === undefined ? '–' : String(n));
  const time = (s) => (s ? new Date(typeof s === 'number' ? s * 1000 : s).toLocaleTimeString() : '–');
  const set = (id, v) => { const e = $(id); if (e && e.textContent !== fmt(v)) e.textContent = fmt(v); };

  // ---- the status grid, built once
  const grid = $('jobs-by-status');
  for (const s of STATUSES) {
    const d = document.createElement('div');
    const l = document.createElement('small');
    l.textContent = s;
    const b = document.createElement('b');
    b.id = 'status-' + s;
    b.textContent = '–';
    d.append(l, b);
    grid.append(d);
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
    return td;
  }

  // ---- rendering the summary
  function renderSummary(d) {
    state.summary = d;
    set('jobs-total', d.jobs.total);
    for (const s of STATUSES) set('status-' + s, d.jobs.by_status[s] || 0);
    set('outbox-depth', d.outbox_depth);
    set('awaiting-agent', d.awaiting_agent);
    set('providers-online', d.providers.online);
    set('providers-offline', d.providers.offline);
    set('providers-registered', d.providers.registered);
    set('providers-total', d.providers.total);
    set('rep-pending', d.reputation.pending);
    set('rep-in-flight', d.reputation.in_flight);
    set('rep-mined', d.reputation.mined);
    set('rep-failed', d.reputation.failed);
    $('updated-at').textContent = 'updated ' + new Date().toLocaleTimeString();
    renderFollowers(d.followers);
    renderChart(d.per_minute);
    renderDispatches(d.recent_dispatches);
  }

  function renderFollowers(list) {
    const body = $('followers');
    body.textContent = '';
    for (const f of list) {
      const tr = document.createElement('tr');
      // The metrics' head can trail the cursor the database already has: never show less.
      const head = state.heads[f.chain_id] !== undefined ? Math.max(state.heads[f.chain_id], f.cursor_block) : undefined;
      const lag = head !== undefined ? Math.max(0, head - f.cursor_block) : null;
      cell(tr, String(f.chain_id));
      cell(tr, short(f.contract), 'mono');
      cell(tr, String(f.cursor_block));
      cell(tr, head !== undefined ? String(head) : '–');
      cell(tr, lag !== null ? String(lag) : '–');
      let p = '–';
      if (head !== undefined && head > f.start_block)
        p = Math.min(100, (100 * (f.cursor_block - f.start_block)) / (head - f.start_block)).toFixed(1) + '%';
      cell(tr, p);
      body.append(tr);
    }
    if (!list.length) { const tr = document.createElement('tr'); cell(tr, 'no follower has written a cursor yet').colSpan = 6; body.append(tr); }
  }

  function renderDispatches(list) {
    const body = $('dispatches');
    body.textContent = '';
    for (const x of list) {
      const tr = document.createElement('tr');
      tr.dataset.jobId = x.job_id;
      cell(tr, short(x.job_id), 'mono');
      cell(tr, short(x.provider_address), 'mono');
      cell(tr, x.status || '–');
      cell(tr, time(x.dispatched_at));
      body.append(tr);
    }
  }

  // A hand-drawn SVG bar chart: three bars per minute.
  function renderChart(pm) {
    const svg = $('chart');
    const NS = 'http://www.w3.org/2000/svg';
    svg.textContent = '';
    const n = pm.created.length, W = 600, H = 140, top = 10;
    const max = Math.max(1, ...pm.created, ...pm.dispatched, ...pm.completed);
    const slot = W / n, bw = Math.max(1, slot / 3 - 1);
    const series = [['created', pm.created], ['dispatched', pm.dispatched], ['completed', pm.completed]];
    for (let i = 0; i < n; i++)
      series.forEach(([name, vals], k) => {
        if (!vals[i]) return;
        const h = ((H - top) * vals[i]) / max;
        const r = document.createElementNS(NS, 'rect');
        r.setAttribute('x', (i * slot + k * bw).toFixed(1));
        r.setAttribute('y', (H - h).toFixed(1));
        r.setAttribute('width', bw.toFixed(1));
        r.setAttribute('height', h.toFixed(1));
        r.setAttribute('class', 'bar-' + name);
        const t = document.createElementNS(NS, 'title');
        t.textContent = `${name}: ${vals[i]}`;
        r.append(t);
        svg.append(r);
      });
    const axis = document.createElementNS(NS, 'line');
    axis.setAttribute('x1', 0); axis.setAttribute('x2', W); axis.setAttribute('y1', H); axis.setAttribute('y2', H);
    axis.setAttribute('class', 'axis');
    svg.append(axis);
    const label = (x, text, anchor) => {
      const t = document.createElementNS(NS, 'text');
      t.setAttribute('x', x); t.setAttribute('y', 155); t.setAttribute('class', 'tick');
      t.setAttribute('text-anchor', anchor);
      t.textContent = text;
      svg.append(t);
    };
    label(2, new Date(pm.first_minute * 60000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }), 'start');
    label(W - 2, 'now', 'end');
    const m = document.createElementNS(NS, 'text');
    m.setAttribute('x', 2); m.setAttribute('y', 10); m.setAttribute('class', 'tick');
    m.textContent = 'max ' + max;
    svg.append(m);
  }

  // ---- recent jobs: from GET /api/jobs, then kept current by the events
  function jobRow(j, flash) {
    const body = $('recent-jobs');
    let tr = body.querySelector(`tr[data-job-id="${j.job_id}"]`);
    if (!tr) {
      tr = document.createElement('tr');
      tr.dataset.jobId = j.job_id;
      cell(tr, short(j.job_id), 'mono');
      cell(tr, short(j.provider_address), 'mono');
      cell(tr, '', 'status');
      cell(tr, '');
      body.prepend(tr);
      while (body.children.length > 20) body.lastChild.remove();
    }
    tr.dataset.status = j.status;
    tr.children[2].textContent = j.status;
    tr.children[3].textContent = time(j.at);
    if (flash) { tr.classList.remove('flash'); void tr.offsetWidth; tr.classList.add('flash'); }
  }

  async function loadJobs() {
    const r = await fetch('/api/jobs?limit=20');
    if (!r.ok) return;
    const d = (await r.json()).data;
    for (const j of d.jobs.slice().reverse()) jobRow({ job_id: j.job_id, provider_address: j.provider_address, status: j.status, at: j.updated_at || j.created_at }, false);
  }

  // ---- polling
  let summaryTimer = null;
  async function loadSummary() {
    try {
      const r = await fetch('/api/dashboard/summary');
      if (r.ok) renderSummary((await r.json()).data);
    } catch (e) { /* the next tick retries */ }
  }
  function soon() { // an event arrived: refresh the aggregates without waiting a full second
    if (summaryTimer) return;
    summaryTimer = setTimeout(() => { summaryTimer = null; loadSummary(); }, 150);
  }
  async function loadHeads() {
    try {
      const r = await fetch('/metrics');
      if (!r.ok) return;
      const text = await r.text();
      const cursor = {}, lag = {};
      for (const line of text.split('\n')) {
        const m = /^lamda_follower_(cursor_block|lag_blocks)\{[^}]*chain="(\d+)"[^}]*\} (\S+)$/.exec(line);
        if (m) (m[1] === 'cursor_block' ? cursor : lag)[m[2]] = Number(m[3]);
      }
      for (const c of Object.keys(cursor)) if (lag[c] !== undefined) state.heads[c] = cursor[c] + lag[c];
    } catch (e) { /* metrics are optional */ }
  }

  // ---- live events
  function connect() {
    const es = new EventSource('/api/events');
    const pill = $('sse-state');
    es.onopen = () => { pill.dataset.state = 'open'; pill.textContent = 'live'; };
    es.onerror = () => { pill.dataset.state = 'error'; pill.textContent = 'reconnecting…'; };
    const seen = (ev) => {
      state.events++;
      state.lastId = ev.lastEventId;
      set('events-received', state.events);
      set('last-event-id', state.lastId);
    };
    es.addEventListener('job', (ev) => {
      seen(ev);
      const e = JSON.parse(ev.data);
      jobRow({ job_id: e.job_id, provider_address: e.provider_address, status: e.status, at: e.at_ms / 1000 }, true);
      // Move the counters at once; the summary that follows confirms them.
      const s = state.summary;
      if (s) {
        if (e.previous_status && s.jobs.by_status[e.previous_status] > 0) s.jobs.by_status[e.previous_status]--;
        else if (!e.previous_status) s.jobs.total++;
        if (e.status !== 'removed') s.jobs.by_status[e.status] = (s.jobs.by_status[e.status] || 0) + 1;
        renderSummary(s);
      }
      soon();
    });
    es.addEventListener('dispatch', (ev) => { seen(ev); soon(); });
    es.addEventListener('node', (ev) => { seen(ev); soon(); });
    es.addEventListener('reset', () => { loadJobs(); soon(); });
  }

  loadHeads().then(loadSummary);
  loadJobs();
  connect();
  setInterval(loadSummary, 1000);
  setInterval(loadHeads, 3000);
})();
