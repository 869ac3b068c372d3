import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';

/**
 * With the default `$session_max_bytes`, the fullest session the gateway accepts still reaches a backend whose whole
 * request head may be 8 KiB (Tomcat's maxHttpHeaderSize, Node's --max-http-header-size=8192), with the headers a
 * browser sends besides: the user is never stuck behind 431s, logout included.
 */

/** The headers of a real browser navigation (Chrome), other apps' cookies included: about 1.3 KB. */
const BROWSER_HEADERS: Record<string, string> = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  'accept-language': 'ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
  'sec-ch-ua-mobile': '?0',
  'sec-ch-ua-platform': '"Linux"',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-user': '?1',
  'upgrade-insecure-requests': '1',
  referer: 'http://127.0.0.1/portal/applications/forms/edit?id=20240517-000123&step=3&draft=true',
  'x-other-app': 'a'.repeat(200),
};
const OTHER_COOKIES = `_ga=GA1.1.${'1'.repeat(20)}; _ga_XYZ=GS1.1.${'2'.repeat(40)}; lang=ko; prefs=${'p'.repeat(300)}`;

describe('the X-Session header fits an 8 KiB request-head limit with the default cap', () => {
  let backend: Server;
  let gateway: GatewayUnderTest;
  const heads: number[] = [];

  before(async () => {
    // An 8 KiB request-head limit, as Tomcat and gunicorn have by default; over it Node answers 431.
    backend = createServer({ maxHeaderSize: 8192 }, (req: IncomingMessage, res: ServerResponse) => {
      heads.push(req.rawHeaders.reduce((n, h) => n + Buffer.byteLength(h) + 2, 0));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // The write-back to send comes in the request body (a request head could not carry the larger ones).
        if (req.url === '/write') res.setHeader('x-session-update', Buffer.concat(chunks).toString('latin1'));
        if (req.url === '/login') res.setHeader('x-session-login', 'employee-0001234@agency.example.go.kr');
        if (req.url === '/logout') res.setHeader('x-session-logout', '1');
        res.end(Buffer.from(req.headers['x-session'] ? 'with session' : 'anonymous'));
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    gateway = await startGateway({ backends: [`127.0.0.1:${(backend.address() as AddressInfo).port}`] });
  });

  after(async () => {
    await gateway?.process.stop();
    backend?.closeAllConnections();
    await new Promise<void>((resolve) => backend?.close(() => resolve()));
  });

  function browser(): Browser {
    const b = new Browser(gateway.url);
    b.cookies.set('_other', OTHER_COOKIES);
    return b;
  }

  /** Has the backend answer with `update` as its write-back; returns the status. */
  async function write(b: Browser, update: string): Promise<number> {
    return (await b.fetch('/write', { method: 'POST', headers: BROWSER_HEADERS, body: update })).status;
  }

  /** The largest n for which `make(n)` is accepted, by bisection (the cap is found from outside, as a backend would). */
  async function fill(b: Browser, make: (n: number) => string, high: number): Promise<number> {
    let lo = 0;
    let hi = high;
    assert.equal(await write(b, make(lo)), 200);
    assert.notEqual(await write(b, make(hi)), 200, 'the upper bound is over the cap');
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      const status = await write(b, make(mid));
      if (status === 200) lo = mid;
      else {
        assert.equal(status, 502);
        hi = mid;
      }
    }
    assert.equal(await write(b, make(lo)), 200);
    return lo;
  }

  async function assertUsable(b: Browser): Promise<void> {
    const page = await b.fetch('/page', { headers: BROWSER_HEADERS });
    assert.equal(page.status, 200, `a full session reaches the backend (head of ${heads.at(-1)} bytes)`);
    assert.equal(page.text, 'with session');
    const logout = await b.fetch('/logout', { method: 'POST', headers: BROWSER_HEADERS });
    assert.equal(logout.status, 200, 'logout works');
    assert.equal((await b.fetch('/page', { headers: BROWSER_HEADERS })).text, 'anonymous');
  }

  it('one large attribute, logged in', async () => {
    const b = browser();
    assert.equal((await b.fetch('/login', { method: 'POST', headers: BROWSER_HEADERS })).status, 200);
    const n = await fill(b, (k) => JSON.stringify({ set: { draft: 'x'.repeat(k) } }), 16_000);
    assert.ok(n > 3_000, `a useful amount of session data fits (${n} bytes)`);
    await assertUsable(b);
  });

  it('many small attributes with quotes in their names (the most JSON overhead per byte)', async () => {
    const b = browser();
    const make = (k: number) => JSON.stringify({ set: Object.fromEntries(Array.from({ length: k }, (_, i) => [`"${i}`, 0])) });
    await fill(b, make, 4_000);
    await assertUsable(b);
  });

  it('non-ASCII values sent in the b64: form count by their UTF-8 bytes', async () => {
    const b = browser();
    const make = (k: number) => `b64:${Buffer.from(JSON.stringify({ set: { memo: '민원서류🍪'.repeat(k) } })).toString('base64url')}`;
    await fill(b, make, 2_000);
    await assertUsable(b);
  });
});
