import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { findNginx, NGINX_SCRATCH_DIRECTIVES, NginxProcess } from '../../helpers/nginx-process.js';
import { freePort } from '../../helpers/ports.js';
import { waitFor } from '../../helpers/wait-for.js';
import { WebSocketBackend } from '../gateway/websocket-backend.js';

/** What a raw client saw of one tunnel: the bytes after the handshake's 101 head, and how it ended. */
interface TunnelEnd {
  status: string;
  afterHead: Buffer;
  how: 'end' | 'error';
}

/**
 * Open a WebSocket tunnel through `port` by hand and wait until the proxy closes it; with `flood`, keep sending one
 * endless binary frame (masked, as a client's must be) while the backend reads none of it.
 */
function tunnel(port: number, path: string, flood: boolean): Promise<TunnelEnd> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let bytes = Buffer.alloc(0);
    let how: TunnelEnd['how'] = 'end';
    let flooding = false;
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (flood && !flooding && bytes.includes('\r\n\r\n') && bytes.toString('latin1').startsWith('HTTP/1.1 101')) {
        flooding = true;
        startFlood(socket);
      }
    });
    socket.on('error', () => (how = 'error'));
    socket.once('close', () => {
      const split = bytes.indexOf('\r\n\r\n');
      resolve({ status: bytes.toString('latin1').split('\r\n')[0] ?? '', afterHead: split < 0 ? Buffer.alloc(0) : bytes.subarray(split + 4), how });
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  });
}

function startFlood(socket: Socket): void {
  // A 1 GiB binary frame, masked with a zero key: the payload is zeros on the wire and to the backend.
  const head = Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0]);
  const block = Buffer.alloc(64 * 1024);
  const pump = (): void => {
    while (!socket.destroyed && socket.write(block));
    if (!socket.destroyed) socket.once('drain', pump);
  };
  socket.write(head);
  pump();
}

const http = (port: number, backend: string) => `
  upstream app { server ${backend}; }
  server {
    listen 127.0.0.1:${port};
    location /read/ {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 1s;
    }
    location /send/ {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_send_timeout 1s;
    }
  }`;

/**
 * Tunnel timeouts as nginx applies them to an upgraded connection: proxy_read_timeout while nothing comes from the
 * backend, proxy_send_timeout while a write to the backend is stuck, per location; both close the tunnel with no
 * close frame. The same config runs in nginx 1.22 and in the gateway, and the client must see the same thing.
 */
const nginxBinary = findNginx();
describe('nginx differential: WebSocket tunnel timeouts', { skip: nginxBinary ? false : 'no nginx binary (CI installs it: see .ci/run)' }, () => {
  let backend: WebSocketBackend;
  let nginx: NginxProcess;
  let gateway: GatewayUnderTest;
  const ports = { nginx: 0, gateway: 0 };

  before(async () => {
    backend = await WebSocketBackend.start();
    ports.nginx = await freePort();
    ports.gateway = await freePort();
    const config = (port: number) => `events {}\nhttp {\n${NGINX_SCRATCH_DIRECTIVES}\n${http(port, backend.name)}\n}\n`;
    nginx = await NginxProcess.start(nginxBinary!, config(ports.nginx), ports.nginx);
    const configFile = join(mkdtempSync(join(tmpdir(), 'sg-ws-timeouts-')), 'gateway.conf');
    writeFileSync(configFile, config(ports.gateway));
    gateway = await startGateway({ backends: [], configFile, port: ports.gateway });
  });

  after(async () => {
    await Promise.all([nginx?.stop(), gateway?.process.stop(), backend?.close()]);
  });

  /** The backend side of each tunnel must be closed by the proxy too. */
  async function bothSides(port: number, path: string, flood: boolean): Promise<TunnelEnd> {
    const raw = backend.nextRaw();
    const seen = tunnel(port, path, flood);
    const upstream: Duplex = await raw;
    const client = await seen;
    // The backend read nothing so far (the send-timeout case): read now, to see the proxy's FIN after the bytes.
    upstream.resume();
    await waitFor(async () => upstream.destroyed || upstream.readableEnded, { what: 'the backend side of the tunnel closed' });
    return client;
  }

  it('closes a tunnel the backend sends nothing on after proxy_read_timeout, with no close frame, as nginx does', async () => {
    const fromNginx = await bothSides(ports.nginx, '/read/ws-raw', false);
    const fromGateway = await bothSides(ports.gateway, '/read/ws-raw', false);
    assert.equal(fromNginx.status, 'HTTP/1.1 101 Switching Protocols');
    assert.deepEqual({ status: fromGateway.status, afterHead: fromGateway.afterHead.toString('hex'), how: fromGateway.how }, { status: fromNginx.status, afterHead: fromNginx.afterHead.toString('hex'), how: fromNginx.how });
    const record = await gateway.process.waitForRecord((r) => r.event === 'proxy.tunnel_timeout' && r.timeout === 'proxy_read_timeout', 'the timeout is logged');
    assert.equal(record.backend, backend.name);
    await waitFor(async () => (await longLived(gateway)) === 0, { what: 'the lease released (no long-lived stream left)' });
  });

  it('closes a tunnel whose backend reads nothing after proxy_send_timeout, as nginx does', async () => {
    const fromNginx = await bothSides(ports.nginx, '/send/ws-raw', true);
    const fromGateway = await bothSides(ports.gateway, '/send/ws-raw', true);
    assert.equal(fromNginx.status, 'HTTP/1.1 101 Switching Protocols');
    assert.equal(fromGateway.status, fromNginx.status);
    assert.equal(fromGateway.afterHead.length, fromNginx.afterHead.length, 'nothing from the proxy after the 101 (no close frame)');
    const record = await gateway.process.waitForRecord((r) => r.event === 'proxy.tunnel_timeout' && r.timeout === 'proxy_send_timeout', 'the timeout is logged');
    assert.equal(record.backend, backend.name);
    await waitFor(async () => (await longLived(gateway)) === 0, { what: 'the lease released (no long-lived stream left)' });
  });
});

/** The gateway's long-lived streams on all backends, from its metrics. */
async function longLived(gateway: GatewayUnderTest): Promise<number> {
  const text = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  return [...text.matchAll(/^session_gateway_backend_long_lived\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}
