import type { SessionStore } from '../session/store.js';
import type { StoreCall, StoreOp, StoreReply } from './ipc-messages.js';
import { TickBatch } from './tick-batch.js';

const OPS: ReadonlySet<StoreOp> = new Set(['load', 'commit', 'destroyByHandle', 'destroyByPrincipal', 'listByPrincipal', 'findByHandle', 'sweepExpired', 'stats', 'ping']);

/**
 * The master's side of one worker's IpcSessionStore (docs/architecture.md §12): run each call on the one embedded
 * store and answer with its result; the answers that settle in the same event-loop turn go back as one message. The
 * store's methods are atomic by construction, so calls from several workers interleave only between whole
 * operations, as they would from several requests of one process.
 */
export class StoreServer {
  readonly #store: SessionStore;
  readonly #replies: TickBatch<StoreReply>;

  constructor(store: SessionStore, send: (replies: StoreReply[]) => void) {
    this.#store = store;
    this.#replies = new TickBatch(send);
  }

  answer(calls: StoreCall[]): void {
    for (const call of calls) this.#run(call);
  }

  #run([id, op, args]: StoreCall): void {
    if (!OPS.has(op)) {
      this.#replies.push([id, false, 'SG_STORE_UNAVAILABLE', `unknown store call "${String(op)}"`]);
      return;
    }
    const method = this.#store[op] as (...a: unknown[]) => Promise<unknown>;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(method.apply(this.#store, args));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => this.#replies.push([id, true, value]),
      (err: unknown) => {
        const e = err as { code?: unknown; message?: string };
        this.#replies.push([id, false, typeof e?.code === 'string' ? e.code : 'SG_STORE_UNAVAILABLE', e?.message ?? String(err)]);
      },
    );
  }
}
