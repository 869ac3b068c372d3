import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gatewayCli } from '../../helpers/paths.js';

/** The CLI itself: an unsupported restricting directive stops `check` and `start` with its file:line. */
const dir = mkdtempSync(join(tmpdir(), 'sg-unsupported-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, serverExtra: string): string {
  const file = join(dir, name);
  writeFileSync(file, `events {}
http {
  upstream app { server 127.0.0.1:9; }
  limit_req_zone $binary_remote_addr zone=one:10m rate=1r/s;
  server {
    listen 127.0.0.1:18080;
    ${serverExtra}
    location / {
      limit_req zone=one burst=5;
      proxy_pass http://app;
    }
  }
}
`);
  return file;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [gatewayCli, ...args], { encoding: 'utf8', env: { ...process.env, REDIS_URL: '', ADMIN_LISTEN: '127.0.0.1:0' }, timeout: 30_000 });
}

test('check and start fail on limit_req with its file:line', () => {
  const file = config('strict.conf', '');
  const checked = cli('check', '-c', file);
  assert.equal(checked.status, 1, checked.stdout + checked.stderr);
  assert.match(checked.stdout, new RegExp(`^${file.replace(/[.]/g, '\\.')}:9: "limit_req" is not supported by the gateway: in nginx it refuses requests over a rate`, 'm'));
  const started = cli('start', '-c', file);
  assert.equal(started.status, 1);
  assert.match(started.stderr, /:9: "limit_req" is not supported/);
  assert.match(started.stderr, /not started/);
});

test('with set $gateway_ignore_unsupported on; check passes and lists it as ignored', () => {
  const file = config('accepted.conf', 'set $gateway_ignore_unsupported on;');
  const checked = cli('check', '-c', file);
  assert.equal(checked.status, 0, checked.stdout + checked.stderr);
  assert.match(checked.stdout, /:9: directive limit_req is ignored although in nginx it refuses requests over a rate \(\$gateway_ignore_unsupported is on\)/);
  assert.match(checked.stdout, /config OK/);
});
