import { randomBytes } from 'node:crypto';
import { DEFAULT_SWEEP_INTERVAL_MS } from '../config/env.js';
import type { Logger } from '../log.js';
import type { SessionStore } from './store.js';

/**
 * Ends sessions whose idle or absolute deadline passed, on every gateway, without Redis keyspace notifications
 * (managed Redis often forbids them): every `intervalMs` each gateway tries the store's sweep; a lock in the store
 * lets one of them run it per period. Each ended session is logged as `session.expired` by the gateway that ended it.
 */
export interface ExpirySweeperOptions {
  store: SessionStore;
  log: Logger;
  /** How often to try; also the lock period. Default 5 s. */
  intervalMs?: number;
  /** Sessions ended per store call (one script run each). Default 200. */
  batch?: number;
  clock?: () => number;
}

const DEFAULT_BATCH = 200;
/** A lot of expired sessions at once (a mass idle-out) are swept in at most this many batches per tick. */
const MAX_BATCHES_PER_TICK = 50;

export class ExpirySweeper {
  readonly #store: SessionStore;
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #batch: number;
  readonly #clock: () => number;
  readonly #owner = `sweeper-${process.pid}-${randomBytes(6).toString('hex')}`;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: ExpirySweeperOptions) {
    this.#store = options.store;
    this.#log = options.log;
    this.#intervalMs = options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    this.#batch = options.batch ?? DEFAULT_BATCH;
    this.#clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (!this.#running) this.#running = this.sweepOnce().then(() => undefined).finally(() => (this.#running = null));
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One tick: sweep in batches while the store says there is more. Store failures are logged, never thrown. */
  async sweepOnce(): Promise<number> {
    let ended = 0;
    try {
      for (let i = 0; i < MAX_BATCHES_PER_TICK; i++) {
        const result = await this.#store.sweepExpired(this.#clock(), { owner: this.#owner, lockMs: this.#intervalMs, batch: this.#batch });
        if (!result.swept) break;
        for (const s of result.expired) {
          this.#log.info({ event: 'session.expired', reason: s.reason, sid: s.handle, principal: s.principal, by: 'sweep' }, `session expired (${s.reason})`);
        }
        ended += result.expired.length;
        if (!result.more) break;
      }
    } catch (err) {
      this.#log.warn({ event: 'session.sweep_failed', code: (err as { code?: string }).code, cause: (err as Error).message }, 'expiry sweep failed; retried next interval');
    }
    return ended;
  }
}
