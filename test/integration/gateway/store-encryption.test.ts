import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { SessionView } from '../../../gateway/admin/session-routes.js';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { Browser } from '../../helpers/browser.js';
import { TestProcess } from '../../helpers/child-process.js';
import { startGateway, TEST_SECRET, writeConfig, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { gatewayCli } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { TestRedis } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';

/**
 * SESSION_STORE_KEY through the real gateway process and the demo app: a user logs in, counts and saves a draft;
 * the backend sees it all in clear, the admin API lists the user by name, and Redis holds neither the name nor
 * the draft. Then a second gateway with the key rotated (`new,old`) serves the same session.
 */

const USER = 'dora.encrypted';
const DRAFT = 'draft-text-never-in-clear';

interface WhoAmI { principal: string | null; counter: number; draft: string }

describe('encryption at rest through the gateway (SESSION_STORE_KEY)', () => {
  let redis: TestRedis;
  let app: DemoBackend;
  const gateways: GatewayUnderTest[] = [];
  const oldKey = randomBytes(32).toString('base64');
  const newKey = randomBytes(32).toString('hex');

  before(async () => {
    redis = await TestRedis.start();
    app = await startDemoBackend();
  });
  after(async () => {
    await Promise.all(gateways.map((g) => g.process.stop()));
    await app?.process.stop();
    await redis?.close();
  });

  async function redisText(): Promise<string> {
    const c = redis.client();
    const parts: string[] = [];
    for (const key of await c.keys('*')) {
      parts.push(key);
      const type = await c.type(key);
      if (type === 'hash') parts.push(...Object.values(await c.hgetall(key)));
      else if (type === 'zset') parts.push(...(await c.zrange(key, 0, -1)));
      else if (type === 'string') parts.push((await c.get(key)) ?? '');
    }
    return parts.join('\n');
  }

  it('the backend and the admin API see the user; Redis holds neither the name nor the values; a rotated key reads it', async () => {
    const first = await startGateway({ backends: [app.name], redisUrl: redis.url, env: { SESSION_STORE_KEY: oldKey } });
    gateways.push(first);
    const browser = new Browser(first.url);
    assert.equal((await browser.fetch('/api/login', { json: { user: USER } })).status, 200);
    await browser.fetch('/api/counter', { method: 'POST' });
    await browser.fetch('/api/counter', { method: 'POST' });
    await browser.fetch('/api/draft', { method: 'PUT', json: { text: DRAFT } });
    const seen = (await browser.fetch('/api/whoami')).json<WhoAmI>();
    assert.deepEqual([seen.principal, seen.counter, seen.draft], [USER, 2, DRAFT]);
    const listed = (await (await request(`${first.adminUrl}/api/sessions?principal=${USER}`)).body.json()) as { sessions: SessionView[] };
    assert.equal(listed.sessions.length, 1);
    assert.equal(listed.sessions[0]?.principal, USER);
    const stored = await redisText();
    assert.ok(stored.length > 0);
    for (const text of [USER, DRAFT]) assert.ok(!stored.includes(text), `${text} is in Redis in clear: ${stored.split('\n').filter((l) => l.includes(text)).join(' | ').slice(0, 500)}`);

    const rotated = await startGateway({ backends: [app.name], redisUrl: redis.url, env: { SESSION_STORE_KEY: `${newKey},${oldKey}` } });
    gateways.push(rotated);
    const same = new Browser(rotated.url);
    for (const [name, value] of browser.cookies) same.cookies.set(name, value);
    await same.fetch('/api/counter', { method: 'POST' });
    const after = (await same.fetch('/api/whoami')).json<WhoAmI>();
    assert.deepEqual([after.principal, after.counter, after.draft], [USER, 3, DRAFT]);
  });

  it('a malformed SESSION_STORE_KEY stops start-up with the problem named', async () => {
    const proc = new TestProcess(process.execPath, [gatewayCli, 'start', '-c', writeConfig({ port: await freePort(), backends: [app.name] })],
      { SESSION_SECRET: TEST_SECRET, REDIS_URL: redis.url, ADMIN_LISTEN: `127.0.0.1:${await freePort()}`, SESSION_STORE_KEY: `${newKey},too-short` });
    try {
      assert.equal(await waitFor(() => proc.child.exitCode ?? undefined, { timeoutMs: 20_000, what: 'the gateway to exit' }), 1);
      assert.ok(proc.lines.some((l) => l.includes('SESSION_STORE_KEY: key #2 is not 32 bytes')), proc.lines.join('\n'));
    } finally {
      await proc.stop('SIGKILL');
    }
  });
});
