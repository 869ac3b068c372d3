import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { get, request } from '../../helpers/differential.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { findNginx, NGINX_SCRATCH_DIRECTIVES, NginxProcess } from '../../helpers/nginx-process.js';
import { freePort } from '../../helpers/ports.js';
import { rawExchange } from '../../helpers/raw-http.js';
import { RecordingBackend } from '../../helpers/recording-backend.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * nginx as the oracle for the access log: the same log_format and access_log text in nginx 1.22 and in the gateway,
 * the same raw requests to both, and the same lines in both files — variables, escaping, `access_log off` and
 * `access_log` inside `limit_except` alike.
 * (Times, ports and ids differ by nature and are not in the format.)
 */

const FORMATS = `
  log_format diff '$remote_addr|$request|$request_method|$request_uri|$uri|$args|$arg_a|$status|$body_bytes_sent|'
                  '$request_length|"$http_x_note"|$cookie_c|$server_protocol|$host|$remote_user|$upstream_addr|'
                  '$upstream_status|$sent_http_content_type|$http_missing';
  log_format diffjson escape=json '{"n":"$http_x_note","u":"$request_uri","m":"$http_missing","s":$status}';
`;

const REQUESTS = [
  get('/a/b?a=1&b=2'),
  get('/x%20y/?a=%22q%22', { headers: { 'X-Note': 'say "hi"\\there\ttab \xe9t\xe9', Cookie: 'c=choc; d=1' } }),
  get('/auth', { headers: { Authorization: `Basic ${Buffer.from('ann:secret').toString('base64')}` } }),
  request('POST /form', { body: 'a=1&b=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
  get('/off/not-logged'),
  get('/./c/../d//e'),
  get('/last', { version: '1.0', host: 'other.example' }),
  get('/le/get'),
  request('POST /le/post', { body: 'x' }),
];
/** Requests that are not in access.log and json.log: the `access_log off` one, and the POST limit_except logs apart. */
const ELSEWHERE = 2;

describe('nginx differential: access log lines', { skip: findNginx() ? false : 'no nginx binary (CI installs it: see .ci/run)' }, () => {
  const backend = new RecordingBackend(0);
  let nginx: NginxProcess | null = null;
  let gateway: GatewayUnderTest | null = null;
  const dirs = { nginx: '', gateway: '' };
  const ports = { nginx: 0, gateway: 0 };

  before(async () => {
    const upstream = await backend.listen();
    for (const side of ['nginx', 'gateway'] as const) {
      dirs[side] = mkdtempSync(join(tmpdir(), `sg-log-diff-${side}-`));
      // nginx runs as nobody when the tests run as root.
      chmodSync(dirs[side], 0o777);
      ports[side] = await freePort();
    }
    const config = (side: 'nginx' | 'gateway') => `events {}
http {
  ${NGINX_SCRATCH_DIRECTIVES}
  ${FORMATS}
  server {
    listen 127.0.0.1:${ports[side]};
    server_name localhost;
    access_log ${dirs[side]}/access.log diff;
    access_log ${dirs[side]}/json.log diffjson;
    location / { proxy_pass http://${upstream}; }
    location /off/ { access_log off; proxy_pass http://${upstream}; }
    location /le/ { limit_except GET { access_log ${dirs[side]}/le.log diff; } proxy_pass http://${upstream}; }
  }
}
`;
    nginx = await NginxProcess.start(findNginx()!, config('nginx'), ports.nginx);
    const file = join(dirs.gateway, 'gateway.conf');
    writeFileSync(file, config('gateway'));
    gateway = await startGateway({ backends: [], configFile: file, port: ports.gateway });
  });

  after(async () => {
    await Promise.all([nginx?.stop(), gateway?.process.stop(), backend.close()]);
  });

  it('writes the same lines as nginx', async () => {
    const lines = (side: 'nginx' | 'gateway', name: string) => {
      const path = join(dirs[side], name);
      return existsSync(path) ? readFileSync(path, 'latin1').split('\n').filter(Boolean) : [];
    };
    for (const side of ['nginx', 'gateway'] as const) {
      for (const raw of REQUESTS) await rawExchange(ports[side], raw, { timeoutMs: 10_000 });
      // nginx writes each line as its request ends; the gateway's are on their way: wait for all of them.
      const want = REQUESTS.length - ELSEWHERE;
      await waitFor(() => lines(side, 'access.log').length >= want && lines(side, 'json.log').length >= want && lines(side, 'le.log').length >= 1, { what: `${side}'s lines` });
    }
    // NginxProcess.start polls with `GET / HTTP/1.0` until nginx answers: those lines are its, not the cases'.
    const probe = (line: string) => line.includes('|GET / HTTP/1.0|');
    const unport = (line: string, side: 'nginx' | 'gateway') => line.replaceAll(String(ports[side]), '{port}');
    const nginxLines = lines('nginx', 'access.log').filter((l) => !probe(l));
    assert.deepEqual(lines('gateway', 'access.log').map((l) => unport(l, 'gateway')), nginxLines.map((l) => unport(l, 'nginx')));
    assert.deepEqual(lines('gateway', 'json.log'), lines('nginx', 'json.log').filter((l) => !l.includes('"u":"/"')));
    assert.equal(nginxLines.length, REQUESTS.length - ELSEWHERE, 'access_log off wrote nothing, on both');
    // access_log inside limit_except GET: the POST it restricts is logged there only, the GET where the location logs.
    assert.deepEqual(lines('gateway', 'le.log').map((l) => unport(l, 'gateway')), lines('nginx', 'le.log').map((l) => unport(l, 'nginx')));
    assert.equal(lines('nginx', 'le.log').length, 1);
    assert.match(lines('nginx', 'le.log')[0]!, /\|POST \/le\/post HTTP\/1\.1\|/);
  });
});
