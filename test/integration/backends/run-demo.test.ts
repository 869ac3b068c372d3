import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPidFile } from '../../../backends/demo/runtime-dir.js';
import { waitFor } from '../../helpers/wait-for.js';
import { httpRequest, json } from './http-client.js';

/**
 * `npm start` end to end: run-demo starts three backends and the gateway on the fixed ports of nginx-compat.conf,
 * a backend restarted through restart-demo-backend.js is respawned with a new pid, the session survives, and
 * SIGTERM stops everything with exit 0. Skipped when one of the fixed ports is taken (e.g. `npm start` is running).
 */

const here = dirname(fileURLToPath(import.meta.url));
const backendsDir = join(here, '..', '..', '..', 'backends');
const PORTS = [8080, 8081, 8082, 8083, 8084, 8085, 9901];

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('run-demo (npm start)', () => {
  it('runs three backends behind the gateway; a restarted backend comes back and the session survives', async (t) => {
    for (const port of PORTS) if (!(await portFree(port))) return t.skip(`port ${port} is in use`);
    const runtimeDir = mkdtempSync(join(tmpdir(), 'sg-demo-'));
    const env = { ...process.env, SESSION_GATEWAY_DEMO_DIR: runtimeDir, SESSION_SECRET: '', REDIS_URL: '', LOG_LEVEL: 'warn' };
    const child = spawn(process.execPath, [join(backendsDir, 'run-demo.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => output.includes('Demo page:') || child.exitCode !== null, { timeoutMs: 30_000, what: 'run-demo ready' });
      assert.equal(child.exitCode, null, output);
      assert.match(output, /DEMO secret/);
      assert.match(output, /npm run rolling-restart .*--exec "node .*restart-demo-backend\.js \{port\}"/);

      const login = await httpRequest('http://127.0.0.1:8080/api/login', { method: 'POST', body: JSON.stringify({ user: 'carol' }) });
      assert.equal(login.status, 200, login.body);
      const cookie = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
      assert.ok(cookie.startsWith('gsid='), cookie);
      await httpRequest('http://127.0.0.1:8080/api/counter', { method: 'POST', headers: { Cookie: cookie } });

      const oldPid = readPidFile(join(runtimeDir, '8081.pid'));
      assert.ok(oldPid);
      execFileSync(process.execPath, [join(backendsDir, 'restart-demo-backend.js'), '8081'], { env, stdio: 'pipe' });
      const newPid = readPidFile(join(runtimeDir, '8081.pid'));
      assert.ok(newPid && newPid !== oldPid);
      const direct = await waitFor(async () => {
        const res = await httpRequest('http://127.0.0.1:8081/healthz').catch(() => null);
        return res?.status === 200 ? res : null;
      }, { what: 'respawned backend healthy' });
      assert.equal(direct.headers['x-backend'], '127.0.0.1:8081');

      const seen = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const me = json(await httpRequest('http://127.0.0.1:8080/api/whoami', { headers: { Cookie: cookie } }));
        assert.equal(me.principal, 'carol');
        assert.equal(me.counter, 1);
        seen.add(String(me.backend));
      }
      assert.ok(seen.size >= 2, `several backends answered: ${[...seen].join(', ')}`);
    } finally {
      child.kill('SIGTERM');
      const code = await exited;
      rmSync(runtimeDir, { recursive: true, force: true });
      assert.equal(code, 0, output);
    }
  });
});
