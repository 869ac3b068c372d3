import { StoreUnavailableError } from '../errors.js';
import type {
  CommitRequest, CommitResult, LoadOptions, LoadResult, SessionStats, SessionStore, SessionSummary, SweepOptions, SweepResult,
} from '../session/store.js';
import { isMasterMessage, type MasterMessage, type StoreOp, type WorkerMessage } from './ipc-messages.js';

/** How a worker talks to its master: process.send and the 'message' / 'disconnect' events (a stand-in in tests). */
export interface IpcChannel {
  send(message: WorkerMessage): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  readonly connected: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * A worker's view of the embedded store, which lives in the master (docs/architecture.md §12): every call is one
 * message to the master and one answer, so all workers of a gateway see the same sessions and the sessions outlive
 * any worker (a reload, a crash). Each call runs to completion in the master's store, so it stays atomic; a master
 * that is gone is StoreUnavailableError (503), never a hang.
 */
export class IpcSessionStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #channel: IpcChannel;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #closed = false;

  constructor(channel: IpcChannel) {
    this.#channel = channel;
    channel.on('message', (m) => {
      if (isMasterMessage(m) && m.sg === 'store-reply') this.#settle(m);
    });
    channel.on('disconnect', () => this.#failAll('the master process is gone'));
  }

  load(key: string, options: LoadOptions): Promise<LoadResult> {
    return this.#call('load', [key, options]);
  }

  commit(request: CommitRequest): Promise<CommitResult> {
    return this.#call('commit', [request]);
  }

  destroyByHandle(handle: string): Promise<boolean> {
    return this.#call('destroyByHandle', [handle]);
  }

  destroyByPrincipal(principal: string, now: number): Promise<string[]> {
    return this.#call('destroyByPrincipal', [principal, now]);
  }

  listByPrincipal(principal: string, now: number): Promise<SessionSummary[]> {
    return this.#call('listByPrincipal', [principal, now]);
  }

  findByHandle(handle: string, now: number): Promise<SessionSummary | null> {
    return this.#call('findByHandle', [handle, now]);
  }

  sweepExpired(now: number, options: SweepOptions): Promise<SweepResult> {
    return this.#call('sweepExpired', [now, options]);
  }

  stats(now: number): Promise<SessionStats> {
    return this.#call('stats', [now]);
  }

  ping(): Promise<void> {
    return this.#call('ping', []);
  }

  /** The store belongs to the master: closing a worker's view only refuses further calls. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #call<T>(op: StoreOp, args: unknown[]): Promise<T> {
    if (this.#closed || !this.#channel.connected) return Promise.reject(new StoreUnavailableError('embedded session store unreachable: the master process is gone'));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        this.#channel.send({ sg: 'store', id, op, args });
      } catch (err) {
        this.#pending.delete(id);
        reject(new StoreUnavailableError('embedded session store unreachable', { cause: err }));
      }
    });
  }

  #settle(m: Extract<MasterMessage, { sg: 'store-reply' }>): void {
    const pending = this.#pending.get(m.id);
    if (!pending) return;
    this.#pending.delete(m.id);
    if (m.ok) pending.resolve(m.value);
    else pending.reject(new StoreUnavailableError(`embedded session store failed: ${m.code}: ${m.message}`));
  }

  #failAll(reason: string): void {
    for (const pending of this.#pending.values()) pending.reject(new StoreUnavailableError(`embedded session store unreachable: ${reason}`));
    this.#pending.clear();
  }
}
