// The admin dashboard's script (served by the admin listener; docs/architecture.md §8). It logs in by exchanging
// ADMIN_TOKEN for an HttpOnly session cookie, sends the CSRF token the login returned on every state change, asks
// for confirmation before each one, and draws the last 15 minutes the admin listener samples (GET
// /api/dashboard/history) with uPlot.
'use strict';

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const state = { csrf: null, timer: null, charts: {}, history: null };
window.sgDashboard = state;

class ApiError extends Error {
  constructor(status, code, message) {
    super(code ? `${code}: ${message}` : message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    // JSON only: the admin API refuses the body types an HTML form could send from another site.
    headers['content-type'] = 'application/json';
    if (state.csrf) headers['x-csrf-token'] = state.csrf;
  }
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: method === 'GET' ? undefined : JSON.stringify(body ?? {}) });
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const e = json && json.error;
    throw new ApiError(res.status, e && e.code, (e && e.message) || `HTTP ${res.status}`);
  }
  return json;
}

function showError(err) {
  if (err instanceof ApiError && err.status === 401) return showLogin('Your session ended: log in again.');
  $('err').textContent = err ? String(err.message || err) : '';
}

function confirmAction(text) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

// ---- login ----
function showLogin(message) {
  clearInterval(state.timer);
  state.timer = null;
  state.csrf = null;
  $('dashboard-view').hidden = true;
  $('logout').hidden = true;
  $('login-view').hidden = false;
  $('meta').textContent = 'logged out';
  $('err').textContent = message || '';
  $('token').focus();
}

function showDashboard(session) {
  state.csrf = session.csrf;
  $('login-view').hidden = true;
  $('dashboard-view').hidden = false;
  $('logout').hidden = !session.tokenRequired;
  $('err').textContent = '';
  refresh();
  state.timer = setInterval(refresh, REFRESH_MS);
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const session = await api('POST', '/api/dashboard/login', { token: $('token').value });
    $('token').value = '';
    showDashboard(session);
  } catch (err) {
    $('err').textContent = err.status === 401 ? 'Wrong token.' : String(err.message || err);
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await api('POST', '/api/dashboard/logout');
  } catch (err) {
    // Logged out either way: the cookie is gone or was already invalid.
  }
  showLogin('Logged out.');
});

// ---- charts ----
const CHARTS = {
  requests: { el: 'chart-requests', series: [['requests', 'requestsPerSecond', '#2563eb'], ['4xx', 'clientErrorsPerSecond', '#d97706'], ['5xx', 'serverErrorsPerSecond', '#dc2626']] },
  latency: { el: 'chart-latency', series: [['p50', 'p50Ms', '#2563eb'], ['p99', 'p99Ms', '#dc2626']] },
  // The store's numbers come every 30 s (a point every sixth sample): those lines join their points.
  sessions: { el: 'chart-sessions', sparse: true, series: [['active', 'activeSessions', '#059669']] },
  churn: { el: 'chart-churn', sparse: true, series: [['created', 'createdPerSecond', '#059669'], ['ended', 'endedPerSecond', '#6b7280']] },
  store: { el: 'chart-store', series: [['p50', 'storeP50Ms', '#2563eb'], ['p99', 'storeP99Ms', '#dc2626']] },
};

function chartData(points, spec) {
  return [points.map((p) => p.t / 1000), ...spec.series.map(([, key]) => points.map((p) => (p[key] === null || p[key] === undefined ? null : p[key])))];
}

