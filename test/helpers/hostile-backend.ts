import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * One step of a scripted answer: bytes to write (a string is written as latin1, one byte per character, so a test
 * can put any byte on the wire), a pause that lets the previous bytes leave in their own TCP segment, or the end of
 * the connection: `fin` (a clean close) or `rst` (a reset).
 */
export type Step = string | Buffer | { pause: true } | { close: 'fin' | 'rst' };

/** A request as the backend read it off the wire. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** How many requests this connection carried before this one. */
  index: number;
}

export type Answer = (req: RawRequest) => Step[];

/**
 * A backend on a raw TCP socket, for the responses no HTTP library would send: it reads real requests (keep-alive,
 * Content-Length and chunked bodies) and answers each with whatever `answer` scripts, byte for byte.
 */
export class HostileBackend {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  answer: Answer = (req) => [okResponse(JSON.stringify({ path: req.path }))];
  /** Connections accepted so far. */
  connections = 0;

  constructor() {
    this.#server = createServer((socket) => this.#serve(socket));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    this.connections++;
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    let index = 0;
    let busy = false;
    const next = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        for (;;) {
          // `X-Hostile-Early: 1`: answer as soon as the head is in, before reading the body (then close).
          const parsed = parseRequest(buffered, true) ?? parseRequest(buffered, false);
          if (!parsed) return;
          buffered = buffered.subarray(parsed.consumed);
          const req = { ...parsed.request, index: index++ };
          const closed = await play(socket, req.path === '/healthz' ? [okResponse('ok')] : this.answer(req));
          if (closed) return;
        }
      } finally {
        busy = false;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      void next();
    });
  }
}

/** A plain, well-formed answer (keep-alive). */
export function okResponse(body: string, extraHeaders = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`;
}

/** Play the steps; true when they closed the connection. */
async function play(socket: Socket, steps: Step[]): Promise<boolean> {
  for (const step of steps) {
    if (socket.destroyed) return true;
    if (typeof step === 'string') socket.write(Buffer.from(step, 'latin1'));
    else if (Buffer.isBuffer(step)) socket.write(step);
    else if ('pause' in step) await new Promise((resolve) => setTimeout(resolve, 5));
    else if (step.close === 'fin') {
      socket.end();
      return true;
    } else {
      socket.resetAndDestroy();
      return true;
    }
  }
  return false;
}

/**
 * Parse one whole request from the start of `data` (Content-Length or chunked body); null until it is all there.
 * `earlyOnly`: only a request that asks to be answered before its body (`X-Hostile-Early: 1`), and whatever of its
 * body has arrived is dropped.
 */
function parseRequest(data: Buffer, earlyOnly: boolean): { request: Omit<RawRequest, 'index'>; consumed: number } | null {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const [method = '', path = ''] = lines[0]!.split(' ');
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let offset = end + 4;
  if (earlyOnly) return headers['x-hostile-early'] === '1' ? { request: { method, path, headers, body: Buffer.alloc(0) }, consumed: data.length } : null;
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = data.indexOf('\r\n', offset);
      if (lineEnd === -1) return null;
      const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
      if (data.length < lineEnd + 2 + size + 2) return null;
      parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    return { request: { method, path, headers, body: Buffer.concat(parts) }, consumed: offset };
  }
  const length = Number(headers['content-length'] ?? 0);
  if (data.length < offset + length) return null;
  return { request: { method, path, headers, body: data.subarray(offset, offset + length) }, consumed: offset + length };
}
