import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { waitFor } from '../../helpers/wait-for.js';
import { DemoProcess } from './demo-process.js';
import { httpRequest, json } from './http-client.js';

const env = { SESSION_SECRET: 'test-session-secret-0123456789abcdef' };

/** Resolves once the demo app counts `n` requests in flight (its /healthz reports X-In-Flight, itself included). */
async function waitInFlight(app: DemoProcess, n: number): Promise<void> {
  await waitFor(async () => Number((await httpRequest(`${app.url}/healthz`)).headers['x-in-flight']) >= n + 1, { what: `${n} request(s) in flight` });
}

describe('demo backend graceful stop (SIGTERM)', () => {
  it('an in-flight /api/slow finishes with 200 while /healthz answers 503, then the process exits 0', async () => {
    const app = await DemoProcess.start({ env, args: ['--stop-delay-ms', '30000'] });
    const slow = httpRequest(`${app.url}/api/slow?ms=2500`);
    await waitInFlight(app, 1);
    app.child.kill('SIGTERM');
    const health = await waitFor(async () => {
      const res = await httpRequest(`${app.url}/healthz`);
      return res.status === 503 ? res : null;
    }, { what: 'healthz 503' });
    assert.equal(health.headers.connection, 'close');
    const done = await slow;
    assert.equal(done.status, 200);
    assert.equal(json(done).ms, 2500);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.ok(app.logs.some((l) => l.event === 'stop' && l.clean === true));
  });

  it('deterministic variant: an upload held open keeps the lame-duck phase; it completes after SIGTERM', async () => {
    const app = await DemoProcess.start({ env, args: ['--stop-delay-ms', '30000'] });
    let uploadRequest: ReturnType<typeof request> | null = null;
    const upload = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${app.url}/api/upload`, { method: 'POST', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('first part;');
      uploadRequest = req;
    });
    await waitInFlight(app, 1);
    app.child.kill('SIGTERM');
    await waitFor(async () => (await httpRequest(`${app.url}/healthz`)).status === 503, { what: 'healthz 503' });
    assert.equal(app.child.exitCode, null, 'still running while the upload is open');
    uploadRequest!.end('second part');
    const done = await upload;
    assert.equal(done.status, 200);
    assert.equal(JSON.parse(done.body).bytes, 'first part;second part'.length);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  });

  it('default: stops accepting at once, still finishes the in-flight request, exits 0', async () => {
    const app = await DemoProcess.start({ env });
    const slow = httpRequest(`${app.url}/api/slow?ms=1500`);
    await waitInFlight(app, 1);
    app.child.kill('SIGTERM');
    await waitFor(async () => {
      try {
        await httpRequest(`${app.url}/healthz`);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      }
    }, { what: 'listener closed' });
    const done = await slow;
    assert.equal(done.status, 200);
    assert.equal(done.headers.connection, 'close');
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  });

  it('open WebSockets are closed with 1001 and the process exits 0', async () => {
    const app = await DemoProcess.start({ env });
    const ws = new WebSocket(`ws://127.0.0.1:${app.port}/ws`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    app.child.kill('SIGTERM');
    assert.equal(await closed, 1001);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  });

  it('idle keep-alive connections do not hold the process', async () => {
    const app = await DemoProcess.start({ env });
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      await new Promise<void>((resolve, reject) => {
        request(`${app.url}/healthz`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
      });
      assert.equal(Object.keys(agent.freeSockets).length, 1, 'a pooled idle socket exists');
      app.child.kill('SIGTERM');
      assert.deepEqual(await app.exited, { code: 0, signal: null });
    } finally {
      agent.destroy();
    }
  });
});
