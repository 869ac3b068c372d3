import { Transform, type TransformCallback } from 'node:stream';
import { ClientRequestError } from '../errors.js';

/**
 * Counts a streamed request body and fails it once it passes `client_max_body_size` (for bodies without a
 * Content-Length, which cannot be refused up front). Nothing is buffered: bytes flow straight to the backend.
 */
export class BodyLimit extends Transform {
  readonly #limit: number;
  bytes = 0;
  exceeded = false;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.#limit) {
      this.exceeded = true;
      callback(new ClientRequestError('SG_BODY_TOO_LARGE', `request body is larger than ${this.#limit} bytes`, 413));
      return;
    }
    callback(null, chunk);
  }
}
