import type { AdminClient } from '../cli/admin-client.js';
import type { LoadEngine } from './load-engine.js';
import { inTurns } from './in-turns.js';
import type { VirtualUser } from './virtual-user.js';

export interface IntegrityCounts {
  /** Admin API look-ups made (a sample every second during the load, then every session). */
  checks: number;
  /** Look-ups that got no answer (the admin API was unreachable or failed): not counted as broken. */
  checkErrors: number;
  /** Sessions whose sid the gateway never told us (an app login it did not list): the cookie checks still apply. */
  unverifiable: number;
}

interface SessionList {
  sessions: Array<{ sid: string }>;
}

/**
 * Whether the gateway still knows each session, through the admin API (docs/architecture.md §15): the user's sid
 * must be among its principal's sessions. A missing one has ended (expired, killed, evicted) or now belongs to
 * another principal; either way that user was logged out, and the session counts as broken.
 */
export class IntegrityChecker {
  readonly counts: IntegrityCounts = { checks: 0, checkErrors: 0, unverifiable: 0 };
  readonly #client: AdminClient;
  readonly #engine: LoadEngine;
  readonly #users: VirtualUser[];
  #cursor = 0;
  #timer: NodeJS.Timeout | null = null;
  #busy: Promise<void> = Promise.resolve();

  constructor(client: AdminClient, engine: LoadEngine, users: VirtualUser[]) {
    this.#client = client;
    this.#engine = engine;
    this.#users = users.filter((u) => u.principal !== null && u.sid !== null);
    this.counts.unverifiable = users.filter((u) => u.principal !== null && u.sid === null).length;
  }

  async #check(user: VirtualUser): Promise<void> {
    if (user.broken) return;
    this.counts.checks++;
    let list: SessionList;
    try {
      list = await this.#client.get<SessionList>(`/api/sessions?principal=${encodeURIComponent(user.principal!)}`);
    } catch {
      this.counts.checkErrors++;
      return;
    }
    if (!list.sessions.some((s) => s.sid === user.sid)) {
      this.#engine.breakSession(user, 'unknown-to-gateway', `the admin API no longer lists sid ${user.sid} under ${user.principal}`);
    }
  }

  /** Check `perSecond` sessions every second, in turn, while the load runs. */
  startSampling(perSecond: number): void {
    if (this.#users.length === 0 || perSecond <= 0) return;
    this.#timer = setInterval(() => {
      const batch = Array.from({ length: Math.min(perSecond, this.#users.length) }, () => this.#users[this.#cursor++ % this.#users.length]!);
      // One sample at a time: a slow admin API must not pile up look-ups behind the load.
      this.#busy = this.#busy.then(() => inTurns(batch, 4, (u) => this.#check(u)));
    }, 1000);
  }

  async stopSampling(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#busy;
  }

  /** Every session, after the load. */
  async checkAll(): Promise<void> {
    await inTurns(this.#users, 8, (u) => this.#check(u));
  }
}
