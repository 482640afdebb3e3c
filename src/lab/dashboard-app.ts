// The dashboard's web app: one self-contained page (no external files). Pages by URL hash: #/ the runs table
// (sort, filter, select), #/run/ID a run whose curves update live (server-sent events), #/compare/ID,ID...
// curves overlaid, the Pareto plot and parallel coordinates. Plots are SVG rendered by the server.
export const DASHBOARD_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>strata dashboard</title>
<style>
body{font:13px system-ui,sans-serif;margin:0;color:#222}
header{background:#263238;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:12px 16px}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e0e0e0;padding:3px 6px;text-align:left;white-space:nowrap}
th{cursor:pointer;background:#f5f5f5;user-select:none}
tr:hover td{background:#fafafa}
.plots{display:flex;flex-wrap:wrap;gap:12px}
.plot{border:1px solid #e0e0e0;min-width:300px;min-height:200px}
.status-running{color:#1565c0}.status-finished{color:#2e7d32}.status-failed{color:#c62828}
button{padding:4px 10px}
input[type=search]{width:280px;padding:3px}
pre{background:#f5f5f5;padding:8px;overflow:auto;max-height:200px}
</style></head>
<body>
<header><a href="#/">strata dashboard</a><span id="where"></span></header>
<main id="app">loading…</main>
<script>
"use strict";
var app = document.getElementById('app');
var where = document.getElementById('where');
var runsCache = null;
var state = { sort: 'id', desc: true, filter: '', selected: {} };
var source = null;

function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
function pct(v) { return typeof v === 'number' ? (100 * v).toFixed(2) + '%' : '-'; }
function getJson(u) { return fetch(u).then(function (r) { if (!r.ok) throw new Error(u + ': ' + r.status); return r.json(); }); }
function plot(id, url) {
  var el = document.getElementById(id);
  return fetch(url).then(function (r) { return r.text(); }).then(function (t) { el.innerHTML = t; el.setAttribute('data-rendered', '1'); });
}

var COLS = [
  ['id', 'id', function (r) { return r.id; }],
  ['name', 'name', function (r) { return r.name; }],
  ['model', 'model', function (r) { return r.model; }],
  ['dataset', 'dataset', function (r) { return r.dataset; }],
  ['status', 'status', function (r) { return r.status; }],
  ['epochs', 'epochs', function (r) { return r.final.epoch; }],
  ['acc', 'test acc', function (r) { return r.final.test_accuracy; }],
  ['f1', 'macro F1', function (r) { return r.final.test_macro_f1; }],
  ['group', 'group', function (r) { return r.group; }],
  ['started', 'started', function (r) { return r.startedAt; }]
];

function selectedIds() { return Object.keys(state.selected).filter(function (k) { return state.selected[k]; }); }
function updateCompare() {
  var b = document.getElementById('compare'), n = selectedIds().length;
  b.disabled = n < 2;
  b.textContent = 'compare selected (' + n + ')';
}

function renderTable() {
  var col = COLS.filter(function (c) { return c[0] === state.sort; })[0];
  var f = state.filter.toLowerCase();
  var rows = runsCache.filter(function (r) { return !f || [r.id, r.name, r.model, r.dataset, r.status, r.group, r.kind].join(' ').toLowerCase().indexOf(f) >= 0; });
  rows.sort(function (a, b) { var x = col[2](a), y = col[2](b); var c = x == null ? -1 : y == null ? 1 : x < y ? -1 : x > y ? 1 : 0; return state.desc ? -c : c; });
  var sel = selectedIds();
  var h = '<p><input type="search" id="filter" placeholder="filter (model, dataset, status, group...)" value="' + esc(state.filter) + '"> ' +
    '<button id="compare" ' + (sel.length < 2 ? 'disabled' : '') + '>compare selected (' + sel.length + ')</button> <span id="count">' + rows.length + ' of ' + runsCache.length + ' runs</span></p>' +
    '<table id="runs"><thead><tr><th></th>' + COLS.map(function (c) { return '<th data-col="' + c[0] + '">' + esc(c[1]) + (state.sort === c[0] ? (state.desc ? ' ▼' : ' ▲') : '') + '</th>'; }).join('') + '</tr></thead><tbody>' +
    rows.map(function (r) {
      return '<tr data-id="' + r.id + '"><td><input type="checkbox" class="sel" data-id="' + r.id + '"' + (state.selected[r.id] ? ' checked' : '') + '></td>' +
        '<td><a href="#/run/' + r.id + '">' + r.id + '</a></td><td>' + esc(r.name) + '</td><td>' + esc(r.model) + '</td><td>' + esc(r.dataset) + '</td>' +
        '<td class="status-' + esc(r.status) + '">' + esc(r.status) + '</td><td>' + esc(r.final.epoch == null ? '-' : r.final.epoch) + '</td><td>' + pct(r.final.test_accuracy) + '</td><td>' + pct(r.final.test_macro_f1) + '</td>' +
        '<td>' + esc(r.group || '') + '</td><td>' + esc(String(r.startedAt).slice(0, 19).replace('T', ' ')) + '</td></tr>';
    }).join('') + '</tbody></table>';
  app.innerHTML = h;
  var input = document.getElementById('filter');
  input.addEventListener('input', function () { state.filter = input.value; renderTable(); var i = document.getElementById('filter'); i.focus(); i.setSelectionRange(i.value.length, i.value.length); });
  Array.prototype.forEach.call(app.querySelectorAll('th[data-col]'), function (th) {
    th.addEventListener('click', function () { var c = th.getAttribute('data-col'); if (state.sort === c) state.desc = !state.desc; else { state.sort = c; state.desc = false; } renderTable(); });
  });
  Array.prototype.forEach.call(app.querySelectorAll('input.sel'), function (cb) {
    cb.addEventListener('change', function () { state.selected[cb.getAttribute('data-id')] = cb.checked; updateCompare(); });
  });
  document.getElementById('compare').addEventListener('click', function () { location.hash = '#/compare/' + selectedIds().join(','); });
}

function showRuns() {
  where.textContent = 'runs';
  var show = function (runs) { runsCache = runs; renderTable(); document.body.setAttribute('data-page', 'runs'); };
  if (typeof INITIAL_RUNS !== 'undefined' && INITIAL_RUNS) { show(INITIAL_RUNS); INITIAL_RUNS = null; } else getJson('/api/runs').then(show);
}

function showRun(id) {
  where.textContent = 'run ' + id;
  getJson('/api/runs/' + id).then(function (r) {
    app.innerHTML = '<h2>run ' + r.id + ': ' + esc(r.name) + ' <small class="status-' + esc(r.status) + '" id="status">' + esc(r.status) + '</small></h2>' +
      '<p>' + esc(r.kind) + ' · ' + esc(r.runDir || '') + ' · ' + esc(r.device || '') + ' · commit ' + esc((r.gitCommit || '-').slice(0, 10)) + ' · host ' + esc(r.host || '-') + '</p>' +
      '<div class="plots"><div class="plot" id="curves"></div></div><p>epochs: <span id="nepochs">' + r.epochs.length + '</span>, test accuracy <span id="lastacc">' + pct(r.final.test_accuracy) + '</span></p>' +
      '<h3>config</h3><pre>' + esc(JSON.stringify(r.config, null, 2)) + '</pre><h3>final</h3><pre>' + esc(JSON.stringify(r.final, null, 2)) + '</pre>';
    document.body.setAttribute('data-page', 'run');
    var n = r.epochs.length;
    plot('curves', '/api/plot/curves.svg?ids=' + id);
    source = new EventSource('/api/runs/' + id + '/events');
    source.onmessage = function (ev) {
      var d = JSON.parse(ev.data);
      n += d.epochs.length;
      document.getElementById('nepochs').textContent = n;
      document.getElementById('status').textContent = d.status;
      if (d.epochs.length) document.getElementById('lastacc').textContent = pct(d.epochs[d.epochs.length - 1].test_accuracy);
      plot('curves', '/api/plot/curves.svg?ids=' + id);
    };
  }).catch(function (e) { app.textContent = String(e); });
}

function showCompare(ids) {
  where.textContent = 'compare ' + ids;
  app.innerHTML = '<h2>compare runs ' + esc(ids) + '</h2><div class="plots"><div class="plot" id="curves"></div><div class="plot" id="pareto"></div><div class="plot" id="parallel"></div></div>';
  document.body.setAttribute('data-page', 'compare');
  plot('curves', '/api/plot/curves.svg?ids=' + ids);
  plot('pareto', '/api/plot/pareto.svg?ids=' + ids);
  plot('parallel', '/api/plot/parallel.svg?ids=' + ids);
}

function route() {
  if (source) { source.close(); source = null; }
  var h = location.hash || '#/';
  var m;
  if ((m = /^#\\/run\\/(\\d+)$/.exec(h))) showRun(m[1]);
  else if ((m = /^#\\/compare\\/([\\d,]+)$/.exec(h))) showCompare(m[1]);
  else showRuns();
}
window.addEventListener('hashchange', route);
route();
</script></body></html>
`;
