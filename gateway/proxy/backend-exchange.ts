import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';

/** The response head of a backend, as the request path needs it. */
export interface BackendResponseHead {
  statusCode: number;
  statusText: string;
  /** Lower-case name → value (repeated fields as arrays): for the lookups the gateway does. */
  headers: Record<string, string | string[]>;
  /** Name, value, name, value… in the backend's order and spelling: what is passed on to the client. */
  raw: string[];
}

export interface ExchangeOptions {
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: Dispatcher.DispatchOptions['body'];
  headersTimeout: number;
  bodyTimeout: number;
}

/**
 * One request to one backend, on undici's dispatcher interface directly: the response head arrives as a promise and
 * the body then goes straight into the client's ServerResponse with backpressure (the backend socket is paused while
 * the client's is full). No intermediate Readable, no pipeline(), no AbortController per request: on the hot path of
 * a proxy those cost more than the bytes they move.
 *
 * Between the head and `streamTo`, the backend's body is held back (the parser is paused), so the write-back can be
 * applied before anything is sent to the client.
 */
export class BackendExchange implements Dispatcher.DispatchHandler {
  readonly #options: ExchangeOptions;
  #abort: ((reason?: Error) => void) | null = null;
  #abortReason: Error | null = null;
  #resume: (() => void) | null = null;
  #resolveHead!: (head: BackendResponseHead) => void;
  #rejectHead!: (err: Error) => void;
  #headSeen = false;
  #res: ServerResponse | null = null;
  #done: ((err: Error | null) => void) | null = null;
  #finished = false;
  #pending: Buffer[] = [];
  #ended = false;
  #error: Error | null = null;
  readonly head: Promise<BackendResponseHead>;

  constructor(dispatcher: Dispatcher, options: ExchangeOptions) {
    this.#options = options;
    this.head = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    dispatcher.dispatch(
      {
        path: options.path,
        method: options.method as Dispatcher.HttpMethod,
        headers: options.headers,
        body: options.body,
        headersTimeout: options.headersTimeout,
        bodyTimeout: options.bodyTimeout,
      },
      this,
    );
  }

  /** Stop the exchange (the client went away, or the gateway refuses the response). */
  abort(reason: Error = new Error('aborted by the gateway')): void {
    if (this.#finished) return;
    if (this.#abort) this.#abort(reason);
    else this.#abortReason = reason;
  }

  /** Send the held-back body to the client; `done` is called once, with an error when the stream broke. */
  streamTo(res: ServerResponse, done: (err: Error | null) => void): void {
    this.#res = res;
    this.#done = done;
    for (const chunk of this.#pending) res.write(chunk);
    this.#pending = [];
    if (this.#error) return this.#finish(this.#error);
    if (this.#ended) return this.#finish(null);
    this.#resume?.();
  }

  /** Drop the body: the gateway answers the client itself. */
  discard(): void {
    this.#done = () => {};
    this.abort(new Error('response discarded by the gateway'));
  }

  #finish(err: Error | null): void {
    if (this.#finished) return;
    this.#finished = true;
    const res = this.#res;
    // Report first: the caller tells a backend failure (worth a log line) from a client that left by whether the
    // response was still open.
    this.#done?.(err);
    if (res) {
      if (err) res.destroy(err);
      else res.end();
    }
  }

  // --- undici's handler interface ---

  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    if (this.#abortReason) abort(this.#abortReason);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // informational (100-continue, 103): not passed on
    this.#resume = resume;
    const headers: Record<string, string | string[]> = {};
    const raw: string[] = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toString('latin1');
      const value = rawHeaders[i + 1]!.toString('latin1');
      const lower = name.toLowerCase();
      const prior = headers[lower];
      headers[lower] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
      raw.push(name, value);
    }
    this.#headSeen = true;
    this.#resolveHead({ statusCode, statusText, headers, raw });
    // Hold the body back until the gateway has decided what to send (streamTo).
    return this.#res !== null;
  }

  onData(chunk: Buffer): boolean {
    const res = this.#res;
    if (!res) {
      this.#pending.push(chunk);
      return false;
    }
    if (res.write(chunk)) return true;
    res.once('drain', () => this.#resume?.());
    return false;
  }

  onComplete(): void {
    if (!this.#res) {
      this.#ended = true;
      return;
    }
    this.#finish(null);
  }

  onError(err: Error): void {
    if (!this.#headSeen) {
      this.#finished = true;
      this.#rejectHead(err);
      return;
    }
    if (!this.#res) {
      this.#error = err;
      return;
    }
    this.#finish(err);
  }
}
