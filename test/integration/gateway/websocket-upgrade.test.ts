import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import WebSocket from 'ws';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { python } from '../../helpers/python.js';
import { waitFor } from '../../helpers/wait-for.js';
import { WebSocketBackend } from './websocket-backend.js';

/** A WebSocket handshake that either opens (the 101 is returned) or is answered otherwise (that answer is returned). */
function handshake(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket | null; res: IncomingMessage; body: string; first: string | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    let upgrade: IncomingMessage | null = null;
    ws.once('upgrade', (res) => (upgrade = res));
    ws.once('message', (data) => resolve({ ws, res: upgrade!, body: '', first: String(data) }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ ws: null, res, body, first: null }));
    });
    ws.once('error', reject);
  });
}

/** A listener that never accepts: its one-slot queue is filled, so a connect to it is never answered (connect timeout). */
async function blackHole(): Promise<{ port: number; filler: Socket; process: ChildProcess }> {
  const child = spawn(python, ['-c', "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()"], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  const filler = connect(port, '127.0.0.1');
  await new Promise((resolve) => filler.once('connect', resolve));
  return { port, filler, process: child };
}

/** Bytes arriving on a socket, with a wait for a condition on all of them so far. */
class Received {
  bytes = Buffer.alloc(0);
  ended = false;
  readonly #waiters: Array<() => void> = [];
  constructor(socket: Duplex) {
    socket.on('data', (chunk: Buffer) => this.#push(chunk));
    socket.once('end', () => {
      this.ended = true;
      this.#push(Buffer.alloc(0));
    });
  }
  /** Resolves with every byte so far once `done` says so (the test's own timeout ends a wait that never does). */
  until(done: (bytes: Buffer, ended: boolean) => boolean): Promise<Buffer> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (done(this.bytes, this.ended)) resolve(this.bytes);
        else this.#waiters.push(check);
      };
      check();
    });
  }
  #push(chunk: Buffer): void {
    this.bytes = Buffer.concat([this.bytes, chunk]);
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

function post(url: string): Promise<number> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(async (r) => {
    await r.body.dump();
    return r.statusCode;
  });
}

