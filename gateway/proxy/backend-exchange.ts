import { validateHeaderName, validateHeaderValue, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { errors, type Dispatcher } from 'undici';
import { BackendBadResponseError } from '../errors.js';
import type { ConnectionSlots } from '../pool/connection-slots.js';
import { bindConnection, type BackendConnection } from './backend-connection.js';
import { responseHead, unforwardableHead, type BackendResponseHead } from './response-head.js';
import { errorCodeOf } from './upstream-errors.js';

export type { BackendResponseHead } from './response-head.js';

export interface ExchangeOptions {
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: Dispatcher.DispatchOptions['body'];
  headersTimeout: number;
  /**
   * The location's proxy_connect_timeout, from dispatch until undici writes the request on a connection. The pool's
   * own connect timeout is the largest of every location's (one pool serves them all): this one makes a smaller one
   * count. 0 = the pool's alone.
   */
  connectTimeout?: number;
  /** proxy_read_timeout between two reads of the body (the gateway's own clock: see #armReadTimer). */
  bodyTimeout: number;
  /** A protocol upgrade (`websocket`): undici sends Connection/Upgrade itself and hands over the socket on a 101. */
  upgrade?: string;
  /**
   * The backend's max_conns slots: the exchange waits for one before it is dispatched and holds it until the backend
   * is done with it — for an upgrade, until the tunnel's connection closes.
   */
  slots?: ConnectionSlots;
}

/**
 * While the write-back commits, this much of the body is read ahead and kept; past it, the connection is held
 * (docs/architecture.md §2). Most answers (a redirect, a JSON reply, a 204) are then complete before their head is
 * sent, so a framing error in them is still a clean 502.
 */
const READ_AHEAD_BYTES = 64 * 1024;

/**
 * One request to one backend, on undici's dispatcher interface directly: the response head arrives as a promise and
 * the body then goes straight into the client's ServerResponse with backpressure. No intermediate Readable, no
 * pipeline(), no AbortController per request: on the hot path of a proxy those cost more than the bytes they move.
 *
 * undici's parser is never paused (backend-connection.ts says why): the body waits in a small read-ahead while the
 * write-back commits, and backpressure holds the connection's reads instead.
 */
export class BackendExchange implements Dispatcher.DispatchHandler {
  readonly #options: ExchangeOptions;
  readonly head: Promise<BackendResponseHead>;
  #resolveHead!: (head: BackendResponseHead) => void;
  #rejectHead!: (err: Error) => void;
  #abort: ((reason?: Error) => void) | null = null;
  #abortReason: Error | null = null;
  #connection: BackendConnection | null = null;
  #reused = false;
  #headSeen = false;
  #res: ServerResponse | null = null;
  #done: ((err: Error | null) => void) | null = null;
  #finished = false;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #complete = false;
  #trailers: string[] = [];
  #bodyless = false;
  #bodyBytes = 0;
  #failure: Error | null = null;
  #waitingForDrain = false;
  #readTimer: NodeJS.Timeout | null = null;
  /** The read timer is to start on the next tick, after the head (see onHeaders). */
  #readTimerDue = false;
  #upgraded: Duplex | null = null;
  #connectTimer: NodeJS.Timeout | null = null;
  /** Cancels the wait for a max_conns slot (null once dispatched). */
  #cancelWait: (() => boolean) | null = null;
  #releaseSlot: (() => void) | null = null;
  /** For the access log: performance.now() when the request went out on a connection, and the bytes it carried. */
  #boundAt = 0;
  #bytesSent = 0;
  #bytesReceived = 0;

  constructor(dispatcher: Dispatcher, options: ExchangeOptions) {
    this.#options = options;
    this.head = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    const dispatch = (): void => {
      dispatcher.dispatch(
        {
          path: options.path,
          method: options.method as Dispatcher.HttpMethod,
          headers: options.headers,
          body: options.body,
          headersTimeout: options.headersTimeout,
          bodyTimeout: 0,
          ...(options.upgrade ? { upgrade: options.upgrade } : {}),
        },
        this,
      );
    };
    if (!options.slots) dispatch();
    else {
      this.#cancelWait = options.slots.take((release) => {
        this.#cancelWait = null;
        this.#releaseSlot = release;
        dispatch();
      });
    }
    // Armed only now: undici writes a request on an idle kept-alive connection inside dispatch() (onConnect has run
    // by here), which is most requests; a timer for them would be set and cleared in the same turn.
    const ms = options.connectTimeout;
    if (ms && this.#abort === null && !this.#finished) {
      this.#connectTimer = setTimeout(() => this.#connectTimedOut(ms), ms);
      this.#connectTimer.unref();
    }
  }

  /** The body failed after the head arrived and before streamTo: nothing was sent, the client can get a 502. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** The backend's connection after it answered an upgrade with 101: the caller's from then on. */
  get upgraded(): Duplex | null {
    return this.#upgraded;
  }

  /** Waiting for one of the backend's max_conns slots (every one is in use by a request or a tunnel). */
  get queued(): boolean {
    return this.#cancelWait !== null;
  }

  /** undici wrote the request on a connection (before that, it never left the gateway). */
  get requestWritten(): boolean {
    return this.#abort !== null;
  }

  /** The request went out on a kept-alive connection that had carried earlier exchanges. */
  get reusedConnection(): boolean {
    return this.#reused;
  }

  /** performance.now() when the request went out on a connection; 0 when it never did ($upstream_connect_time). */
  get boundAt(): number {
    return this.#boundAt;
  }

  /** Bytes this exchange wrote to and read from its connection so far ($upstream_bytes_sent, _received). */
  get bytesSent(): number {
    const c = this.#connection;
    return c ? this.#bytesSent + c.socket.bytesWritten - c.sentBefore : this.#bytesSent;
  }

  get bytesReceived(): number {
    const c = this.#connection;
    return c ? this.#bytesReceived + c.socket.bytesRead - c.readBefore : this.#bytesReceived;
  }

  /** Stop the exchange (the client went away, or the gateway refuses the response). */
  abort(reason: Error = new Error('aborted by the gateway')): void {
    if (this.#finished) return;
    // Still waiting for a max_conns slot: it never goes out.
    if (this.#cancelWait?.()) return this.#failBeforeDispatch(reason);
    if (this.#abort) this.#abort(reason);
    else this.#abortReason = reason;
  }

  /** Send the read-ahead and the rest of the body to the client; `done` is called once, with an error when it broke. */
  streamTo(res: ServerResponse, done: (err: Error | null) => void): void {
    this.#res = res;
    this.#done = done;
    if (this.#complete && this.#failure === null && this.#pending.length <= 1 && this.#trailers.length === 0) return this.#endWhole(res);
    let full = false;
    for (const chunk of this.#pending) full = !res.write(chunk) || full;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#failure) return this.#finish(this.#failure);
    if (this.#complete) return this.#finish(null);
    if (full) this.#waitForDrain(res);
    else this.#release();
  }

  /**
   * The whole body arrived before the head went out (most small answers): head and body leave in one res.end(body),
   * which Node writes synchronously in one writev, without write()'s cork and uncork on the next tick.
   */
  #endWhole(res: ServerResponse): void {
    const body = this.#pending[0];
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#finished = true;
    this.#stopReadTimer();
    this.#done!(null);
    if (body === undefined) res.end();
    else res.end(body);
  }

  /** Drop the body: the gateway answers the client itself. */
  discard(): void {
    this.#done = () => {};
    this.abort(new Error('response discarded by the gateway'));
  }

  #finish(err: Error | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stopReadTimer();
    const res = this.#res;
    // Report first: the caller tells a backend failure (worth a log line) from a client that left by whether the
    // response was still open.
    this.#done?.(err);
    if (!res) return;
    if (err) {
      res.destroy();
      return;
    }
    const trailers = forwardableTrailers(this.#trailers);
    if (trailers.length > 0) res.addTrailers(trailers);
    res.end();
  }

  #waitForDrain(res: ServerResponse): void {
    if (this.#waitingForDrain) return;
    this.#waitingForDrain = true;
    this.#hold();
    res.once('drain', () => {
      this.#waitingForDrain = false;
      this.#release();
    });
  }

  #hold(): void {
    this.#connection?.hold();
    this.#stopReadTimer();
  }

  #release(): void {
    if (!this.#connection) return;
    this.#connection.release();
    this.#armReadTimer();
  }

  /** This response is over for the connection: release it, whatever the client still has to read. */
  #detach(): void {
    // What the connection carried for this exchange is fixed now: its next request is another's.
    this.#bytesSent = this.bytesSent;
    this.#bytesReceived = this.bytesReceived;
    this.#connection?.release();
    this.#connection = null;
    this.#stopReadTimer();
    this.#releaseSlot?.();
  }

  #failBeforeDispatch(err: Error): void {
    this.#cancelWait = null;
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    this.#finished = true;
    this.#rejectHead(err);
  }

  /**
   * proxy_read_timeout between two reads of the body. undici's own body timer runs whenever its parser is not
   * paused, so it would also count the time a slow client keeps the connection held; this one runs only while the
   * gateway is actually waiting for the backend, as nginx's read timer does.
   */
  #armReadTimer(): void {
    this.#readTimerDue = false;
    if (this.#complete || this.#finished || this.#options.bodyTimeout <= 0) return;
    if (this.#readTimer) {
      this.#readTimer.refresh();
      return;
    }
    this.#readTimer = setTimeout(() => this.abort(new errors.BodyTimeoutError()), this.#options.bodyTimeout);
    this.#readTimer.unref();
  }

  #stopReadTimer(): void {
    this.#readTimerDue = false;
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = null;
  }

  static #armAfterHead(exchange: BackendExchange): void {
    if (exchange.#readTimerDue) exchange.#armReadTimer();
  }

  /**
   * No connection within the location's proxy_connect_timeout: the try fails now as a connect timeout. undici may still
   * be connecting (to the pool's longer timeout); the request is aborted the moment it gets a connection.
   */
  #connectTimedOut(ms: number): void {
    this.#connectTimer = null;
    if (this.#abort || this.#finished) return;
    const err = new errors.ConnectTimeoutError(`connect timed out after ${ms} ms (proxy_connect_timeout)`);
    if (this.#cancelWait?.()) return this.#failBeforeDispatch(err);
    this.#abortReason = err;
    this.#finished = true;
    this.#rejectHead(err);
  }

  // --- undici's handler interface ---

  onConnect(abort: (reason?: Error) => void): void {
    if (this.#connectTimer) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
    this.#abort = abort;
    if (this.#abortReason) {
      abort(this.#abortReason);
      return;
    }
    bindConnection((connection) => {
      this.#connection = connection;
      this.#boundAt = performance.now();
      this.#reused = connection.exchanges > 1;
    });
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, statusText: string): boolean {
    // Informational answers (102, 103) are not passed on; undici treats 101 as an upgrade and 100 never gets here.
    if (statusCode >= 100 && statusCode < 200) return true;
    const head = responseHead(statusCode, statusText, rawHeaders);
    const problem = unforwardableHead(head);
    if (problem !== null) {
      this.abort(new BackendBadResponseError(problem));
      return true;
    }
    this.#headSeen = true;
    this.#bodyless = statusCode === 204 || statusCode === 304;
    this.#resolveHead(head);
    // On the next tick, not now: a small answer's body and end come in the same parse as its head, and a timer for
    // it would be set and cleared in one turn. A hold or the end meanwhile cancels it (#stopReadTimer).
    if (!this.#readTimerDue && this.#readTimer === null && this.#options.bodyTimeout > 0) {
      this.#readTimerDue = true;
      process.nextTick(BackendExchange.#armAfterHead, this);
    }
    return true;
  }

  /** A 101 to an upgrade (undici calls this only then): the head, and the connection, which leaves undici's pool. */
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: Duplex): void {
    this.#headSeen = true;
    this.#complete = true;
    this.#finished = true;
    // The connection stays in use as the tunnel: its max_conns slot is free only when it closes.
    const release = this.#releaseSlot;
    this.#releaseSlot = null;
    if (release) {
      if (socket.destroyed) release();
      else socket.once('close', release);
    }
    this.#detach();
    this.#upgraded = socket;
    this.#resolveHead(responseHead(statusCode, 'Switching Protocols', (rawHeaders ?? []).map((h) => (Buffer.isBuffer(h) ? h : Buffer.from(h, 'latin1')))));
  }

  onData(chunk: Buffer): boolean {
    this.#readTimer?.refresh();
    this.#bodyBytes += chunk.length;
    const res = this.#res;
    if (!res) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes >= READ_AHEAD_BYTES) this.#hold();
      return true;
    }
    if (!res.write(chunk)) this.#waitForDrain(res);
    return true;
  }

  onComplete(trailers: Array<Buffer | string> | null): void {
    this.#complete = true;
    this.#trailers = (trailers ?? []).map((t) => (Buffer.isBuffer(t) ? t.toString('latin1') : t));
    this.#detach();
    if (this.#res) this.#finish(null);
  }

  onError(err: Error): void {
    if (this.#headSeen && !this.#complete && this.#bodyless && this.#bodyBytes === 0 && errorCodeOf(err) === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
      // undici checks a 204's or 304's Content-Length against a body these never have (RFC 9110 §8.6 lets a 304
      // carry the length of the representation): the answer is whole.
      this.onComplete(null);
      return;
    }
    this.#detach();
    if (!this.#headSeen) {
      if (this.#connectTimer) clearTimeout(this.#connectTimer);
      this.#finished = true;
      this.#rejectHead(err);
      return;
    }
    if (!this.#res) {
      this.#failure = err;
      return;
    }
    this.#finish(err);
  }
}

/** The backend's trailer fields that Node can write (it throws on the others; a trailer is never worth a 502). */
function forwardableTrailers(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      continue;
    }
    out.push([name, value]);
  }
  return out;
}
