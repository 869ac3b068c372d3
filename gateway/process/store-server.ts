import type { SessionStore } from '../session/store.js';
import type { MasterMessage, StoreOp, WorkerMessage } from './ipc-messages.js';

const OPS: ReadonlySet<StoreOp> = new Set(['load', 'commit', 'destroyByHandle', 'destroyByPrincipal', 'listByPrincipal', 'findByHandle', 'sweepExpired', 'stats', 'ping']);

/**
 * The master's side of a worker's IpcSessionStore (docs/architecture.md §12): run the call on the one embedded store
 * and answer with its result. The store's methods are atomic by construction, so calls from several workers
 * interleave only between whole operations, as they would from several requests of one process.
 */
export function answerStoreCall(store: SessionStore, call: Extract<WorkerMessage, { sg: 'store' }>, reply: (m: MasterMessage) => void): void {
  if (!OPS.has(call.op)) {
    reply({ sg: 'store-reply', id: call.id, ok: false, code: 'SG_STORE_UNAVAILABLE', message: `unknown store call "${String(call.op)}"` });
    return;
  }
  const method = store[call.op] as (...args: unknown[]) => Promise<unknown>;
  let result: Promise<unknown>;
  try {
    result = Promise.resolve(method.apply(store, call.args));
  } catch (err) {
    result = Promise.reject(err);
  }
  result.then(
    (value) => reply({ sg: 'store-reply', id: call.id, ok: true, value }),
    (err: unknown) => {
      const e = err as { code?: unknown; message?: string };
      reply({ sg: 'store-reply', id: call.id, ok: false, code: typeof e?.code === 'string' ? e.code : 'SG_STORE_UNAVAILABLE', message: e?.message ?? String(err) });
    },
  );
}
