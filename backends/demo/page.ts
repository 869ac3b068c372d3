/**
 * The demo page (GET /): which backend served it, a counter, login/logout, an autosaving draft and a log of which
 * backend answered each call — so a person can watch a session survive a backend restart. Inline CSS/JS only.
 */

export interface PageState {
  backend: string;
  pid: number;
  startedAt: string;
  principal: string | null;
  counter: number;
  draft: string;
  evicted: boolean;
  /** Where this app is mounted behind the gateway ('' = `/`, or e.g. `/portal`): its API calls go there. */
  basePath?: string;
}

/** The demo's apps behind the gateway (nginx-compat.conf): one login is seen by all of them (single sign-on). */
const APPS: ReadonlyArray<{ basePath: string; title: string }> = [
  { basePath: '', title: 'Shop' },
  { basePath: '/portal', title: 'Portal' },
];

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside <script>: no `</script>`, no U+2028/9 surprises. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
:root{--bg:#0f172a;--card:#111c33;--line:#23314f;--text:#e2e8f0;--muted:#94a3b8;--accent:#38bdf8;--ok:#34d399;--warn:#fbbf24;--bad:#f87171}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--text)}
main{max-width:880px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}h2{font-size:15px;margin:0 0 12px;color:var(--muted);text-transform:uppercase;letter-spacing:.06em}
.sub{color:var(--muted);margin:0 0 20px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}@media(max-width:720px){.grid{grid-template-columns:1fr}}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px}.wide{grid-column:1/-1}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;background:#0c4a6e;color:#bae6fd;font-family:ui-monospace,monospace;font-size:13px}
.counter{display:flex;align-items:center;gap:16px}.counter b{font-size:40px;font-variant-numeric:tabular-nums;min-width:2ch}
button{background:var(--accent);color:#082f49;border:0;border-radius:8px;padding:8px 14px;font-weight:600;cursor:pointer}button.secondary{background:#334155;color:var(--text)}
input,textarea{width:100%;background:#0b1222;color:var(--text);border:1px solid var(--line);border-radius:8px;padding:8px 10px;font:inherit}
textarea{min-height:120px;resize:vertical}form{display:flex;gap:8px}.status{color:var(--muted);font-size:13px;margin-top:6px}
.notice{background:#451a03;border:1px solid var(--warn);color:#fde68a;border-radius:12px;padding:12px 16px;margin-bottom:16px}
.hidden{display:none}ol{margin:0;padding:0;list-style:none;max-height:220px;overflow:auto;font-family:ui-monospace,monospace;font-size:13px}
ol li{padding:3px 0;border-bottom:1px dashed var(--line);display:flex;gap:10px}ol li .t{color:var(--muted)}ol li .err{color:var(--bad)}
`;

const SCRIPT = `
const state = JSON.parse(document.getElementById('initial-state').textContent);
const BASE = state.basePath ?? '';
const $ = (id) => document.getElementById(id);
const colors = {};
const palette = ['#38bdf8', '#34d399', '#f472b6', '#fbbf24', '#a78bfa', '#fb923c'];
function colorOf(name) { return colors[name] ??= palette[Object.keys(colors).length % palette.length]; }
function logCall(method, path, status, backend) {
  const li = document.createElement('li');
  const time = new Date().toLocaleTimeString();
  li.innerHTML = '<span class="t"></span><span class="m"></span><span class="b"></span>';
  li.children[0].textContent = time;
  li.children[1].textContent = method + ' ' + path + ' → ' + status;
  if (status >= 400 || status === 0) li.children[1].className = 'err';
  li.children[2].textContent = backend ?? '(no backend)';
  li.children[2].style.color = colorOf(backend ?? '-');
  $('log').prepend(li);
  while ($('log').children.length > 50) $('log').lastChild.remove();
}
async function call(method, path, body) {
  let res;
  try {
    res = await fetch(path, { method, headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (err) { logCall(method, path, 0, null); throw err; }
  logCall(method, path, res.status, res.headers.get('X-Backend'));
  const text = await res.text();
  let json = null; try { json = JSON.parse(text); } catch {}
  if (!res.ok) throw new Error((json && json.error) || text || res.statusText);
  return json;
}
function render(s) {
  $('backend').textContent = s.backend; $('pid').textContent = s.pid; $('started').textContent = new Date(s.startedAt).toLocaleTimeString();
  $('counter').textContent = s.counter;
  $('logged-in').classList.toggle('hidden', !s.principal); $('login-form').classList.toggle('hidden', !!s.principal);
  $('principal').textContent = s.principal ?? '';
  if (s.evicted) $('evicted').classList.remove('hidden');
}
async function refresh() { const s = await call('GET', BASE + '/api/whoami'); render(s); return s; }
$('incr').onclick = async () => { try { const r = await call('POST', BASE + '/api/counter'); $('counter').textContent = r.counter; } catch (e) { alert(e.message); } };
$('login-form').onsubmit = async (ev) => { ev.preventDefault(); try { await call('POST', BASE + '/api/login', { user: $('user').value.trim() }); $('evicted').classList.add('hidden'); await refresh(); } catch (e) { alert(e.message); } };
$('logout').onclick = async () => { try { await call('POST', BASE + '/api/logout'); await refresh(); $('draft').value = ''; } catch (e) { alert(e.message); } };
$('whoami').onclick = () => refresh().catch(() => {});
let timer = null, saving = Promise.resolve();
$('draft').addEventListener('input', () => {
  $('draft-status').textContent = 'typing…';
  clearTimeout(timer);
  timer = setTimeout(() => {
    const text = $('draft').value;
    saving = saving.then(() => call('PUT', BASE + '/api/draft', { text }))
      .then(() => { $('draft-status').textContent = 'saved ' + new Date().toLocaleTimeString() + ' (' + text.length + ' chars)'; })
      .catch((e) => { $('draft-status').textContent = 'not saved: ' + e.message; });
  }, 400);
});
render(state);
`;

export function renderDemoPage(state: PageState): string {
  const principal = state.principal ?? '';
  const base = state.basePath ?? '';
  const app = APPS.find((a) => a.basePath === base)?.title ?? base;
  const nav = APPS.map((a) => (a.basePath === base ? `<b>${escapeHtml(a.title)}</b>` : `<a href="${escapeHtml(a.basePath)}/" style="color:var(--accent)">${escapeHtml(a.title)} (${escapeHtml(a.basePath)}/)</a>`)).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>session-gateway demo · ${escapeHtml(state.backend)}</title><style>${STYLE}</style></head>
<body><main>
<h1>session-gateway demo · ${escapeHtml(app)}</h1>
<p class="sub" id="apps">Apps behind this gateway (one login signs you in to all of them): ${nav}</p>
<p class="sub">Served by <span class="badge" id="backend">${escapeHtml(state.backend)}</span> · pid <span id="pid">${state.pid}</span> · started <span id="started">${escapeHtml(state.startedAt)}</span>.
The backend is stateless: your session lives in the gateway's store and reaches it as a signed <code>X-Session</code> header.</p>
<div id="evicted" class="notice${state.evicted ? '' : ' hidden'}"><b>Evicted — you were signed in elsewhere.</b> This session was ended because the same user logged in from another browser.</div>
<div class="grid">
<section class="card"><h2>Counter</h2><div class="counter"><b id="counter">${state.counter}</b><button id="incr" title="X-Session-Update: incr">+ 1</button></div>
<p class="status">Each click is an atomic <code>incr</code> applied by the gateway.</p></section>
<section class="card"><h2>Login</h2>
<form id="login-form" class="${principal ? 'hidden' : ''}"><input id="user" placeholder="user name" autocomplete="username" required maxlength="128"><button type="submit">Log in</button></form>
<div id="logged-in" class="${principal ? '' : 'hidden'}"><p>Signed in as <b id="principal">${escapeHtml(principal)}</b></p><button id="logout" class="secondary">Log out</button></div></section>
<section class="card wide"><h2>Draft (autosaves while you type)</h2><textarea id="draft" placeholder="Type here, then restart the backend that served you…">${escapeHtml(state.draft)}</textarea>
<p class="status" id="draft-status">${state.draft ? 'restored from the session' : 'empty'}</p></section>
<section class="card wide"><h2>Which backend answered <button id="whoami" class="secondary" style="float:right">whoami</button></h2><ol id="log"></ol></section>
</div></main>
<script type="application/json" id="initial-state">${scriptJson(state)}</script>
<script>${SCRIPT}</script>
</body></html>`;
}
