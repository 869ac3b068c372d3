import { StoreUnavailableError } from '../errors.js';
import type {
  CommitRequest, CommitResult, LoadOptions, LoadResult, SessionStats, SessionStore, SessionSummary, SweepOptions, SweepResult,
} from '../session/store.js';
import { isMasterMessage, type StoreCall, type StoreOp, type StoreReply, type WorkerMessage } from './ipc-messages.js';
import { TickBatch } from './tick-batch.js';

/** How a worker talks to its master: process.send and the 'message' / 'disconnect' events (a stand-in in tests). */
export interface IpcChannel {
  send(message: WorkerMessage): boolean;
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
  readonly connected: boolean;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * A worker's view of the embedded store, which lives in the master (docs/architecture.md §12): every call goes to
 * the master and is answered there — the calls of one event-loop turn in one message, their answers likewise — so all workers of a gateway see the same sessions and the sessions outlive
 * any worker (a reload, a crash). Each call runs to completion in the master's store, so it stays atomic; a master
 * that is gone is StoreUnavailableError (503), never a hang.
 */
export class IpcSessionStore implements SessionStore {
  readonly kind = 'memory' as const;
  readonly #channel: IpcChannel;
  readonly #pending = new Map<number, Pending>();
  readonly #calls: TickBatch<StoreCall>;
  #next = 1;
  #closed = false;

  constructor(channel: IpcChannel) {
    this.#channel = channel;
    this.#calls = new TickBatch((calls) => this.#send(calls));
    channel.on('message', (m) => {
      if (isMasterMessage(m) && m.sg === 'store-reply') for (const reply of m.replies) this.#settle(reply);
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
      this.#calls.push([id, op, args]);
    });
  }

  #send(calls: StoreCall[]): void {
    try {
      if (!this.#channel.connected) throw new Error('the IPC channel is closed');
      this.#channel.send({ sg: 'store', calls });
    } catch (err) {
      for (const [id] of calls) {
        const pending = this.#pending.get(id);
        this.#pending.delete(id);
        pending?.reject(new StoreUnavailableError('embedded session store unreachable', { cause: err }));
      }
    }
  }

  #settle(reply: StoreReply): void {
    const pending = this.#pending.get(reply[0]);
    if (!pending) return;
    this.#pending.delete(reply[0]);
    if (reply[1]) pending.resolve(reply[2]);
    else pending.reject(new StoreUnavailableError(`embedded session store failed: ${reply[2]}: ${reply[3]}`));
  }

  #failAll(reason: string): void {
    for (const pending of this.#pending.values()) pending.reject(new StoreUnavailableError(`embedded session store unreachable: ${reason}`));
    this.#pending.clear();
  }
}
