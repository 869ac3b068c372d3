/**
 * GET / on the admin listener: one static page. Its script polls /api/backends and /api/sessions/stats every 2 s,
 * shows what a session-clustering operator watches (backends and their drain state; active sessions, created and
 * destroyed per second, duplicate logins, expiries, session sizes), and drives the same admin API the CLI uses:
 * drain / ready a backend, list and force-logout a principal's sessions. With ADMIN_TOKEN set it asks for the token
 * once and keeps it in sessionStorage (never in a URL).
 */
export function renderDashboard(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>session-gateway admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}
 h2{font-size:1rem;margin:1.6rem 0 .5rem;text-transform:uppercase;letter-spacing:.04em;color:#444}
 table{border-collapse:collapse;width:100%} th,td{padding:.35rem .7rem;border-bottom:1px solid #ddd;text-align:left}
 th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
 .READY,.HEALTHY{color:#0a7b27} .DRAINING{color:#b36b00} .MAINT,.UNHEALTHY{color:#b00020} .UNKNOWN{color:#777}
 #meta{color:#555} #err{color:#b00020;min-height:1.2em}
 .tiles{display:flex;gap:.8rem;flex-wrap:wrap} .tile{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;min-width:9rem}
 .tile b{display:block;font-size:1.6rem;font-variant-numeric:tabular-nums} .tile span{color:#555;font-size:.85rem}
 .bar{background:#3b82f6;height:.8rem;display:inline-block;vertical-align:middle;margin-right:.4rem}
 button{font:inherit;padding:.15rem .6rem;cursor:pointer} input{font:inherit;padding:.2rem .4rem}
</style></head>
<body>
<h1>session-gateway</h1>
<div id="meta">loading…</div><div id="err"></div>

<h2>Backends</h2>
<table><thead><tr><th>backend</th><th>upstream</th><th>admin state</th><th>health (here)</th><th>healthy everywhere</th>
<th>in flight (all gateways)</th><th>long-lived</th><th>flags</th><th></th></tr></thead><tbody id="rows"></tbody></table>

<h2>Sessions <small id="scope"></small></h2>
<div class="tiles" id="tiles"></div>
<table style="margin-top:.8rem"><thead><tr><th>counter</th><th class="num">total</th></tr></thead><tbody id="counters"></tbody></table>
<h2>Session size (live sessions)</h2>
<table><tbody id="sizes"></tbody></table>

<h2>Force logout</h2>
<form id="lookup"><input id="principal" placeholder="principal" required> <button>List sessions</button></form>
<table style="margin-top:.5rem"><thead><tr><th>sid</th><th>created</th><th>last access</th><th class="num">size</th><th>backend</th><th></th></tr></thead>
<tbody id="sessions"></tbody></table>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const $ = (id) => document.getElementById(id);
async function api(method, path) {
  const headers = {};
  const token = sessionStorage.getItem('sgAdminToken');
  if (token) headers.authorization = 'Bearer ' + token;
  // State changes go as JSON: the admin API refuses the body types an HTML form could send from another site.
  const payload = method === 'POST' ? '{}' : undefined;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: payload });
  if (res.status === 401) {
    const t = prompt('Admin token (ADMIN_TOKEN)');
    if (t) sessionStorage.setItem('sgAdminToken', t);
    throw new Error('the admin API wants a token');
  }
  const body = await res.json();
  if (!res.ok) throw new Error((body.error && (body.error.code + ': ' + body.error.message)) || res.status);
  return body;
}
function flags(b) {
  return [b.backup && 'backup', b.down && 'down', b.ejected && 'ejected', b.slowStart && 'slow start', b.cluster.drained && 'drained'].filter(Boolean).join(', ');
}
async function refreshBackends() {
  const r = await api('GET', '/api/backends');
  $('meta').textContent = 'store: ' + r.store + ' · gateways: ' + r.gateways.length + ' · epoch ' + r.epoch +
    (r.rolloutLock ? ' · rollout running (' + r.rolloutLock + ')' : '') + ' · ' + new Date(r.now).toLocaleTimeString();
  $('rows').innerHTML = r.backends.map((b) => '<tr><td>' + esc(b.name) + '</td><td>' + esc(b.upstreams.join(', ')) +
    '</td><td class="' + b.state + '">' + b.state + '</td><td class="' + b.health + '">' + b.health + '</td><td>' + (b.cluster.healthy ? 'yes' : 'no') +
    '</td><td class="num">' + b.cluster.inFlight + '</td><td class="num">' + b.cluster.longLived + '</td><td>' + flags(b) + '</td><td>' +
    (b.state === 'READY' ? '<button data-op="drain" data-name="' + esc(b.name) + '">drain</button>' : '<button data-op="ready" data-name="' + esc(b.name) + '">ready</button>') +
    '</td></tr>').join('');
}
const rate = (v) => (v === undefined || v === null ? '–' : v.toFixed(1));
async function refreshSessions() {
  const s = await api('GET', '/api/sessions/stats');
  const c = s.counters, p = s.perSecond || {};
  $('scope').textContent = s.counterScope === 'global' ? '(all gateways on this Redis)' : '(this gateway)';
  const tile = (value, label) => '<div class="tile"><b>' + value + '</b><span>' + label + '</span></div>';
  $('tiles').innerHTML = tile(s.active, 'active sessions') + tile(rate(p.created), 'created / s') + tile(rate(p.destroyed), 'destroyed / s') +
    tile(rate(p.expired), 'expired / s') + tile(c.duplicateLogins, 'duplicate logins') + tile(c.loginRejected, 'logins refused');
  const names = { created: 'created', logins: 'logins', duplicateLogins: 'duplicate logins', loginRejected: 'logins refused (reject-new)',
    destroyedLogout: 'destroyed: logout', destroyedKill: 'destroyed: force logout', destroyedEvicted: 'destroyed: evicted by a newer login',
    expiredIdle: 'expired: idle', expiredAbsolute: 'expired: absolute', expiredLapsed: 'expired: lapsed unswept' };
  $('counters').innerHTML = Object.keys(names).map((k) => '<tr><td>' + names[k] + '</td><td class="num">' + (c[k] ?? 0) + '</td></tr>').join('');
  let below = 0;
  const max = Math.max(1, ...s.sizeBuckets.map((b) => b.count));
  $('sizes').innerHTML = s.sizeBuckets.map((b) => {
    const n = b.count - below; below = b.count;
    const label = b.le === null || b.le === undefined || b.le === Infinity ? 'larger' : '≤ ' + b.le + ' B';
    return '<tr><td style="width:8rem">' + label + '</td><td><span class="bar" style="width:' + Math.round(20 * n / max) + 'rem"></span>' + n + '</td></tr>';
  }).join('');
}
async function refresh() {
  try {
    await Promise.all([refreshBackends(), refreshSessions()]);
    $('err').textContent = '';
  } catch (e) {
    $('err').textContent = String(e.message || e);
  }
}
document.addEventListener('click', async (ev) => {
  const el = ev.target;
  try {
    if (el.dataset && el.dataset.op) {
      await api('POST', '/api/backends/' + encodeURIComponent(el.dataset.name) + '/' + el.dataset.op);
      await refresh();
    } else if (el.dataset && el.dataset.kill) {
      await api('DELETE', '/api/sessions/' + encodeURIComponent(el.dataset.kill));
      await lookup();
    }
  } catch (e) { $('err').textContent = String(e.message || e); }
});
async function lookup() {
  const r = await api('GET', '/api/sessions?principal=' + encodeURIComponent($('principal').value));
  const t = (ms) => new Date(ms).toLocaleString();
  $('sessions').innerHTML = r.sessions.length === 0 ? '<tr><td colspan="6">no live session</td></tr>' : r.sessions.map((x) => '<tr><td><code>' + esc(x.sid) +
    '</code></td><td>' + t(x.createdAt) + '</td><td>' + t(x.lastAccessAt) + '</td><td class="num">' + x.size + ' B</td><td>' + esc(x.backend ?? '') +
    '</td><td><button data-kill="' + esc(x.sid) + '">force logout</button></td></tr>').join('');
}
$('lookup').addEventListener('submit', (ev) => { ev.preventDefault(); lookup().catch((e) => { $('err').textContent = String(e.message || e); }); });
refresh();
setInterval(refresh, 2000);
</script>
</body></html>
`;
}
