/**
 * The dashboard page and its script, served by the local host only. Charts
 * are drawn by chart.js (the UMD build from node_modules, served at
 * /dashboard/chart.js: no CDN); every value is inserted as text, never as
 * markup.
 */

/** `GET /dashboard`. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>AI gateway · local dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
  header { padding: 12px 20px; background: #1d2330; color: #fff; display: flex; gap: 16px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #status { font-size: 12px; opacity: .8; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); min-height: 120px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 14px; margin: 0 0 8px; text-transform: uppercase; letter-spacing: .04em; color: #4a5468; }
  .empty { color: #8a93a6; font-style: italic; }
  .chart { position: relative; height: 240px; }
  table { border-collapse: collapse; width: 100%; font-size: 12px; }
  th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eceef2; white-space: nowrap; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .on, .open, .error { color: #b3261e; font-weight: 600; }
  .ok, .closed { color: #1b7a3d; }
</style>
</head>
<body>
<header><h1>AI gateway · local dashboard</h1><span id="status">connecting…</span></header>
<main>
  <section><h2>Routing decisions by model</h2><p class="empty" id="requests-empty">No data yet: no request served since start.</p><div class="chart"><canvas id="chart-requests" aria-label="decisions by model"></canvas></div></section>
  <section><h2>Cost per tenant and model (USD)</h2><p class="empty" id="cost-empty">No data yet: no request served since start.</p><div class="chart"><canvas id="chart-cost" aria-label="cost per tenant and model"></canvas></div></section>
  <section><h2>Latency percentiles (ms)</h2><p class="empty" id="latency-empty">No data yet: no successful request since start.</p><div class="chart"><canvas id="chart-latency" aria-label="latency percentiles"></canvas></div></section>
  <section><h2>Cache hit rate</h2><p class="empty" id="cache-empty">No data yet: the response cache reports no lookups.</p><div class="chart"><canvas id="chart-cache" aria-label="cache hit rate"></canvas></div></section>
  <section><h2>Circuit breakers</h2><p class="empty" id="circuits-empty">No data yet: no provider call since start.</p><table id="circuits"></table></section>
  <section><h2>Kill switches</h2><p class="empty" id="switches-empty">None set.</p><table id="switches"></table></section>
  <section class="wide"><h2>Experiments (95% intervals)</h2><p class="empty" id="experiments-empty">No data yet: no experiment is running.</p><table id="experiments"></table></section>
  <section class="wide"><h2>Live routing decisions</h2><p class="empty" id="decisions-empty">No data yet: send a request to /v1/chat/completions.</p><table id="decisions"></table></section>
</main>
<script src="/dashboard/chart.js"></script>
<script src="/dashboard/app.js"></script>
</body>
</html>
`;

/** `GET /dashboard/app.js`: polls /dashboard/data and redraws. */
export const DASHBOARD_JS = `'use strict';
(function () {
  var POLL_MS = 1500;
  var PALETTE = ['#3366cc', '#dc3912', '#ff9900', '#109618', '#990099', '#0099c6', '#dd4477', '#66aa00', '#b82e2e', '#316395'];
  var charts = {};
  var updates = 0;

  function color(i) { return PALETTE[i % PALETTE.length]; }

  function chart(id, config) {
    if (!charts[id]) {
      config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
      charts[id] = new Chart(document.getElementById(id), config);
    } else {
      charts[id].data = config.data;
      charts[id].update('none');
    }
  }

  function showEmpty(name, empty) {
    var label = document.getElementById(name + '-empty');
    label.style.display = empty ? '' : 'none';
    var box = label.parentNode.querySelector('.chart, table');
    if (box) box.style.display = empty ? 'none' : '';
  }

  function table(id, header, rows) {
    var t = document.getElementById(id);
    t.textContent = '';
    if (rows.length === 0) return;
    var head = t.insertRow();
    header.forEach(function (h) { var th = document.createElement('th'); th.textContent = h; head.appendChild(th); });
    rows.forEach(function (r) {
      var tr = t.insertRow();
      r.forEach(function (cell) {
        var td = tr.insertCell();
        var v = cell && typeof cell === 'object' ? cell.v : cell;
        td.textContent = v === null || v === undefined ? '–' : String(v);
        if (typeof v === 'number') td.className = 'num';
        if (cell && typeof cell === 'object' && cell.cls) td.className = cell.cls;
      });
    });
  }

  function render(d) {
    var models = Object.keys(d.requests_by_model).sort();
    showEmpty('requests', models.length === 0);
    chart('chart-requests', {
      type: 'doughnut',
      data: { labels: models, datasets: [{ data: models.map(function (m) { return d.requests_by_model[m]; }), backgroundColor: models.map(function (_, i) { return color(i); }) }] }
    });

    var tenants = Object.keys(d.cost_usd).sort();
    showEmpty('cost', tenants.length === 0);
    chart('chart-cost', {
      type: 'bar',
      data: {
        labels: tenants,
        datasets: models.map(function (m, i) {
          return { label: m, backgroundColor: color(i), data: tenants.map(function (t) { return d.cost_usd[t][m] || 0; }) };
        })
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }
    });

    showEmpty('latency', d.latency_ms.length === 0);
    chart('chart-latency', {
      type: 'bar',
      data: {
        labels: d.latency_ms.map(function (l) { return l.model; }),
        datasets: ['p50', 'p90', 'p99'].map(function (p, i) {
          return { label: p, backgroundColor: color(i), data: d.latency_ms.map(function (l) { return l[p]; }) };
        })
      },
      options: { scales: { y: { beginAtZero: true } } }
    });

    showEmpty('cache', !d.cache);
    chart('chart-cache', {
      type: 'doughnut',
      data: { labels: ['hits', 'misses'], datasets: [{ data: d.cache ? [d.cache.hits, d.cache.misses] : [], backgroundColor: ['#109618', '#cccccc'] }] }
    });

    var circuits = Object.keys(d.circuits).sort();
    showEmpty('circuits', circuits.length === 0);
    table('circuits', ['provider#model', 'state', 'failures', 'requests'], circuits.map(function (k) {
      var c = d.circuits[k];
      return [k, { v: c.state, cls: c.state }, c.failures, c.requests];
    }));

    var switches = Object.keys(d.kill_switches.switches).sort();
    showEmpty('switches', switches.length === 0);
    table('switches', ['scope', 'state', 'reason', 'percent', 'until'], switches.map(function (s) {
      var v = d.kill_switches.switches[s];
      return [s, { v: v.state, cls: v.state }, v.reason, v.percent, v.until];
    }));

    var variants = [];
    d.experiments.forEach(function (e) {
      e.variants.forEach(function (v) {
        variants.push([e.id, e.status, v.name, v.n, v.rate.toFixed(3), '[' + v.ci95[0].toFixed(3) + ', ' + v.ci95[1].toFixed(3) + ']']);
      });
    });
    showEmpty('experiments', variants.length === 0);
    table('experiments', ['experiment', 'status', 'variant', 'n', 'rate', '95% interval'], variants);

    showEmpty('decisions', d.decisions.length === 0);
    table('decisions', ['time', 'tenant', 'context', 'chosen', 'served by', 'p', 'latency ms', 'cost USD', 'outcome', 'reward', 'feedback'], d.decisions.map(function (r) {
      return [r.ts.slice(11, 23), r.tenant, r.context, r.chosen, r.served_by, Number(r.propensity.toFixed(3)), r.latency_ms, Number(r.cost_usd.toFixed(6)), { v: r.outcome, cls: r.outcome }, r.reward === null ? null : Number(r.reward.toFixed(3)), r.feedback];
    }));
  }

  function poll() {
    fetch('/dashboard/data', { cache: 'no-store' })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
      .then(function (d) {
        render(d);
        updates++;
        document.body.dataset.updates = String(updates);
        document.getElementById('status').textContent = 'updated ' + d.generated_at + ' · ' + d.window + ' decisions in window';
      })
      .catch(function (e) { document.getElementById('status').textContent = 'error: ' + e.message; })
      .finally(function () { setTimeout(poll, POLL_MS); });
  }
  poll();
})();
`;
