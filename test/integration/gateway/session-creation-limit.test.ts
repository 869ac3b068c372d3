import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { ScriptedBackend } from '../../helpers/scripted-backend.js';

/**
 * The per-client bound on session creation ($session_create_rate / $session_create_burst): a client that creates
 * sessions faster gets 429 SG_SESSION_RATE_LIMITED with Retry-After; its existing sessions, other clients and
 * requests that create nothing are untouched.
 */

/** A client whose connections come from another loopback address (Linux routes all of 127/8 to lo). */
const fromAddress = (localAddress: string) => new Agent({ localAddress });

describe('per-client bound on session creation', () => {
  let backend: ScriptedBackend;
  let limited: GatewayUnderTest;
  let defaults: GatewayUnderTest;
  let balanced: GatewayUnderTest;

  before(async () => {
    backend = new ScriptedBackend();
    backend.respond = (req, res) => {
      // Every request but the plain page writes to the session: the first one of a browser creates it.
      if (req.url !== '/page' && req.url !== '/healthz') res.setHeader('x-session-update', JSON.stringify({ incr: { n: 1 } }));
      res.end(Buffer.from('ok'));
    };
    const name = await backend.listen();
    [limited, defaults, balanced] = await Promise.all([
      startGateway({ backends: [name], serverExtra: 'set $session_create_rate 1r/m; set $session_create_burst 3;' }),
      startGateway({ backends: [name] }),
      startGateway({ backends: [name], serverExtra: 'set $session_create_rate 1r/m; set $session_create_burst 0; set $session_trust_forwarded_proto on;' }),
    ]);
  });

  after(async () => {
    await Promise.all([limited, defaults, balanced].map((g) => g?.process.stop()));
    await backend?.close();
  });

  it('lets a client create burst + 1 sessions at once, then answers 429 with Retry-After and a log line', async () => {
    const sessions: Browser[] = [];
    for (let i = 0; i < 4; i++) {
      const b = new Browser(limited.url);
      assert.equal((await b.fetch('/write', { method: 'POST' })).status, 200, `creation ${i + 1}`);
      assert.ok(b.cookies.has('gsid'));
      sessions.push(b);
    }
    const refused = new Browser(limited.url);
    const res = await refused.fetch('/write', { method: 'POST' });
    assert.equal(res.status, 429);
    assert.equal(res.headers['x-gateway-error'], 'SG_SESSION_RATE_LIMITED');
    assert.match(res.text, /SG_SESSION_RATE_LIMITED/);
    assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After: ${String(res.headers['retry-after'])}`);
    assert.equal(refused.cookies.size, 0, 'no session was made');
    await limited.process.waitForRecord((r) => r.code === 'SG_SESSION_RATE_LIMITED' && typeof r.backend === 'string', 'a log line');

    // What the bound does not touch: the client's existing sessions, and requests that create nothing.
    for (const b of sessions) assert.equal((await b.fetch('/write', { method: 'POST' })).status, 200);
    assert.equal((await refused.fetch('/page')).status, 200);
    // Another client (another address) has its own allowance.
    const dispatcher = fromAddress('127.0.0.2');
    try {
      assert.equal((await new Browser(limited.url, dispatcher).fetch('/write', { method: 'POST' })).status, 200);
    } finally {
      await dispatcher.close();
    }
  });

  it('is on by default: a flood of new sessions from one client is cut to the burst and the rate', async () => {
    let created = 0;
    let refused = 0;
    for (let round = 0; round < 20; round++) {
      const statuses = await Promise.all(Array.from({ length: 50 }, async () => (await new Browser(defaults.url).fetch('/write', { method: 'POST' })).status));
      created += statuses.filter((s) => s === 200).length;
      refused += statuses.filter((s) => s === 429).length;
    }
    assert.equal(created + refused, 1000, 'every request got one of the two answers');
    assert.ok(created >= 101, `the default burst of 100 (+1) went through: ${created}`);
    assert.ok(refused > 0, `the flood was cut: ${created} created`);
    const stats = (await (await fetch(`${defaults.adminUrl}/api/sessions/stats`)).json()) as { active: number };
    assert.equal(stats.active, created);
  });

  it('behind a trusted load balancer it counts the address the balancer saw, not what the client claims', async () => {
    const as = (xff: string) => new Browser(balanced.url).fetch('/write', { method: 'POST', headers: { 'x-forwarded-for': xff } });
    assert.equal((await as('198.51.100.1')).status, 200);
    assert.equal((await as('198.51.100.1')).status, 429);
    assert.equal((await as('198.51.100.2')).status, 200, 'another client behind the balancer');
    // A client cannot escape by prepending its own X-Forwarded-For: the balancer appends what it saw last.
    assert.equal((await as('10.9.9.9, 198.51.100.1')).status, 429);
    // Without a trusted balancer the header means nothing: every request here is 127.0.0.1.
    const direct = (xff: string) => new Browser(limited.url).fetch('/write', { method: 'POST', headers: { 'x-forwarded-for': xff } });
    assert.equal((await direct('192.0.2.77')).status, 429, 'a spoofed X-Forwarded-For does not open a new allowance');
  });
});
