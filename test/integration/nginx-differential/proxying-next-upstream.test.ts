import { differential, differs, get, request, same } from '../../helpers/differential.js';
import type { BackendAnswer, BackendScript } from '../../helpers/recording-backend.js';

/**
 * proxy_next_upstream, every condition, with nginx's rules: which failures and answers move a request on to the next
 * server, POST only with non_idempotent once it was sent, tries and proxy_next_upstream_timeout, the last server's
 * answer when every one fails with an http_* condition; and per-location connect and read timeouts.
 *
 * Each case has an upstream of its own, so both proxies start its round-robin at its first server. The gateway's
 * periodic health checks are held off; its first round marks the blackhole unhealthy, which is why it is tried only
 * alone here (the gateway then still tries it, as every backend of the upstream is down).
 */
const ok: BackendAnswer = { status: 200, headers: [['Content-Type', 'text/plain']], body: 'fine\n' };
const status = (code: number): BackendAnswer => ({ status: code, headers: [['Content-Type', 'text/plain']], body: `status ${code}\n` });
const hang: BackendAnswer = { fault: 'hang' };
const allAnswer = (code: number): BackendScript => (req) => ({ status: code, headers: [['Content-Type', 'text/plain']], body: `backend ${req.backend} says ${code}\n` });

/** `name` → `location /name/ { DIRECTIVES proxy_pass http://name; }` over an upstream `name` of these servers. */
const LOCATIONS: Array<[name: string, servers: string[], directives: string]> = [
  ['refused', ['{dead}', '{b1}'], ''],
  ['refused-post', ['{dead}', '{b1}'], ''],
  ['timeout', ['{b0}', '{b1}'], 'proxy_read_timeout 500ms;'],
  ['timeout-post', ['{b0}', '{b1}'], 'proxy_read_timeout 500ms;'],
  ['timeout-post-ok', ['{b0}', '{b1}'], 'proxy_read_timeout 500ms; proxy_next_upstream error timeout non_idempotent;'],
  ['timeout-mkcol', ['{b0}', '{b1}'], 'proxy_read_timeout 500ms;'],
  ['timeout-unlisted', ['{b0}', '{b1}'], 'proxy_read_timeout 500ms; proxy_next_upstream error;'],
  ['next-timeout', ['{b0}', '{b1}'], 'proxy_read_timeout 500ms; proxy_next_upstream_timeout 1ms;'],
  ['off', ['{b0}', '{b1}'], 'proxy_read_timeout 500ms; proxy_next_upstream off;'],
  ['unlisted-503', ['{b0}', '{b1}'], ''],
  ...[500, 502, 503, 504, 403, 404, 429].map((code): [string, string[], string] => [`http-${code}`, ['{b0}', '{b1}'], `proxy_next_upstream http_${code};`]),
  ['post-503', ['{b0}', '{b1}'], 'proxy_next_upstream http_503;'],
  ['post-503-ok', ['{b0}', '{b1}'], 'proxy_next_upstream http_503 non_idempotent;'],
  ['all-503', ['{b0}', '{b1}', '{b2}'], 'proxy_next_upstream http_503;'],
  ['tries-2', ['{b0}', '{b1}', '{b2}'], 'proxy_next_upstream http_503; proxy_next_upstream_tries 2;'],
  ['backup', ['{b0}', '{b1} backup'], 'proxy_next_upstream http_503;'],
  ['connect-alone', ['{blackhole}'], 'proxy_connect_timeout 300ms;'],
  ['invalid', ['{garbage}', '{b1}'], 'proxy_next_upstream error invalid_header;'],
  ['invalid-unlisted', ['{garbage}', '{b1}'], ''],
];

const http = `
  ${LOCATIONS.map(([name, servers]) => `upstream ${name} { ${servers.map((s) => `server ${s.replace(' backup', '')} max_fails=0${s.endsWith(' backup') ? ' backup' : ''};`).join(' ')} }`).join('\n  ')}
  server {
    listen {listen};
    set $health_check_interval 1h;
    # The largest connect timeout of every location must not be the one each location gets.
    location /slow-connect/ { proxy_connect_timeout 30s; proxy_pass http://{b0}; }
    ${LOCATIONS.map(([name, , directives]) => `location /${name}/ { ${directives} proxy_pass http://${name}; }`).join('\n    ')}
  }`;

const post = (target: string) => request(`POST ${target}`, { body: 'a=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });

differential({
  name: 'proxying: proxy_next_upstream and per-location timeouts',
  backends: 3,
  blackhole: true,
  garbage: true,
  http,
  cases: [
    same('error: a refused connection moves on to the next server', get('/refused/x')),
    same('error before anything was sent: a POST moves on too', post('/refused-post/x')),
    same('timeout: a read timeout before the head moves a GET on', get('/timeout/x'), { answer: [hang, ok] }),
    differs('timeout: a POST the backend saw is not sent again', post('/timeout-post/x'), ['error-body'], { answer: [hang, ok] }),
    same('non_idempotent lets the POST move on', post('/timeout-post-ok/x'), { answer: [hang, ok] }),
    same('a method nginx does not call non-idempotent (MKCOL) moves on', request('MKCOL /timeout-mkcol/x'), { answer: [hang, ok] }),
    differs('timeout not listed: 504', get('/timeout-unlisted/x'), ['error-body'], { answer: [hang, ok] }),
    differs('proxy_next_upstream_timeout spent by the first try: 504', get('/next-timeout/x'), ['error-body'], { answer: [hang, ok] }),
    differs('off: the first failure is the answer', get('/off/x'), ['error-body'], { answer: [hang, ok] }),
    same('a 503 not listed is passed on', get('/unlisted-503/x'), { answer: [status(503), ok] }),
    ...[500, 502, 503, 504, 403, 404, 429].map((code) => same(`http_${code} moves on to the next server`, get(`/http-${code}/x`), { answer: [status(code), ok] })),
    same('http_503 does not send a POST again', post('/post-503/x'), { answer: [status(503), ok] }),
    same('http_503 with non_idempotent sends the POST again', post('/post-503-ok/x'), { answer: [status(503), ok] }),
    same('every server answers 503: the last one’s answer', get('/all-503/x'), { answer: allAnswer(503) }),
    same('proxy_next_upstream_tries 2: the second server’s answer', get('/tries-2/x'), { answer: allAnswer(503) }),
    same('the backup server is the next one', get('/backup/x'), { answer: [status(503), ok] }),
    differs('the location’s own short connect timeout: 504', get('/connect-alone/x'), ['error-body']),
    same('a location with a long connect timeout still works', get('/slow-connect/x')),
    same('invalid_header: an answer that is not HTTP moves on to the next server', get('/invalid/x')),
    differs('invalid_header not listed (the default): 502', get('/invalid-unlisted/x'), ['error-body']),
  ],
});
