import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { deriveHeaderKey } from '../../../gateway/config/env.js';
import { readSession } from '../../../backends/demo/session-headers.js';
import { TEST_SECRET } from '../../helpers/gateway-process.js';

const HEADER_KEY = deriveHeaderKey({ SESSION_SECRET: TEST_SECRET });
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Extra fields a path puts on the backend's 101 (ws's 'headers' hook). */
const UPGRADE_FIELDS: Record<string, string[]> = {
  '/ws-login': ['X-Session-Login: wsuser', 'Set-Cookie: gsid=shadow; Path=/', 'Set-Cookie: theme=dark; Path=/'],
  '/ws-bad': ['X-Session-Update: {"set":'],
};

/**
 * A real WebSocket backend (ws) for the upgrade tests, by path suffix:
 *   upgrades: `/ws` (accepts; sends `{"principal"}` from X-Session), `/ws-login` and `/ws-bad` (write-backs on the
 *   101), `/ws-refuse` (a 403 with a body and a write-back), `/ws-raw` (a hand-made 101, the socket given to the test);
 *   requests: `/hold` (answered when the test releases it), `/whoami` (`{"principal"}`).
 * It counts its open TCP connections (max_conns is about those) and the close codes its WebSockets got.
 */
export class WebSocketBackend {
  readonly server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  port = 0;
  open = 0;
  maxOpen = 0;
  upgrades = 0;
  readonly closeCodes: number[] = [];
  /** What it saw, in order: `request /path`, `upgrade /path` (a WebSocket opened), `close /path` (one closed). */
  readonly events: string[] = [];
  readonly held: ServerResponse[] = [];
  readonly #rawWaiters: Array<(socket: Duplex) => void> = [];
  readonly #raw = new Set<Duplex>();

  private constructor() {
    this.server = createServer((req, res) => this.#request(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      socket.once('close', () => this.open--);
    });
    this.server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.#wss.on('headers', (fields, req) => fields.push(...(UPGRADE_FIELDS[pathOf(req)] ?? [])));
  }

  static async start(): Promise<WebSocketBackend> {
    const backend = new WebSocketBackend();
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    backend.port = (backend.server.address() as AddressInfo).port;
    return backend;
  }

  get name(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The backend side of the next `/ws-raw` tunnel, just after its 101 went out. */
  nextRaw(): Promise<Duplex> {
    return new Promise((resolve) => this.#rawWaiters.push(resolve));
  }

  release(): void {
    for (const res of this.held.splice(0)) res.end('released\n');
  }

  async close(): Promise<void> {
    this.release();
    for (const ws of this.#wss.clients) ws.terminate();
    for (const socket of this.#raw) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req);
    if (path !== '/healthz') this.events.push(`request ${path}`);
    if (path === '/hold') {
      this.held.push(res);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      return;
    }
    if (path === '/healthz') return void res.end('ok');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ principal: this.#principal(req) }));
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.upgrades++;
    const path = pathOf(req);
    if (path === '/ws-refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nX-Session-Update: {"set":{"refused":true}}\r\nConnection: close\r\n\r\nno\n');
      return;
    }
    if (path === '/ws-raw') {
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${WS_GUID}`).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      // Not ended when the gateway ends its side: the test decides (a drain must find the rest of a frame still
      // coming, which an automatic end could cut off before the test has written it).
      this.#raw.add(socket);
      socket.once('close', () => this.#raw.delete(socket));
      this.#rawWaiters.shift()?.(socket);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      this.events.push(`upgrade ${path}`);
      ws.once('close', (code) => {
        this.closeCodes.push(code);
        this.events.push(`close ${path}`);
      });
      ws.on('message', (data, binary) => ws.send(data, { binary }));
      ws.send(JSON.stringify({ principal: this.#principal(req) }));
    });
  }

  #principal(req: IncomingMessage): string | null {
    return readSession(req, HEADER_KEY, () => {}).principal;
  }
}

/** The path without a location prefix (`/queued/ws` → `/ws`) and without a query. */
function pathOf(req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?')[0]!;
  return path.slice(path.lastIndexOf('/'));
}
