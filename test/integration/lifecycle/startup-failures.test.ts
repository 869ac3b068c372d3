import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TestProcess } from '../../helpers/child-process.js';
import { TEST_SECRET, writeConfig } from '../../helpers/gateway-process.js';
import { gatewayCli } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Hold a port the way another program would. */
async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** Start the gateway and wait for it to end on its own: a supervisor must see the failure. */
async function startExpectingFailure(configFile: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string[]; ms: number }> {
  const started = Date.now();
  const proc = new TestProcess(process.execPath, [gatewayCli, 'start', '-c', configFile], { SESSION_SECRET: TEST_SECRET, REDIS_URL: '', ...env });
  // The bound is 5 s; the wait is longer so a loaded machine reports the time instead of a timeout.
  const code = await waitFor(() => (proc.child.exitCode !== null ? proc.child.exitCode : undefined), { timeoutMs: 20_000, what: 'the gateway to exit' })
    .catch(async (err: unknown) => {
      await proc.stop('SIGKILL');
      throw err;
    });
  return { code, stderr: proc.lines.filter((l) => !l.startsWith('{')), ms: Date.now() - started };
}

describe('start-up failures end the process non-zero, with one clear line', () => {
  let redis: TestRedis;
  const held: Server[] = [];

  before(async () => {
    redis = await TestRedis.start();
  });

  after(async () => {
    for (const s of held) s.close();
    await redis?.close();
  });

  it('a listen address in use', async () => {
    const port = await freePort();
    held.push(await occupy(port));
    const result = await startExpectingFailure(writeConfig({ port, backends: ['127.0.0.1:9'] }), { ADMIN_LISTEN: `127.0.0.1:${await freePort()}` });
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderr, [`session-gateway: SG_LISTEN_FAILED: cannot listen on 127.0.0.1:${port} (proxy): address already in use (EADDRINUSE); not started`]);
    assert.ok(result.ms < 5_000, `exited after ${result.ms} ms`);
  });

  it('the admin address in use, on Redis: nothing registers as a live gateway', async () => {
    const adminPort = await freePort();
    held.push(await occupy(adminPort));
    const result = await startExpectingFailure(writeConfig({ port: await freePort(), backends: ['127.0.0.1:9'] }), { ADMIN_LISTEN: `127.0.0.1:${adminPort}`, REDIS_URL: redis.url });
    assert.equal(result.code, 1);
    assert.equal(result.stderr.length, 1);
    assert.match(result.stderr[0]!, new RegExp(`SG_LISTEN_FAILED: cannot listen on 127\\.0\\.0\\.1:${adminPort} \\(admin API, ADMIN_LISTEN\\): address already in use`));
    assert.ok(result.ms < 5_000, `exited after ${result.ms} ms`);
    assert.deepEqual(await redis.client().keys('sg:v1:coord:*'), []);
  });

  it('a second listen address that cannot bind, after the first bound', async () => {
    const [free, busy] = [await freePort(), await freePort()];
    held.push(await occupy(busy));
    const file = writeConfig({ port: free, backends: ['127.0.0.1:9'], serverExtra: `listen 127.0.0.1:${busy};` });
    const result = await startExpectingFailure(file, { ADMIN_LISTEN: `127.0.0.1:${await freePort()}`, REDIS_URL: redis.url });
    assert.equal(result.code, 1);
    assert.match(result.stderr.join('\n'), new RegExp(`SG_LISTEN_FAILED: cannot listen on 127\\.0\\.0\\.1:${busy} \\(proxy\\)`));
    assert.deepEqual(await redis.client().keys('sg:v1:coord:*'), []);
  });
});
