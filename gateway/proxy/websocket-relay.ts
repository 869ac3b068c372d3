import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

/** After the gateway sends its close frames, what has not closed by then is cut. */
const CLOSE_GRACE_MS = 1_000;
/** Close code the backend gets when the gateway ends a tunnel: the client side is "going away" (RFC 6455 §7.4.1). */
const GOING_AWAY = 1001;

/** A close frame (RFC 6455 §5.5.1): unmasked from the server side, masked (as every client frame must be) otherwise. */
export function closeFrame(code: number, reason: string, masked = false): Buffer {
  // A control frame's payload is at most 125 bytes: 2 for the code, the rest for the reason.
  let text = Buffer.from(reason);
  if (text.length > 123) text = text.subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  const mask = masked ? randomBytes(4) : null;
  const head = Buffer.from([0x88, (mask ? 0x80 : 0) | payload.length]);
  if (!mask) return Buffer.concat([head, payload]);
  for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return Buffer.concat([head, mask, payload]);
}

/**
 * Where the frames of one direction begin and end. Only the frame heads are read (opcode, mask bit, length), never
 * the payload: extensions such as permessage-deflate pass through untouched, and the gateway can put a frame of its
 * own between two frames (RFC 6455 §5.4 allows a control frame between the fragments of a message too).
 */
export class FrameBoundaries {
  readonly #head = Buffer.alloc(14);
  #headBytes = 0;
  #payloadLeft = 0;

  get atBoundary(): boolean {
    return this.#headBytes === 0 && this.#payloadLeft === 0;
  }

  /** Step over `chunk`; with `stop`, only up to the first frame boundary. Returns the bytes stepped over. */
  advance(chunk: Buffer, stop: boolean): number {
    let i = 0;
    while (i < chunk.length) {
      if (stop && this.atBoundary) return i;
      if (this.#payloadLeft > 0) {
        const n = Math.min(this.#payloadLeft, chunk.length - i);
        this.#payloadLeft -= n;
        i += n;
        continue;
      }
      this.#head[this.#headBytes++] = chunk[i++]!;
      const length = this.#headBytes >= 2 ? headLength(this.#head) : 0;
      if (this.#headBytes === length) {
        this.#payloadLeft = payloadLength(this.#head);
        this.#headBytes = 0;
      }
    }
    return i;
  }
}

function headLength(head: Buffer): number {
  const len7 = head[1]! & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (head[1]! & 0x80 ? 4 : 0);
}

function payloadLength(head: Buffer): number {
  const len7 = head[1]! & 0x7f;
  if (len7 === 126) return head.readUInt16BE(2);
  if (len7 === 127) return Number(head.readBigUInt64BE(2));
  return len7;
}

/**
 * One direction of a tunnel: bytes as they come, with backpressure; can end with a frame of the gateway's own. While
 * a write waits for the receiver to drain, `stalled` is told when it starts and when it ends.
 */
class Direction {
  readonly #from: Duplex;
  readonly #to: Duplex;
  readonly #stalled: (waiting: boolean) => void;
  readonly #frames = new FrameBoundaries();
  #last: Buffer | null = null;
  #stopped = false;

  constructor(from: Duplex, to: Duplex, stalled: (waiting: boolean) => void = () => {}) {
    this.#from = from;
    this.#to = to;
    this.#stalled = stalled;
  }

  forward(chunk: Buffer): void {
    if (this.#stopped) return;
    const upTo = this.#frames.advance(chunk, this.#last !== null);
    const out = upTo === chunk.length ? chunk : chunk.subarray(0, upTo);
    if (out.length > 0 && !this.#to.write(out)) {
      this.#from.pause();
      this.#stalled(true);
      this.#to.once('drain', () => {
        this.#stalled(false);
        this.#from.resume();
      });
    }
    if (this.#last && this.#frames.atBoundary) this.#finish(this.#last);
  }