describe('WebSocket upgrades on the same footing as requests', () => {
  let app: WebSocketBackend[];
  let queued: WebSocketBackend;
  let flaky: WebSocketBackend;
  let doomed: WebSocketBackend;
  let hole: Awaited<ReturnType<typeof blackHole>>;
  let gateway: GatewayUnderTest;
  let ws: string;

  before(async () => {
    app = await Promise.all([WebSocketBackend.start(), WebSocketBackend.start()]);
    queued = await WebSocketBackend.start();
    flaky = await WebSocketBackend.start();
    doomed = await WebSocketBackend.start();
    hole = await blackHole();
    gateway = await startGateway({
      backends: app.map((b) => b.name),
      // The connect timeout is the pool's, the largest any location asks for: set for the whole server.
      serverExtra: 'set $health_check_interval 1h; proxy_connect_timeout 1s;',
      httpExtra: `upstream queued { server ${queued.name} max_conns=1; }
  upstream flaky { server ${doomed.name} max_fails=1 fail_timeout=60s; server ${flaky.name}; }
  upstream hole { server 127.0.0.1:${hole.port}; }`,
      locations: `location / { proxy_pass http://app; }
    location /queued/ { proxy_pass http://queued; }
    location /flaky/ { proxy_pass http://flaky; }
    location /hole/ { proxy_pass http://hole; }`,
    });
    ws = `ws://127.0.0.1:${gateway.port}`;
    // Healthy at the first (and, with a 1 h interval, only) check, then gone: only a failed upgrade can tell.
    await gateway.process.waitForRecord((r) => r.event === 'backend.health' && r.backend === doomed.name && r.to === 'HEALTHY', 'the doomed backend checked');
    await doomed.close();
  });

  after(async () => {
    // The hole first: the gateway's shutdown waits for its connect still retrying SYNs there, which a closed port
    // refuses at once.
    hole?.filler.destroy();
    hole?.process.kill();
    await new Promise((resolve) => (hole && hole.process.exitCode === null ? hole.process.once('exit', resolve) : resolve(null)));
    await gateway?.process.stop();
    await Promise.all([...(app ?? []), queued, flaky].filter(Boolean).map((b) => b.close()));
  });

  it("applies a 101's write-back (the login commits, its cookie rides on the 101) and never relays X-Session-* or the backend's session cookie", async () => {
    const { ws: socket, res } = await handshake(`${ws}/ws-login`);
    assert.equal(res.statusCode, 101);
    socket!.close();
    assert.deepEqual(Object.keys(res.headers).filter((h) => h.startsWith('x-session')), []);
    const cookies = res.headers['set-cookie'] ?? [];
    assert.ok(cookies.some((c) => c.startsWith('theme=dark')), 'other cookies pass');
    assert.ok(!cookies.some((c) => c.startsWith('gsid=shadow')), 'the backend cannot set the session cookie');
    const session = cookies.find((c) => c.startsWith('gsid='));
    assert.ok(session, 'the gateway sets the rotated session cookie on the 101');
    await gateway.process.waitForRecord((r) => r.event === 'session.login' && r.principal === 'wsuser', 'the login on the 101 committed');
    await gateway.process.waitForRecord((r) => r.event === 'session.backend_cookie_dropped', 'the dropped cookie is logged');
    const whoami = await request(`${gateway.url}/whoami`, { headers: { cookie: session.split(';')[0]! } });
    assert.deepEqual(await whoami.body.json(), { principal: 'wsuser' });
  });

  it('refuses a malformed write-back on a 101 with the error answer and a log line, and ends the backend side', async () => {
    const before = app.reduce((n, b) => n + b.closeCodes.length, 0);
    const { ws: socket, res, body } = await handshake(`${ws}/ws-bad`);
    assert.equal(socket, null, 'no tunnel');
    assert.equal(res.statusCode, 502);
    assert.equal(res.headers['x-gateway-error'], 'SG_WRITEBACK_MALFORMED');
    assert.match(body, /SG_WRITEBACK_MALFORMED/);
    assert.deepEqual(Object.keys(res.headers).filter((h) => h.startsWith('x-session')), []);
    await gateway.process.waitForRecord((r) => r.event === 'session.write_back_refused' && r.code === 'SG_WRITEBACK_MALFORMED', 'the refusal is logged');
    await waitFor(async () => app.reduce((n, b) => n + b.closeCodes.length, 0) > before, { what: "the backend's WebSocket closed" });
  });

  it("relays a backend's refusal of the upgrade like any response", async () => {
    const { ws: socket, res, body } = await handshake(`${ws}/ws-refuse`);
    assert.equal(socket, null);
    assert.equal(res.statusCode, 403);
    assert.equal(body, 'no\n');
    assert.equal(res.headers['x-session-update'], undefined);
  });

  it('gets the connect timeout: a backend that never accepts is a 504 after proxy_connect_timeout', async () => {
    const { ws: socket, res } = await handshake(`${ws}/hole/ws`);
    assert.equal(socket, null);
    assert.equal(res.statusCode, 504);
    assert.equal(res.headers['x-gateway-error'], 'SG_BACKEND_TIMEOUT');
    await gateway.process.waitForRecord((r) => r.event === 'proxy.backend_failed' && r.backend === `127.0.0.1:${hole.port}` && r.code === 'SG_BACKEND_TIMEOUT', 'the timeout is logged with the backend');
  });

  it('counts a refused upgrade as a passive failure (max_fails=1 ejects) and retries it on the next backend', async () => {
    const { ws: socket, first } = await handshake(`${ws}/flaky/ws`);
    assert.ok(socket, 'the retry opened the WebSocket');
    assert.deepEqual(JSON.parse(first!), { principal: null });
    socket!.close();
    const dead = doomed.name;
    await gateway.process.waitForRecord((r) => r.event === 'proxy.backend_failed' && r.backend === dead && r.retry === true, 'the failed try, retried');
    await gateway.process.waitForRecord((r) => r.event === 'backend.ejected' && r.backend === dead, 'the dead backend ejected');
    assert.equal(flaky.upgrades, 1);
  });

  it('waits behind max_conns: the upgrade reaches the backend only when its one connection is free', async () => {
    const held = request(`${gateway.url}/queued/hold`).then(async (r) => r.body.text());
    await waitFor(async () => queued.held.length === 1, { what: 'the held request at the backend' });
    const opening = handshake(`${ws}/queued/ws`);
    await waitFor(async () => {
      const report = (await (await request(`${gateway.adminUrl}/api/backends`)).body.json()) as { backends: Array<{ name: string; inFlight: number }> };
      return report.backends.find((b) => b.name === queued.name)?.inFlight === 2;
    }, { what: 'the upgrade waiting in the backend pool' });
    assert.equal(queued.upgrades, 0, 'not sent while the connection is busy');
    queued.release();
    assert.equal(await held, 'released\n');
    const { ws: socket } = await opening;
    assert.ok(socket);
    socket.close();
    assert.equal(queued.upgrades, 1);
    assert.equal(queued.maxOpen, 1, 'never more than max_conns connections to the backend');
  });

  it('counts an open WebSocket in max_conns: a request and an upgrade wait until the tunnel closes, as in nginx', async () => {
    const { ws: tunnel } = await handshake(`${ws}/queued/ws`);
    assert.ok(tunnel);
    const waits = () => gateway.process.records().filter((r) => r.event === 'proxy.max_conns_wait' && r.backend === queued.name).length;
    const before = waits();
    const answered = request(`${gateway.url}/queued/whoami`).then(async (r) => r.body.json());
    await waitFor(async () => waits() === before + 1, { what: 'the request waiting for the connection the tunnel holds' });
    const second = handshake(`${ws}/queued/ws`);
    await waitFor(async () => waits() === before + 2, { what: 'the second upgrade waiting too' });
    const seen = queued.events.length;
    tunnel.close();
    assert.deepEqual(await answered, { principal: null });
    const { ws: next } = await second;
    assert.ok(next, 'the second WebSocket opens once the request is done');
    next.close();
    await waitFor(async () => queued.events.length >= seen + 3, { what: 'the backend saw the close, the request and the upgrade' });
    // Not maxOpen: the gateway frees the slot when its side of the tunnel has closed, a moment before the backend's
    // side sees the FIN (nginx frees its peer the same way), so the backend may briefly count two.
    assert.deepEqual(queued.events.slice(seen, seen + 3), ['close /ws', 'request /whoami', 'upgrade /ws'], 'nothing reached the backend while the tunnel held its one connection');
  });

  it('ends a tunnel on drain with a real 1012 close frame after the frame in flight, and a masked 1001 to the backend', { timeout: 30_000 }, async () => {
    const backendSide = Promise.race(app.map((b) => b.nextRaw().then((socket) => ({ backend: b, socket }))));
    const client = connect(gateway.port, '127.0.0.1');
    const fromGateway = new Received(client);
    client.write('GET /ws-raw HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    const { backend, socket } = await backendSide;
    const toGateway = new Received(socket);
    const head = await fromGateway.until((b) => b.includes('\r\n\r\n'));
    const headEnd = head.indexOf('\r\n\r\n') + 4;
    assert.match(head.subarray(0, headEnd).toString(), /^HTTP\/1\.1 101 /);
    // A text frame of 10 bytes, sent in two halves: the drain comes while it is in flight.
    socket.write(Buffer.concat([Buffer.from([0x81, 10]), Buffer.from('01234')]));
    await fromGateway.until((b) => b.length >= headEnd + 7);
    assert.equal(await post(`${gateway.adminUrl}/api/backends/${encodeURIComponent(backend.name)}/drain`), 200);
    // The rest of the frame, then this side's end: the gateway must still deliver the frame before its 1012.
    socket.end('56789');
    const all = await fromGateway.until((_b, ended) => ended);
    const reason = Buffer.from('service restart');
    const expected = Buffer.concat([Buffer.from([0x81, 10]), Buffer.from('0123456789'), Buffer.from([0x88, 2 + reason.length, 0x03, 0xf4]), reason]);
    assert.deepEqual(all.subarray(headEnd), expected, 'the whole frame, then close 1012, then the end');
    const close = await toGateway.until((b) => b.length >= 2 && b.length >= 6 + (b[1]! & 0x7f));
    assert.equal(close[0], 0x88);
    assert.ok(close[1]! & 0x80, 'masked, as a client frame must be');
    const code = ((close[6]! ^ close[2]!) << 8) | (close[7]! ^ close[3]!);
    assert.equal(code, 1001);
    client.destroy();
    assert.equal(await post(`${gateway.adminUrl}/api/backends/${encodeURIComponent(backend.name)}/ready`), 200);
  });
});
