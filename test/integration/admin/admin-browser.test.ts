import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { TestProcess } from '../../helpers/child-process.js';
import { Chromium, type Page } from '../../helpers/chromium.js';
import { startGateway, TEST_SECRET, writeConfig, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { gatewayCli } from '../../helpers/paths.js';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';
import { runCli } from '../rollout/cli-run.js';

/**
 * The admin API against the browser, with a real Chromium: on the default (loopback, no token) a page of another
 * site — here the strongest case, another port of 127.0.0.1, which is same-site — cannot drain a backend, and a DNS
 * name rebound to 127.0.0.1 gets nothing; the dashboard and the CLI, the API's own clients, still work.
 */

interface BackendsReply { backends: Array<{ name: string; state: string }> }

describe('admin API against cross-site browsers', () => {
  let backends: DemoBackend[];
  let gateway: GatewayUnderTest;
  let chromium: Chromium;
  let page: Page;
  let evil: Server;
  let evilUrl: string;

  const states = async (): Promise<Record<string, string>> => {
    const res = await request(`${gateway.adminUrl}/api/backends`);
    const body = (await res.body.json()) as BackendsReply;
    return Object.fromEntries(body.backends.map((b) => [b.name, b.state]));
  };

  before(async () => {
    backends = await Promise.all([startDemoBackend(), startDemoBackend()]);
    gateway = await startGateway({ backends: backends.map((b) => b.name) });
    const target = `${gateway.adminUrl}/api/backends/${encodeURIComponent(backends[0]!.name)}/drain`;
    // The attacker's pages: what any site can make a visitor's browser send.
    const pages: Record<string, string> = {
      '/form': `<form method="POST" action="${target}" enctype="text/plain"><input name='{"a":"' value='"}'></form><script>document.forms[0].submit()</script>`,
      '/urlencoded': `<form method="POST" action="${target}"><input name="x" value="1"></form><script>document.forms[0].submit()</script>`,
      '/no-cors': `<script>window.sent = fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', body: '{}' }).then(() => 'sent', (e) => 'failed: ' + e)</script>`,
      '/json': `<script>window.sent = fetch(${JSON.stringify(target)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => 'answered ' + r.status, () => 'blocked')</script>`,
      '/delete': `<script>window.sent = fetch(${JSON.stringify(`${gateway.adminUrl}/api/sessions?principal=alice`)}, { method: 'DELETE' }).then((r) => 'answered ' + r.status, () => 'blocked')</script>`,
    };
    evil = createServer((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>cats</title>${pages[req.url ?? ''] ?? ''}`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    chromium = await Chromium.launch({ hostRules: 'MAP rebound.test 127.0.0.1' });
    page = await chromium.newPage();
  });

  after(async () => {
    // Processes first: a browser that fails to close must not leave them running (they would keep this file alive).
    await gateway?.process.stop();
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
    page?.close();
    await chromium?.close();
    // Chromium preconnects sockets that never carry a request: close() alone would wait for Node's 60 s
    // headersTimeout to end them.
    evil?.closeAllConnections();
    await new Promise<void>((resolve) => (evil ? evil.close(() => resolve()) : resolve()));
  });

  it('a page on another origin cannot drain a backend: forms and no-cors fetches are refused, JSON needs a preflight it never gets', async () => {
    for (const path of ['/form', '/urlencoded']) {
      await page.goto(`${evilUrl}${path}`);
      // The form navigates the tab to the admin API's answer.
      const text = await waitFor(async () => {
        const href = await page.evaluate<string>('location.href');
        return href.startsWith(gateway.adminUrl) ? page.evaluate<string>('document.body.innerText') : null;
      }, { timeoutMs: 30_000, what: `the ${path} submission` });
      assert.match(text, /SG_ADMIN_CROSS_SITE/, text);
    }
    await page.goto(`${evilUrl}/no-cors`);
    assert.equal(await page.evaluate('window.sent'), 'sent', 'the browser sent it (an opaque answer)');
    await page.goto(`${evilUrl}/json`);
    assert.equal(await page.evaluate('window.sent'), 'blocked');
    await page.goto(`${evilUrl}/delete`);
    assert.equal(await page.evaluate('window.sent'), 'blocked');

    assert.deepEqual(Object.values(await states()), ['READY', 'READY'], 'nothing was drained');
    const refused = gateway.process.records().filter((r) => r.event === 'admin.refused' && r.code === 'SG_ADMIN_CROSS_SITE');
    assert.ok(refused.length >= 3, `a log line for each refusal (${refused.length})`);
    assert.equal(refused[0]!.origin, evilUrl);
  });

  it('a DNS name rebound to 127.0.0.1 gets 421 SG_ADMIN_HOST_REFUSED, page and API alike', async () => {
    const port = new URL(gateway.adminUrl).port;
    for (const path of ['/api/backends', '/']) {
      await page.goto(`http://rebound.test:${port}${path}`);
      const text = await page.evaluate<string>('document.body.innerText');
      assert.match(text, /SG_ADMIN_HOST_REFUSED/, `${path}: ${text.slice(0, 200)}`);
      assert.doesNotMatch(text, /READY|session-gateway admin/);
    }
    const line = await gateway.process.waitForRecord((r) => r.code === 'SG_ADMIN_HOST_REFUSED', 'a log line');
    assert.match(String(line.host), /^rebound\.test:/);
  });

  it('the dashboard still drains and readies a backend, from 127.0.0.1 and from localhost', async () => {
    const name = backends[1]!.name;
    for (const base of [gateway.adminUrl, gateway.adminUrl.replace('127.0.0.1', 'localhost')]) {
      await page.goto(`${base}/`);
      const button = (op: string) => `document.querySelector('button[data-op="${op}"][data-name="${name}"]')`;
      await waitFor(() => page.evaluate<boolean>(`${button('drain')} !== null`), { timeoutMs: 30_000, what: 'the dashboard rows' });
      // Every state change is confirmed in the page's dialog first.
      const confirm = async () => {
        await waitFor(() => page.evaluate<boolean>(`document.getElementById('confirm').open`), { timeoutMs: 30_000, what: 'the confirmation' });
        await page.evaluate(`document.getElementById('confirm-ok').click()`);
      };
      await page.evaluate(`${button('drain')}.click()`);
      await confirm();
      await waitFor(async () => (await states())[name] !== 'READY', { timeoutMs: 30_000, what: 'the drain from the dashboard' });
      await waitFor(() => page.evaluate<boolean>(`${button('ready')} !== null`), { timeoutMs: 30_000, what: 'the ready button' });
      await page.evaluate(`${button('ready')}.click()`);
      await confirm();
      await waitFor(async () => (await states())[name] === 'READY', { timeoutMs: 30_000, what: 'ready from the dashboard' });
      assert.equal(await page.evaluate('document.getElementById("err").textContent'), '');
    }
  });

  it('the CLI still drains and readies (through 127.0.0.1 and localhost); a Host it does not know is refused with a hint', async () => {
    const name = backends[0]!.name;
    for (const admin of [gateway.adminUrl, gateway.adminUrl.replace('127.0.0.1', 'localhost')]) {
      assert.equal((await runCli(['drain', name, '--admin', admin])).code, 0);
      assert.notEqual((await states())[name], 'READY');
      assert.equal((await runCli(['ready', name, '--admin', admin])).code, 0);
      assert.equal((await states())[name], 'READY');
    }
    const res = await request(`${gateway.adminUrl}/api/backends`, { headers: { host: 'gateway.internal:9901' } });
    assert.equal(res.statusCode, 421);
    assert.match(await res.body.text(), /ADMIN_ALLOWED_HOSTS/);
  });

  it('tells a loopback address from a name that only starts like one: 127.0.0.1.example.com needs a token', async () => {
    const port = await freePort();
    const proc = new TestProcess(process.execPath, [gatewayCli, 'start', '-c', writeConfig({ port, backends: [backends[0]!.name] })], {
      SESSION_SECRET: TEST_SECRET, ADMIN_LISTEN: `127.0.0.1.example.com:${await freePort()}`, ADMIN_TOKEN: '', REDIS_URL: '',
    });
    assert.equal(await proc.exited(), 1);
    assert.match(proc.lines.join('\n'), /SG_ADMIN_TOKEN_REQUIRED/);
  });
});
