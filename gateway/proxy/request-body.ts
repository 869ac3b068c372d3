import { Transform, type TransformCallback } from 'node:stream';
import { BackendTimeoutError, ClientRequestError, type GatewayError } from '../errors.js';

export interface RequestBodyLimits {
  /** client_max_body_size; 0 = unlimited. */
  maxBytes: number;
  /** client_body_timeout: the longest pause between two reads from the client. */
  clientTimeoutMs: number;
  /** proxy_send_timeout: the longest the backend may leave received bytes unread. */
  sendTimeoutMs: number;
}

/**
 * A streamed request body on its way to the backend, never held whole. It enforces what nginx enforces on the same
 * path: `client_max_body_size` for bodies without a Content-Length (413), `client_body_timeout` when the client stops
 * sending (408) and `proxy_send_timeout` when the backend stops reading (504). Which side stalled is told apart by
 * where the bytes are: waiting in this stream (the backend does not read) or not there at all (the client does not send).
 */
export class RequestBody extends Transform {
  readonly #limits: RequestBodyLimits;
  readonly #timer: NodeJS.Timeout;
  #lastProgress = Date.now();
  bytes = 0;
  /** Why the body was cut, once it was. */
  failure: GatewayError | null = null;

  constructor(limits: RequestBodyLimits) {
    super();
    this.#limits = limits;
    const period = Math.max(10, Math.min(1_000, limits.clientTimeoutMs / 4, limits.sendTimeoutMs / 4));
    this.#timer = setInterval(() => this.#watch(), period).unref();
    const stop = () => clearInterval(this.#timer);
    this.once('end', stop);
    this.once('close', stop);
  }

  #fail(error: GatewayError): void {
    this.failure = error;
    clearInterval(this.#timer);
    this.destroy(error);
  }

  #watch(): void {
    const idle = Date.now() - this.#lastProgress;
    const waiting = this.writableLength > 0 || this.readableLength > 0;
    if (waiting && idle > this.#limits.sendTimeoutMs) {
      this.#fail(new BackendTimeoutError(`the backend read nothing of the request body for ${this.#limits.sendTimeoutMs} ms (proxy_send_timeout)`));
    } else if (!waiting && !this.writableEnded && idle > this.#limits.clientTimeoutMs) {
      this.#fail(new ClientRequestError('SG_CLIENT_TIMEOUT', `the client sent nothing of its request body for ${this.#limits.clientTimeoutMs} ms (client_body_timeout)`, 408));
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#lastProgress = Date.now();
    this.bytes += chunk.length;
    if (this.#limits.maxBytes > 0 && this.bytes > this.#limits.maxBytes) {
      this.failure = new ClientRequestError('SG_BODY_TOO_LARGE', `request body is larger than client_max_body_size ${this.#limits.maxBytes}`, 413);
      callback(this.failure);
      return;
    }
    callback(null, chunk);
  }

  override _read(size: number): void {
    // The backend asked for more: it is reading, so the clock restarts (bytes may be few and far between).
    this.#lastProgress = Date.now();
    super._read(size);
  }
}
