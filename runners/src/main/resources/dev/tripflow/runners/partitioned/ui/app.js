// tripflow's web UI: the runs list and one run's pages, drawn from /api/runs as plain SVG and HTML.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
let timer = null;

function esc(s) {
  return String(s == null ? '' : s).replace(/[&<>"']/g, c =>
    ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}
function num(n) { return n == null ? '–' : Number(n).toLocaleString('en-US'); }
function secs(ms) { return ms == null ? '–' : (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s'; }
function bytes(b) {
  if (!b) return '0';
  const u = ['B', 'KiB', 'MiB', 'GiB']; let i = 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return b.toFixed(i ? 1 : 0) + ' ' + u[i];
}
function iso(ms) { return ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–'; }
function fit(s, n) { return s.length <= n ? s : s.slice(0, n - 1) + '…'; }
function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function text(parent, x, y, s, attrs) {
  const t = el('text', Object.assign({x: x, y: y}, attrs || {}), parent);
  t.textContent = s;
  return t;
}
function stageColor(id) { return 'hsl(' + ((id * 67) % 360) + ',55%,60%)'; }

async function getJson(url) {
  const r = await fetch(url, {cache: 'no-store'});
  if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
  return r.json();
}

async function route() {
  clearTimeout(timer);
  const m = location.hash.match(/^#\/run\/(.+)$/);
  try {
    if (m) {
      await showRun(decodeURIComponent(m[1]));
    } else {
      const ui = await getJson('api/ui');
      const runs = await getJson('api/runs');
      if (ui.live && runs.length === 1) {
        await showRun(runs[0].id);
      } else {
        showList(runs);
        timer = setTimeout(route, 2000);
      }
    }
  } catch (e) {
    document.getElementById('main').innerHTML = '<p class="error">' + esc(e.message) + '</p>';
    timer = setTimeout(route, 2000);
  }
}

function showList(runs) {
  document.getElementById('where').textContent = 'runs';
  let h = '<h2>Runs</h2>';
  if (!runs.length) {
    h += '<p class="muted">no runs yet: every PartitionedRunner run writes its event log here</p>';
  } else {
    h += '<table id="runs"><tr><th>started (UTC)</th><th>command</th><th>status</th>' +
      '<th class="num">duration</th><th class="num">stages</th><th class="num">rows read</th></tr>';
    for (const r of runs) {
      h += '<tr><td>' + esc(iso(r.startTime)) + '</td><td><a href="#/run/' +
        encodeURIComponent(r.id) + '">' + esc(r.command) + '</a></td><td class="status-' +
        esc(r.status) + '">' + esc(r.status) + '</td><td class="num">' + secs(r.durationMs) +
        '</td><td class="num">' + num(r.stages) + '</td><td class="num">' + num(r.rowsRead) + '</td></tr>';
    }
    h += '</table>';
  }
  document.getElementById('main').innerHTML = h;
}

async function showRun(id) {
  const run = await getJson('api/runs/' + encodeURIComponent(id));
  document.getElementById('where').textContent = run.command;
  const main = document.getElementById('main');
  let h = '<p><span class="status-' + esc(run.status) + '" id="status">' + esc(run.status) +
    '</span> · started ' + esc(iso(run.startTime)) + ' · ' + secs(run.durationMs) + ' · ' +
    num(run.partitions) + ' partitions · ' + num(run.plan ? run.plan.steps : 0) + ' steps in ' +
    num(run.stages.length) + ' stages' + (run.rowsRead != null ? ' · ' + num(run.rowsRead) + ' rows read' : '') +
    ' · <span class="muted">' + esc(run.id) + '</span></p>';
  if (run.error) h += '<p class="error">' + esc(run.error) + '</p>';
  h += '<h2>Stages</h2><div class="graph" id="graph"></div>';
  h += '<h2>Timeline</h2><div class="timeline" id="timeline"></div>';
  h += '<h2>Stage details</h2>' + stageTable(run);
  h += failures(run);
  h += '<h2>Metrics</h2>' + metricsTable(run.metrics);
  h += '<h2>Options</h2>' + optionsTable(run.options);
  main.innerHTML = h;
  document.getElementById('graph').appendChild(stageGraph(run));
  document.getElementById('timeline').appendChild(timeline(run));
  if (run.status === 'RUNNING' || run.status === 'STARTING') {
    timer = setTimeout(route, 500);
  }
}

function stageTable(run) {
  let h = '<table id="stages"><tr><th>stage</th><th>first step</th><th>status</th><th>partitions</th>' +
    '<th class="num">in</th><th class="num">out</th><th class="num">spilled</th>' +
    '<th class="num">failed attempts</th><th class="num">time</th><th class="num">CPU</th></tr>';
  for (const s of run.stages) {
    const pct = s.tasks ? 100 * s.tasksDone / s.tasks : 0;
    let parts = '<div class="parts">';
    for (const p of s.partitions) {
      parts += '<span class="part ' + esc(p.status) + '" title="partition ' + (p.task + 1) + ': ' +
        esc(p.status) + (p.in != null ? ', ' + num(p.in) + ' in, ' + num(p.out) + ' out' : '') + '"></span>';
    }
    parts += '</div>';
    const time = s.startTime ? (s.endTime || run.lastEventTime) - s.startTime : null;
    h += '<tr><td class="num">' + (s.id + 1) + '</td><td>' + esc(s.name) + '</td><td class="status-' +
      esc(s.status) + '">' + esc(s.status) + '</td><td><span class="bar"><span style="width:' + pct +
      '%"></span></span> ' + num(s.tasksDone) + '/' + num(s.tasks) + parts + '</td><td class="num">' +
      num(s.in) + '</td><td class="num">' + num(s.out) + '</td><td class="num">' + bytes(s.spilledBytes) +
      '</td><td class="num">' + num(s.failedAttempts) + '</td><td class="num">' + secs(time) +
      '</td><td class="num">' + secs(s.cpuNanos / 1e6) + '</td></tr>';
  }
  return h + '</table>';
}

function failures(run) {
  let rows = '';
  for (const s of run.stages) {
    for (const p of s.partitions) {
      for (const a of p.attempts) {
        if (a.status === 'FAILED') {
          rows += '<tr><td class="num">' + (s.id + 1) + '</td><td class="num">' + (p.task + 1) +
            '</td><td class="num">' + a.attempt + '</td><td class="error">' + esc(a.error) + '</td></tr>';
        }
      }
    }
  }
  return rows ? '<h2>Failed task attempts</h2><table id="failures"><tr><th>stage</th><th>partition</th>' +
    '<th>attempt</th><th>message</th></tr>' + rows + '</table>' : '';
}

function metricsTable(m) {
  let rows = '';
  for (const c of m.counters) {
    rows += '<tr><td>' + esc(c.step) + '</td><td>' + esc(c.namespace) + '</td><td>' + esc(c.name) +
      '</td><td>counter</td><td class="num">' + num(c.value) + '</td></tr>';
  }
  for (const d of m.distributions) {
    rows += '<tr><td>' + esc(d.step) + '</td><td>' + esc(d.namespace) + '</td><td>' + esc(d.name) +
      '</td><td>distribution</td><td class="num">count ' + num(d.count) + ', sum ' + num(d.sum) +
      ', min ' + num(d.min) + ', max ' + num(d.max) + '</td></tr>';
  }
  for (const g of m.gauges) {
    rows += '<tr><td>' + esc(g.step) + '</td><td>' + esc(g.namespace) + '</td><td>' + esc(g.name) +
      '</td><td>gauge</td><td class="num">' + num(g.value) + '</td></tr>';
  }
  return rows ? '<table id="metrics"><tr><th>step</th><th>namespace</th><th>name</th><th>kind</th>' +
    '<th class="num">value</th></tr>' + rows + '</table>' : '<p class="muted">none yet (at the end of the run)</p>';
}

function optionsTable(o) {
  let rows = '';
  for (const k of Object.keys(o || {})) {
    const v = o[k];
    rows += '<tr><td>--' + esc(k) + '</td><td>' + esc(typeof v === 'object' ? JSON.stringify(v) : v) + '</td></tr>';
  }
  return '<table id="options"><tr><th>option</th><th>value</th></tr>' + rows + '</table>';
}

// The stage graph: stages in columns by their depth (a stage right of every stage it reads), the
// fused steps in each box, arrows for shuffles, materialised collections and views.
function stageGraph(run) {
  const plan = run.plan || {stages: [], edges: []};
  const depth = {};
  for (const s of plan.stages) depth[s.id] = 0;
  for (const e of plan.edges) depth[e.to] = Math.max(depth[e.to], depth[e.from] + 1);
  const W = 260, GAP = 50, STEPS = 6, LINE = 14;
  const columns = [];
  for (const s of plan.stages) (columns[depth[s.id]] = columns[depth[s.id]] || []).push(s);
  const pos = {};
  let height = 0;
  columns.forEach((col, c) => {
    let y = 10;
    for (const s of col) {
      const shown = Math.min(s.steps.length, STEPS) + (s.steps.length > STEPS ? 1 : 0);
      const h = 46 + shown * LINE;
      pos[s.id] = {x: 10 + c * (W + GAP), y: y, h: h};
      y += h + 16;
    }
    height = Math.max(height, y);
  });
  const svg = el('svg', {class: 'stage-graph', width: 20 + columns.length * (W + GAP) - GAP, height: height});
  const defs = el('defs', {}, svg);
  const marker = el('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: 'auto-start-reverse'}, defs);
  el('path', {d: 'M 0 0 L 10 5 L 0 10 z', fill: '#78909c'}, marker);
  for (const e of plan.edges) {
    const a = pos[e.from], b = pos[e.to];
    if (!a || !b) continue;
    const x1 = a.x + W, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2;
    const p = el('path', {class: 'edge ' + e.kind, 'marker-end': 'url(#arrow)',
      d: 'M' + x1 + ',' + y1 + ' C' + (x1 + GAP / 2) + ',' + y1 + ' ' + (x2 - GAP / 2) + ',' + y2 + ' ' + x2 + ',' + y2}, svg);
    el('title', {}, p).textContent = e.kind + ': ' + e.how;
  }
  const byId = {};
  for (const s of run.stages) byId[s.id] = s;
  for (const s of plan.stages) {
    const st = byId[s.id] || {status: 'PENDING', tasks: 0, tasksDone: 0};
    const p = pos[s.id];
    const g = el('g', {class: 'stage ' + st.status, id: 'stage-' + (s.id + 1),
      transform: 'translate(' + p.x + ',' + p.y + ')'}, svg);
    el('title', {}, g).textContent = 'stage ' + (s.id + 1) + ': ' + s.name + '\n' + s.reads;
    el('rect', {class: 'box', width: W, height: p.h, rx: 4}, g);
    text(g, 8, 15, 'stage ' + (s.id + 1) + ' · ' + st.status.toLowerCase() + ' · ' +
      st.tasksDone + '/' + st.tasks + ' partitions', {'font-weight': 'bold'});
    el('rect', {x: 8, y: 21, width: W - 16, height: 5, fill: '#e3e3e3'}, g);
    el('rect', {x: 8, y: 21, width: st.tasks ? (W - 16) * st.tasksDone / st.tasks : 0, height: 5,
      fill: st.status === 'FAILED' ? '#e53935' : '#43a047'}, g);
    s.steps.slice(0, STEPS).forEach((step, i) => {
      const t = text(g, 8, 42 + i * LINE, fit(step.kind + '  ' + step.name, 41), {class: 'step'});
      el('title', {}, t).textContent = step.name;
    });
    if (s.steps.length > STEPS) text(g, 8, 42 + STEPS * LINE, '+' + (s.steps.length - STEPS) + ' more steps', {fill: '#777'});
    if (st.in != null) text(g, 8, p.h - 6, num(st.in) + ' in · ' + num(st.out) + ' out', {fill: '#555'});
  }
  return svg;
}

// The timeline: a row per stage (when it ran), then a row per task thread with each task attempt
// as a bar in its stage's colour (failed attempts in red), on one time axis from the run's start.
function timeline(run) {
  const t0 = run.startTime, t1 = Math.max(run.endTime || run.lastEventTime || t0, t0 + 1);
  const W = 1000, LEFT = 170, ROW = 16, scale = (W - LEFT - 10) / (t1 - t0);
  const threads = [];
  for (const s of run.stages) for (const p of s.partitions) for (const a of p.attempts)
    if (a.thread && threads.indexOf(a.thread) < 0) threads.push(a.thread);
  threads.sort((a, b) => a.localeCompare(b, 'en', {numeric: true}));
  const rows = run.stages.length + threads.length;
  const svg = el('svg', {class: 'timeline-chart', width: W, height: 30 + rows * ROW + 10});
  const x = t => LEFT + (t - t0) * scale;
  const step = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600]
    .find(s => (t1 - t0) / 1000 / s <= 10) || 7200;
  for (let s = 0; s * 1000 <= t1 - t0; s += step) {
    el('line', {x1: x(t0 + s * 1000), x2: x(t0 + s * 1000), y1: 18, y2: 30 + rows * ROW, stroke: '#eee'}, svg);
    text(svg, x(t0 + s * 1000) + 2, 12, (Math.round(s * 10) / 10) + ' s', {fill: '#777'});
  }
  run.stages.forEach((s, i) => {
    const y = 24 + i * ROW;
    text(svg, 4, y + 11, fit('stage ' + (s.id + 1) + ' ' + s.name, 28));
    if (s.startTime) {
      const r = el('rect', {x: x(s.startTime), y: y + 2, height: ROW - 4, fill: stageColor(s.id),
        width: Math.max(1, ((s.endTime || t1) - s.startTime) * scale)}, svg);
      el('title', {}, r).textContent = 'stage ' + (s.id + 1) + ' ' + s.name + ': ' +
        secs((s.endTime || t1) - s.startTime);
    }
  });
  threads.forEach((th, j) => {
    const y = 24 + (run.stages.length + j) * ROW;
    text(svg, 4, y + 11, th, {fill: '#555'});
    for (const s of run.stages) for (const p of s.partitions) for (const a of p.attempts) {
      if (a.thread !== th || !a.startTime) continue;
      const end = a.endTime || t1;
      const r = el('rect', {x: x(a.startTime), y: y + 2, height: ROW - 4,
        width: Math.max(1, (end - a.startTime) * scale), fill: stageColor(s.id),
        stroke: a.status === 'FAILED' ? '#c62828' : 'none', 'stroke-width': 2}, svg);
      el('title', {}, r).textContent = 'stage ' + (s.id + 1) + ', partition ' + (p.task + 1) +
        ', attempt ' + a.attempt + ': ' + secs(end - a.startTime) +
        (a.in != null ? ', ' + num(a.in) + ' in, ' + num(a.out) + ' out' : '') + (a.error ? '\n' + a.error : '');
    }
  });
  return svg;
}

window.addEventListener('hashchange', route);
route();
