import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';
import { nginxReason } from '../../../gateway/proxy/nginx-pages.js';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { rawRequest } from '../../helpers/raw-http.js';

/** A TCP backend: `answer` gets each connection (never answering is a backend that times out). */
async function tcpBackend(answer: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

describe("the gateway's own error answers: status, code and request id for the client, the rest for the log", () => {
  let gateway: GatewayUnderTest;
  let refusedPort: number;
  let silent: Awaited<ReturnType<typeof tcpBackend>>;
  let garbled: Awaited<ReturnType<typeof tcpBackend>>;
  const sockets = new Set<Socket>();

  before(async () => {
    refusedPort = await freePort();
    silent = await tcpBackend((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    // Two different Content-Lengths: a response no proxy may forward (RFC 9112 §6.3).
    garbled = await tcpBackend((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'));
    });
    gateway = await startGateway({
      backends: [`127.0.0.1:${refusedPort}`],
      // The client's X-Request-Id is the id only where the server trusts it (README "Request ids").
      serverExtra: 'set $gateway_request_id_header X-Request-Id;',
      httpExtra: `upstream silent { server 127.0.0.1:${silent.port}; }
  upstream garbled { server 127.0.0.1:${garbled.port}; }`,
      locations: `location / { proxy_pass http://app; }
    location /silent/ { proxy_pass http://silent; proxy_read_timeout 1s; }
    location /garbled/ { proxy_pass http://garbled; }`,
    });
  });

  after(async () => {
    await gateway?.process.stop();
    for (const socket of sockets) socket.destroy();
    await Promise.all([silent, garbled].filter(Boolean).map((b) => new Promise((resolve) => b.server.close(resolve))));
  });

  const cases = [
    { name: 'a refused connection', path: '/x', status: 502, code: 'SG_BACKEND_FAILED', internal: () => [`127.0.0.1:${refusedPort}`, 'ECONNREFUSED'] },
    { name: 'a backend slower than proxy_read_timeout', path: '/silent/x', status: 504, code: 'SG_BACKEND_TIMEOUT', internal: () => [`127.0.0.1:${silent.port}`, 'UND_ERR_HEADERS_TIMEOUT'] },
    { name: 'a response that cannot be forwarded', path: '/garbled/x', status: 502, code: 'SG_BACKEND_BAD_RESPONSE', internal: () => [`127.0.0.1:${garbled.port}`] },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status} ${c.code} with the request id, no address or OS error; the log line has them`, async () => {
      const res = await request(`${gateway.url}${c.path}`);
      const body = await res.body.text();
      assert.equal(res.statusCode, c.status);
      const id = res.headers['x-request-id'];
      assert.equal(typeof id, 'string');
      assert.equal(body, `${c.status} ${nginxReason(c.status) || STATUS_CODES[c.status]} (${c.code})\nrequest id: ${id}\n`);
      for (const secret of [...c.internal(), '127.0.0.1']) assert.ok(!body.includes(secret), `the body does not say ${secret}`);
      const line = await gateway.process.waitForRecord((r) => r.event === 'proxy.backend_failed' && r.requestId === id, 'the log line of this request');
      assert.equal(line.code, c.code);
      const logged = JSON.stringify(line);
      for (const detail of c.internal()) assert.ok(logged.includes(detail), `the log line says ${detail}`);
    });
  }

  it("keeps the client's X-Request-Id in the answer, so the client can quote it", async () => {
    const res = await request(`${gateway.url}/x`, { headers: { 'x-request-id': 'support-ticket-4711' } });
    assert.equal(await res.body.text(), '502 Bad Gateway (SG_BACKEND_FAILED)\nrequest id: support-ticket-4711\n');
    await gateway.process.waitForRecord((r) => r.event === 'proxy.backend_failed' && r.requestId === 'support-ticket-4711', 'the log line of the ticket');
  });

  it('gives a request head it cannot parse an id too, in the answer and in the log line', async () => {
    const res = await rawRequest(gateway.port, 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n');
    assert.equal(res.status, 400);
    const match = /^400 Bad Request \(SG_BAD_REQUEST\)\nrequest id: ([0-9a-f]{32})\n$/.exec(res.body.toString());
    assert.ok(match, res.body.toString());
    await gateway.process.waitForRecord((r) => r.event === 'proxy.client_refused' && r.requestId === match[1], 'the log line of the refused head');
  });
});
