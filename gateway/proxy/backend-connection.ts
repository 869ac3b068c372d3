import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/**
 * The backend connection a response is read from, seen from the request path (docs/architecture.md §2).
 *
 * undici 7 (the last line that runs on Node 20) exits the process when a backend closes a connection while its HTTP/1
 * parser is paused (an AssertionError thrown from the socket's 'end' handler, nodejs/undici#5360; fixed only in
 * undici 8). A handler pauses that parser by returning false from onHeaders/onData, which is how backpressure and
 * "hold the body while the write-back commits" were done. So the gateway never pauses the parser: it holds the
 * connection's reads instead. While held, `socket.read()` returns nothing, undici parses nothing, the bytes wait in
 * the socket and TCP pushes back on the backend; an end of the connection is seen only once those bytes are read, by
 * a parser that is never paused. The same read path drops `100 Continue` heads, which undici 7 refuses as a
 * "bad response" although RFC 9110 §15.2 asks every client to accept them.
 *
 * The exchange learns its connection from undici's documented `undici:client:sendHeaders` diagnostics channel: it is
 * published, with the socket, in the same synchronous step as the handler's onConnect, so the pairing is exact.
 */
export class BackendConnection {
  readonly socket: Socket;
  /** Exchanges this connection carried, the current one included: more than one means a reused keep-alive socket. */
  exchanges = 0;
  /** The socket's byte counts as the current exchange's request was about to be written ($upstream_bytes_*). */
  sentBefore = 0;
  readBefore = 0;
  #held = false;
  /** The next bytes start a response head (a request was just written): a 100 Continue there is dropped. */
  #atResponseStart = false;
  /** The start of a head that may still turn out to be a 100 Continue. */
  #prefix: Buffer | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    const read = socket.read.bind(socket);
    socket.read = (size?: number): Buffer | null => {
      // read(0) only asks the stream to refill its buffer; everything else is undici taking bytes to parse.
      if (size === 0) return read(0) as Buffer | null;
      if (this.#held) return null;
      const chunk = read(size) as Buffer | null;
      return this.#atResponseStart ? this.#dropContinue(chunk) : chunk;
    };
  }

  static of(socket: Socket): BackendConnection {
    let connection = known.get(socket);
    if (!connection) {
      connection = new BackendConnection(socket);
      known.set(socket, connection);
    }
    return connection;
  }

  /** A request was just written on this connection. */
  startExchange(): void {
    this.exchanges++;
    this.sentBefore = this.socket.bytesWritten;
    this.readBefore = this.socket.bytesRead;
    this.#atResponseStart = true;
    this.#prefix = null;
  }

  /** Stop undici from reading this connection (the client is slow, or the write-back is committing). */
  hold(): void {
    this.#held = true;
  }

  /** Let undici read again. Never synchronously: this may be called from inside undici's parser callbacks. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    // undici reads on 'readable'; while held, its reads returned nothing, so the stream may not announce bytes that
    // are already buffered. Announce them once (a spare 'readable' only makes undici find nothing to read).
    process.nextTick(() => {
      if (!this.socket.destroyed && !this.#held) this.socket.emit('readable');
    });
  }

  #dropContinue(chunk: Buffer | null): Buffer | null {
    if (chunk === null) return null;
    let data = this.#prefix ? Buffer.concat([this.#prefix, chunk]) : chunk;
    this.#prefix = null;
    for (;;) {
      const verdict = continueHeadLength(data);
      if (verdict === 'not-continue') {
        this.#atResponseStart = false;
        return data;
      }
      if (verdict === 'incomplete') {
        if (data.length > MAX_CONTINUE_HEAD) {
          // Not a head anyone sends: let undici see it (and refuse it).
          this.#atResponseStart = false;
          return data;
        }
        this.#prefix = data;
        return EMPTY;
      }
      data = data.subarray(verdict);
      if (data.length === 0) return EMPTY;
    }
  }
}

const known = new WeakMap<Socket, BackendConnection>();
const EMPTY = Buffer.alloc(0);
const MAX_CONTINUE_HEAD = 8 * 1024;
/** `HTTP/d.d 100`, digits as `d`: the start of a 100 (Continue) status line. */
const CONTINUE_LINE = 'HTTP/d.d 100';

/** The length of the 100 (Continue) head at the start of `data`, `incomplete` while undecided, else `not-continue`. */
export function continueHeadLength(data: Buffer): number | 'incomplete' | 'not-continue' {
  const n = Math.min(data.length, CONTINUE_LINE.length);
  for (let i = 0; i < n; i++) {
    const expected = CONTINUE_LINE.charCodeAt(i);
    const byte = data[i]!;
    if (expected === 0x64 /* d */ ? byte < 0x30 || byte > 0x39 : byte !== expected) return 'not-continue';
  }
  if (data.length <= CONTINUE_LINE.length) return 'incomplete';
  const after = data[CONTINUE_LINE.length]!;
  if (after !== 0x20 && after !== 0x0d && after !== 0x0a) return 'not-continue';
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  const ends = [crlf === -1 ? -1 : crlf + 4, lf === -1 ? -1 : lf + 2].filter((e) => e > 0);
  return ends.length === 0 ? 'incomplete' : Math.min(...ends);
}

let awaiting: ((connection: BackendConnection) => void) | null = null;

subscribe('undici:client:sendHeaders', (message) => {
  const bind = awaiting;
  if (!bind) return;
  awaiting = null;
  const connection = BackendConnection.of((message as { socket: Socket }).socket);
  connection.startExchange();
  bind(connection);
});

/**
 * Call from a dispatch handler's onConnect: `bind` gets the connection undici writes this request on. undici publishes
 * it before returning from the call that ran onConnect; if it does not (the request was aborted), nothing is bound.
 */
export function bindConnection(bind: (connection: BackendConnection) => void): void {
  awaiting = bind;
  queueMicrotask(() => {
    if (awaiting === bind) awaiting = null;
  });
}
