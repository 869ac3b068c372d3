import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { checkConfigCommand, loadGatewayConfig } from '../../../gateway/config/load-config.js';
import { findNginx } from '../../helpers/nginx-process.js';
import { repoRoot } from '../../helpers/paths.js';

const shipped = join(repoRoot, 'nginx-compat.conf');
const tmp = mkdtempSync(join(tmpdir(), 'sg-nginx-t-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function check(file: string): Promise<{ code: number; lines: string[] }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const code = await checkConfigCommand(file, out);
  return { code, lines: Buffer.concat(chunks).toString('utf8').trimEnd().split('\n') };
}

/** 1-based line of the first line containing `needle` (after `from`), so the test follows edits of the comments. */
function lineOf(text: string, needle: string, from = 0): number {
  const index = text.split('\n').findIndex((l, i) => i >= from && l.includes(needle));
  assert.notEqual(index, -1, `"${needle}" not found in nginx-compat.conf`);
  return index + 1;
}

const nginx = findNginx();

test('the real nginx -t accepts the shipped nginx-compat.conf', { skip: nginx ? false : 'no nginx binary on this machine (CI installs it: apt-get install nginx)' }, () => {
  // -p and -g keep nginx's pid and relative paths in a scratch directory, so the shipped file needs no nginx-only paths.
  // Its stdout a file, as from a terminal or a unit: the shipped access_log is /dev/stdout, which nginx opens itself
  // (a socket, which is what a pipe from node is, cannot be opened that way).
  const stdout = openSync(join(tmp, 'nginx-stdout'), 'w');
  const result = spawnSync(nginx!, ['-t', '-p', `${tmp}/`, '-c', shipped, '-e', 'stderr', '-g', `pid ${join(tmp, 'nginx.pid')};`], { encoding: 'utf8', stdio: ['ignore', stdout, 'pipe'] });
  closeSync(stdout);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /test is successful/);
});

test('session-gateway check accepts the shipped file and lists what it ignores', async () => {
  const { code, lines } = await check(shipped);
  assert.equal(code, 0, lines.join('\n'));
  const text = readFileSync(shipped, 'utf8');
  assert.deepEqual(lines, [
    `${shipped}:${lineOf(text, 'events {}')}: directive events is ignored`,
    `${shipped}:${lineOf(text, 'map $http_upgrade')}: directive map is ignored`,
    `${shipped}:${lineOf(text, 'proxy_http_version 1.1;')}: directive proxy_http_version is ignored`,
    'config OK: 1 server(s), 2 upstream(s), 3 location(s), 3 ignored directive(s)',
  ]);
});

test('the shipped file means what the demo needs', () => {
  const { settings, problems } = loadGatewayConfig(shipped);
  assert.deepEqual(problems, []);
  assert.ok(settings);
  const app = settings.upstreams.get('app');
  assert.ok(app);
  assert.deepEqual(app.servers.map((s) => s.name), ['127.0.0.1:8081', '127.0.0.1:8082', '127.0.0.1:8083']);
  assert.equal(app.keepalive, 32);
  const [server] = settings.servers;
  assert.deepEqual(server!.listen, [{ host: '127.0.0.1', port: 8080, defaultServer: false }]);
  const [root, statics] = server!.locations;
  assert.equal(root!.path, '/');
  assert.equal(root!.session.enabled, true);
  assert.equal(root!.session.cookieName, 'gsid');
  assert.equal(root!.proxy!.upstream, 'app');
  assert.equal(statics!.path, '/static/');
  assert.equal(statics!.session.enabled, false);
});

test('session-gateway check reports every problem of a broken copy with file:line', async () => {
  const text = readFileSync(shipped, 'utf8');
  const broken = text
    .replace('server 127.0.0.1:8082;', 'server 127.0.0.1:8082 weight=0;')
    .replace('client_max_body_size 1m;', 'client_max_body_size 1 m;')
    .replace('# set $session_idle_timeout 30m;', 'set $session_idle_timeout 30x;')
    .replace('# set $health_check_rise 2;', 'set $health_check_raise 2;')
    .replace(/(location \/static\/ \{[\s\S]*?)proxy_pass http:\/\/app;/, '$1proxy_pass http://ap;')
    .replace('listen 127.0.0.1:8080;', 'listen 127.0.0.1:8080;\n        listen 127.0.0.1:8080;');
  const file = join(tmp, 'broken.conf');
  writeFileSync(file, broken);
  const { code, lines } = await check(file);
  assert.equal(code, 1);
  const staticLine = lineOf(broken, 'location /static/');
  assert.deepEqual(lines, [
    `${file}:${lineOf(broken, 'weight=0')}: invalid parameter "weight=0": weight must be an integer of at least 1`,
    `${file}:${lineOf(broken, 'client_max_body_size 1 m;')}: invalid number of arguments in "client_max_body_size" directive`,
    `${file}:${lineOf(broken, 'listen 127.0.0.1:8080;') + 1}: duplicate listen 127.0.0.1:8080`,
    `${file}:${lineOf(broken, 'set $session_idle_timeout 30x;')}: "$session_idle_timeout" must be a time such as 30m, greater than 0, got "30x"`,
    `${file}:${lineOf(broken, 'set $health_check_raise')}: unknown gateway variable "$health_check_raise" (known: $health_check_interval, $health_check_timeout, $health_check_rise, $health_check_fall, $health_check_path, $slow_start)`,
    `${file}:${lineOf(broken, 'proxy_pass http://ap;', staticLine)}: unknown upstream "ap" in "proxy_pass"`,
    `${file}:${lineOf(broken, 'events {}')}: directive events is ignored`,
    `${file}:${lineOf(broken, 'map $http_upgrade')}: directive map is ignored`,
    `${file}:${lineOf(broken, 'proxy_http_version 1.1;')}: directive proxy_http_version is ignored`,
    `${file}: 6 problem(s)`,
  ]);
});

test('a syntax error stops at file:line without semantic follow-ups', async () => {
  const text = readFileSync(shipped, 'utf8');
  const file = join(tmp, 'syntax.conf');
  writeFileSync(file, text.replace('events {}', 'events {}}'));
  const { code, lines } = await check(file);
  assert.equal(code, 1);
  assert.deepEqual(lines, [`${file}:${lineOf(text, 'events {}')}: unexpected "}"`, `${file}: 1 problem(s)`]);
});
