import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';

/** Send a request head and part of a body, then stall; resolve with whatever the gateway answers. */
function stalledUpload(port: number, path: string, declared: number, sent: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\n`);
      socket.write(Buffer.alloc(sent, 1));
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

/** The request-body timeouts nginx users rely on: a client that stops sending, a backend that stops reading. */
describe('client_body_timeout and proxy_send_timeout', () => {
  let backend: DemoBackend;
  let deaf: Server;
  const deafSockets = new Set<Socket>();
  let gateway: GatewayUnderTest;

  before(async () => {
    backend = await startDemoBackend();
    // A backend that accepts connections and never reads a byte of them.
    deaf = createServer((socket) => {
      deafSockets.add(socket);
      socket.pause();
    });
    await new Promise<void>((resolve) => deaf.listen(0, '127.0.0.1', resolve));
    const deafPort = (deaf.address() as { port: number }).port;
    gateway = await startGateway({
      backends: [backend.name],
      httpExtra: `upstream deaf { server 127.0.0.1:${deafPort}; }`,
      locations: `
        location / { client_body_timeout 1s; client_max_body_size 0; proxy_pass http://app; }
        location /deaf/ { client_max_body_size 0; proxy_send_timeout 1s; proxy_read_timeout 30s; proxy_pass http://deaf; }`,
    });
  });

  after(async () => {
    await gateway?.process.stop();
    await backend?.process.stop();
    for (const s of deafSockets) s.destroy();
    deaf?.close();
  });

  it('answers 408 when the client stops sending a small body (client_body_timeout)', async () => {
    const answer = await stalledUpload(gateway.port, '/api/upload', 10_000, 100);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /SG_CLIENT_TIMEOUT/);
  });

  it('answers 408 when the client stops sending a streamed body (client_body_timeout)', async () => {
    const answer = await stalledUpload(gateway.port, '/api/upload', 10_000_000, 200_000);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    await gateway.process.waitForRecord((r) => r.code === 'SG_CLIENT_TIMEOUT', 'a log line for the 408');
  });

  it('answers 504 when the backend stops reading the body (proxy_send_timeout)', async () => {
    const chunk = Buffer.alloc(256 * 1024, 2);
    let sent = 0;
    const body = new Readable({
      read() {
        // Enough to fill every socket buffer between the gateway and the deaf backend, then end.
        if (sent >= 200 * 1024 * 1024) return this.push(null);
        sent += chunk.length;
        this.push(chunk);
      },
    });
    const res = await request(`${gateway.url}/deaf/upload`, { method: 'POST', body }).catch((err: Error) => err);
    if (res instanceof Error) assert.fail(`expected a 504 answer, got ${res.message}`);
    assert.equal(res.statusCode, 504);
    assert.match(await res.body.text(), /proxy_send_timeout|SG_BACKEND_TIMEOUT/);
    await gateway.process.waitForRecord((r) => r.code === 'SG_BACKEND_TIMEOUT', 'a log line for the 504');
  });
});