  /** Send `frame` at the next frame boundary, then nothing more this way. */
  endWith(frame: Buffer): void {
    if (this.#stopped || this.#last) return;
    this.#last = frame;
    if (this.#frames.atBoundary) this.#finish(frame);
  }

  #finish(frame: Buffer): void {
    this.#stopped = true;
    this.#from.resume();
    if (!this.#to.destroyed) this.#to.end(frame);
  }
}

/** Which of the location's timeouts ended a tunnel. */
export type TunnelTimeout = 'proxy_read_timeout' | 'proxy_send_timeout';

export interface TunnelTimeouts {
  /** Nothing from the backend for this long (ms; 0 = never): the tunnel is closed. */
  readMs: number;
  /** A write to the backend waiting this long for it to read (ms; 0 = never): the tunnel is closed. */
  sendMs: number;
  /** Told once, just before a timeout cuts both connections (for the log line). */
  onTimeout(which: TunnelTimeout): void;
}

/**
 * A WebSocket tunnel between a client and a backend (docs/architecture.md §2): frames relayed as they come, and one
 * place where the gateway ends it — a drain or a graceful stop sends the client a real close frame (1012, service
 * restart: reconnect) and the backend a masked 1001, each at a frame boundary, then cuts what is left after a grace.
 *
 * Timeouts are nginx's for an upgraded connection: proxy_read_timeout while waiting for the backend and
 * proxy_send_timeout while a write to it is stuck; either closes both connections with no close frame, as nginx
 * does. nginx re-arms its read timer on every event of the tunnel, so traffic from the client keeps it open too.
 */
export class WebSocketRelay {
  readonly #client: Duplex;
  readonly #backend: Duplex;
  readonly #toClient: Direction;
  readonly #toBackend: Direction;
  readonly #ended: Promise<void>;
  readonly #timeouts: TunnelTimeouts | null;
  #readTimer: NodeJS.Timeout | null = null;
  #sendTimer: NodeJS.Timeout | null = null;
  #closing = false;

  constructor(client: Duplex, clientHead: Buffer, backend: Duplex, timeouts: TunnelTimeouts | null = null) {
    this.#client = client;
    this.#backend = backend;
    this.#timeouts = timeouts;
    this.#toClient = new Direction(backend, client);
    this.#toBackend = new Direction(client, backend, (waiting) => this.#sendStalled(waiting));
    this.#ended = Promise.all([closed(client), closed(backend)]).then(() => this.#stopTimers());
    for (const [side, other] of [[client, backend], [backend, client]] as const) {
      side.on('error', () => side.destroy());
      // One side gone: the other is ended (its pending bytes still go out), and cut if it lingers.
      side.once('close', () => this.#cutLater(other));
      side.once('end', () => other.end());
    }
    backend.on('data', (chunk: Buffer) => {
      this.#activity();
      this.#toClient.forward(chunk);
    });
    client.on('data', (chunk: Buffer) => {
      this.#activity();
      this.#toBackend.forward(chunk);
    });
    this.#activity();
    if (clientHead.length > 0) this.#toBackend.forward(clientHead);
  }

  /** Resolves when both connections are closed. */
  get ended(): Promise<void> {
    return this.#ended;
  }

  /** End the tunnel: `code` to the client, 1001 to the backend. */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#stopTimers();
    this.#toClient.endWith(closeFrame(code, reason));
    this.#toBackend.endWith(closeFrame(GOING_AWAY, 'going away', true));
    this.#cutLater(this.#client);
    this.#cutLater(this.#backend);
  }

  /** Cut both connections now (a failure on either side). */
  destroy(): void {
    this.#client.destroy();
    this.#backend.destroy();
  }

  /** Something moved through the tunnel: the read timer starts again (nginx re-arms it on every event). */
  #activity(): void {
    const ms = this.#timeouts?.readMs ?? 0;
    if (ms <= 0 || this.#closing) return;
    if (this.#readTimer) {
      this.#readTimer.refresh();
      return;
    }
    this.#readTimer = setTimeout(() => this.#timedOut('proxy_read_timeout'), ms);
    this.#readTimer.unref();
  }

  #sendStalled(waiting: boolean): void {
    if (this.#sendTimer) clearTimeout(this.#sendTimer);
    this.#sendTimer = null;
    const ms = this.#timeouts?.sendMs ?? 0;
    if (!waiting || ms <= 0 || this.#closing) return;
    this.#sendTimer = setTimeout(() => this.#timedOut('proxy_send_timeout'), ms);
    this.#sendTimer.unref();
  }

  #timedOut(which: TunnelTimeout): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#stopTimers();
    this.#timeouts?.onTimeout(which);
    this.destroy();
  }

  #stopTimers(): void {
    if (this.#readTimer) clearTimeout(this.#readTimer);
    if (this.#sendTimer) clearTimeout(this.#sendTimer);
    this.#readTimer = null;
    this.#sendTimer = null;
  }

  #cutLater(socket: Duplex): void {
    if (socket.destroyed) return;
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

function closed(socket: Duplex): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}
