/**
 * GET / on the admin listener: one static page; its script polls /api/backends every 2 s. With ADMIN_TOKEN set it
 * asks for the token once and keeps it in sessionStorage (never in a URL).
 */
export function renderDashboard(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>session-gateway admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
 table{border-collapse:collapse;min-width:60rem} th,td{padding:.35rem .7rem;border-bottom:1px solid #ddd;text-align:left}
 th{background:#f4f4f4} .READY,.HEALTHY{color:#0a7b27} .DRAINING{color:#b36b00} .MAINT,.UNHEALTHY{color:#b00020} .UNKNOWN{color:#777}
 #meta{color:#555;margin-bottom:1rem} #err{color:#b00020}
</style></head>
<body>
<h1>session-gateway</h1>
<div id="meta">loading…</div><div id="err"></div>
<table><thead><tr><th>backend</th><th>upstream</th><th>admin state</th><th>health (here)</th><th>healthy everywhere</th>
<th>in flight (all gateways)</th><th>long-lived</th><th>flags</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
async function refresh() {
  const headers = {};
  const token = sessionStorage.getItem('sgAdminToken');
  if (token) headers.authorization = 'Bearer ' + token;
  try {
    const res = await fetch('/api/backends', { headers });
    if (res.status === 401) {
      const t = prompt('Admin token (ADMIN_TOKEN)');
      if (t) sessionStorage.setItem('sgAdminToken', t);
      return;
    }
    const r = await res.json();
    document.getElementById('err').textContent = '';
    document.getElementById('meta').textContent = 'store: ' + r.store + ' · gateways: ' + r.gateways.length + ' · epoch ' + r.epoch +
      (r.rolloutLock ? ' · rollout running (' + r.rolloutLock + ')' : '') + ' · ' + new Date(r.now).toLocaleTimeString();
    document.getElementById('rows').innerHTML = r.backends.map((b) => '<tr><td>' + esc(b.name) + '</td><td>' + esc(b.upstreams.join(', ')) +
      '</td><td class="' + b.state + '">' + b.state + '</td><td class="' + b.health + '">' + b.health + '</td><td>' + (b.cluster.healthy ? 'yes' : 'no') +
      '</td><td>' + b.cluster.inFlight + '</td><td>' + b.cluster.longLived + '</td><td>' +
      [b.backup && 'backup', b.down && 'down', b.ejected && 'ejected', b.slowStart && 'slow start', b.cluster.drained && 'drained'].filter(Boolean).join(', ') + '</td></tr>').join('');
  } catch (e) {
    document.getElementById('err').textContent = 'cannot reach the admin API: ' + e;
  }
}
refresh();
setInterval(refresh, 2000);
</script>
</body></html>
`;
}