function drawCharts(points) {
  for (const [name, spec] of Object.entries(CHARTS)) {
    const box = $(spec.el);
    const data = chartData(points, spec);
    let chart = state.charts[name];
    if (!chart) {
      box.textContent = '';
      const opts = {
        width: Math.max(200, box.clientWidth), height: 180,
        series: [{}, ...spec.series.map(([label, , stroke]) => ({ label, stroke, width: 1.5, spanGaps: spec.sparse === true, points: { show: spec.sparse === true } }))],
        axes: [{}, { size: 50 }],
        scales: { y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
      };
      chart = new uPlot(opts, data, box);
      state.charts[name] = chart;
    } else {
      chart.setData(data);
    }
  }
}

window.addEventListener('resize', () => {
  for (const spec of Object.keys(CHARTS)) {
    const chart = state.charts[spec];
    if (chart) chart.setSize({ width: Math.max(200, $(CHARTS[spec].el).clientWidth), height: 180 });
  }
});

// ---- tables and tiles ----
function flags(b) {
  return [b.backup && 'backup', b.down && 'down', b.ejected && 'ejected', b.slowStart && 'slow start', b.cluster.drained && 'drained'].filter(Boolean).join(', ');
}

function renderBackends(r) {
  $('meta').textContent = `store: ${r.store} · gateways: ${r.gateways.length} · epoch ${r.epoch}` +
    (r.rolloutLock ? ` · rollout running (${r.rolloutLock})` : '') + ` · ${new Date(r.now).toLocaleTimeString()}`;
  $('backends').innerHTML = r.backends.map((b) => {
    const op = b.state === 'READY' ? 'drain' : 'ready';
    return `<tr data-backend="${esc(b.name)}"><td>${esc(b.name)}</td><td>${esc(b.upstreams.join(', '))}</td>` +
      `<td class="${esc(b.state)}">${esc(b.state)}</td><td class="${esc(b.health)}">${esc(b.health)}</td><td>${b.cluster.healthy ? 'yes' : 'no'}</td>` +
      `<td class="num">${b.cluster.inFlight}</td><td class="num">${b.cluster.longLived}</td><td>${esc(flags(b))}</td>` +
      `<td><button data-op="${op}" data-name="${esc(b.name)}"${op === 'drain' ? ' class="danger"' : ''}>${op}</button></td></tr>`;
  }).join('');
}

const fmt = (v, digits = 1) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));

function renderTiles(stats, last, churn) {
  $('scope').textContent = stats.counterScope === 'global' ? '(all gateways on this store)' : '(this gateway)';
  const c = stats.counters;
  const tile = (value, label) => `<div class="tile"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
  $('tiles').innerHTML = tile(stats.active, 'active sessions') + tile(fmt(last && last.requestsPerSecond), 'requests / s') +
    tile(fmt(last && last.p99Ms), 'p99 latency (ms)') + tile(fmt(churn && churn.createdPerSecond, 2), 'created / s') +
    tile(fmt(churn && churn.endedPerSecond, 2), 'ended / s') + tile(c.duplicateLogins, 'duplicate logins') + tile(c.loginRejected, 'logins refused');
}

async function refresh() {
  try {
    const [history, backends, stats] = await Promise.all([api('GET', '/api/dashboard/history'), api('GET', '/api/backends'), api('GET', '/api/sessions/stats')]);
    state.history = history;
    renderBackends(backends);
    const withChurn = history.points.filter((p) => p.createdPerSecond !== null);
    renderTiles(stats, history.points[history.points.length - 1], withChurn[withChurn.length - 1]);
    drawCharts(history.points);
    $('err').textContent = '';
  } catch (err) {
    showError(err);
  }
}

// ---- actions, each confirmed ----
document.addEventListener('click', async (ev) => {
  const el = ev.target;
  if (!(el instanceof HTMLButtonElement)) return;
  try {
    if (el.dataset.op) {
      const what = el.dataset.op === 'drain'
        ? `Drain ${el.dataset.name}? It gets no new requests on any gateway; in-flight ones finish.`
        : `Put ${el.dataset.name} back into service?`;
      if (!(await confirmAction(what))) return;
      await api('POST', `/api/backends/${encodeURIComponent(el.dataset.name)}/${el.dataset.op}`, { by: 'dashboard' });
      await refresh();
    } else if (el.dataset.kill) {
      if (!(await confirmAction(`Force logout of session ${el.dataset.kill}? The browser's next request is anonymous.`))) return;
      await api('DELETE', `/api/sessions/${encodeURIComponent(el.dataset.kill)}`);
      await lookup();
    }
  } catch (err) {
    showError(err);
  }
});

async function lookup() {
  const r = await api('GET', `/api/sessions?principal=${encodeURIComponent($('principal').value)}`);
  const t = (ms) => new Date(ms).toLocaleString();
  $('sessions').innerHTML = r.sessions.length === 0 ? '<tr><td colspan="6">no live session</td></tr>' : r.sessions.map((x) =>
    `<tr data-sid="${esc(x.sid)}"><td><code>${esc(x.sid)}</code></td><td>${t(x.createdAt)}</td><td>${t(x.lastAccessAt)}</td>` +
    `<td class="num">${x.size} B</td><td>${esc(x.backend ?? '')}</td><td><button data-kill="${esc(x.sid)}" class="danger">force logout</button></td></tr>`).join('');
}

$('lookup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  lookup().catch(showError);
});

// ---- start ----
api('GET', '/api/dashboard/session').then(
  (session) => (session.authenticated ? showDashboard(session) : showLogin()),
  (err) => showError(err),
);
