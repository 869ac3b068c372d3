import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DemoContext } from './routes.js';
import { readSession } from './session-headers.js';

/**
 * `GET /ws`: on connect sends `{"type":"hello","backend","pid","principal"}`, then echoes every message (text stays
 * text, binary stays binary). Close code 1012 during a drain comes from the gateway, not from here; this side closes
 * with 1001 only when the process itself stops.
 */
export class DemoWebSockets {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  readonly #ctx: DemoContext;

  constructor(server: Server, ctx: DemoContext) {
    this.#ctx = ctx;
    server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket, head));
    this.#wss.on('headers', (headers) => headers.push(`X-Backend: ${ctx.name()}`));
  }

  get openCount(): number {
    return this.#wss.clients.size;
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://demo.invalid').pathname;
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nX-Backend: ${this.#ctx.name()}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (path !== '/ws') return refuse('404 Not Found');
    if (this.#ctx.isStopping()) return refuse('503 Service Unavailable');
    const session = readSession(req, this.#ctx.headerKey, (reason) =>
      this.#ctx.log.warn({ event: 'x-session-rejected', reason, path }, 'unverifiable X-Session header ignored'),
    );
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connected(ws, session.principal));
  }

  #connected(ws: WebSocket, principal: string | null): void {
    ws.send(JSON.stringify({ type: 'hello', backend: this.#ctx.name(), pid: this.#ctx.pid, principal }));
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', (err) => this.#ctx.log.debug({ event: 'ws-error', err }, 'websocket error'));
  }

  /** Close every open WebSocket with 1001 (going away); resolves when all are closed or after `graceMs`. */
  async closeAll(graceMs: number): Promise<void> {
    const open = [...this.#wss.clients];
    await Promise.all(
      open.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, graceMs);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1001, 'server shutting down');
          }),
      ),
    );
  }
}
