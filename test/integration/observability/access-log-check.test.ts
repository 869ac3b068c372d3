import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gatewayCli } from '../../helpers/paths.js';

/**
 * The CLI itself: an access_log the gateway cannot honour (syslog:, gzip, a parameter it does not know) stops `check`
 * and `start` with its file:line — never taken for a file path, not even with $gateway_ignore_unsupported on.
 */
const dir = mkdtempSync(join(tmpdir(), 'sg-access-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `events {}
http {
  upstream app { server 127.0.0.1:9; }
  server {
    listen 127.0.0.1:18081;
    set $gateway_ignore_unsupported on;
${lines.map((l) => `    ${l}`).join('\n')}
    location / { proxy_pass http://app; }
  }
}
`);
  return file;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [gatewayCli, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, REDIS_URL: '', ADMIN_LISTEN: '127.0.0.1:0' }, timeout: 30_000 });
}

const at = (file: string, line: number, message: string) => new RegExp(`^${file.replace(/[.]/g, '\\.')}:${line}: ${message.replace(/[.()"[\]]/g, '\\$&')}`, 'm');

test('check lists every access_log it cannot honour with file:line', () => {
  const file = config('many.conf', [
    'access_log syslog:server=10.0.0.1:514,tag=gw combined;',
    `access_log ${join(dir, 'z.log')} combined gzip=5;`,
    `access_log ${join(dir, 'y.log')} combined open_file_cache=off;`,
    `access_log ${join(dir, 'x.log')} combined flush=5s;`,
    'location /w/ { limit_except GET { access_log syslog:server=unix:/dev/log; } proxy_pass http://app; }',
  ]);
  const checked = cli('check', '-c', file);
  assert.equal(checked.status, 1, checked.stdout + checked.stderr);
  assert.match(checked.stdout, at(file, 7, 'logging to syslog is not supported by the gateway (write to a file or /dev/stdout)'));
  assert.match(checked.stdout, at(file, 8, '"gzip" in "access_log" is not supported by the gateway (compress rotated files instead)'));
  assert.match(checked.stdout, at(file, 9, 'invalid parameter "open_file_cache=off"'));
  assert.match(checked.stdout, at(file, 10, `no buffer is defined for access_log "${join(dir, 'x.log')}"`));
  assert.match(checked.stdout, at(file, 11, 'logging to syslog is not supported by the gateway'));
  assert.doesNotMatch(checked.stdout, /config OK/);
});

test('start refuses access_log syslog: with its file:line, and makes no file of it', () => {
  const file = config('syslog.conf', ['access_log syslog:server=127.0.0.1;']);
  const started = cli('start', '-c', file);
  assert.equal(started.status, 1, started.stdout + started.stderr);
  assert.match(started.stderr, at(file, 7, 'logging to syslog is not supported by the gateway'));
  assert.match(started.stderr, /not started/);
  assert.equal(existsSync(join(dir, 'syslog:server=127.0.0.1')), false);
});
