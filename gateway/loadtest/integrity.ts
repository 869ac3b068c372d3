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

/** What `GET /api/sessions/{sid}` answers (admin/session-routes.ts SessionView); only these are read here. */
interface SessionView {
  sid: string;
  principal: string | null;
}

/**
 * Whether the gateway still knows each session as its user's, through the admin API (docs/architecture.md §15): the
 * user's sid is looked up (`GET /api/sessions/{sid}`). None live: it ended (expired, killed, evicted) and that user
 * was logged out. Live under another principal: the app logged the browser in as someone else — the user now sees
 * another person's data. Either way the session counts as broken, each with its own reason.
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
    let view: SessionView;
    try {
      view = await this.#client.get<SessionView>(`/api/sessions/${encodeURIComponent(user.sid!)}`);
    } catch (err) {
      if ((err as { code?: string }).code === 'SG_SESSION_NOT_FOUND') {
        this.#engine.breakSession(user, 'unknown-to-gateway', `the gateway has no live session with sid ${user.sid} (it ended)`);
      } else this.counts.checkErrors++;
      return;
    }
    if (view.principal !== user.principal) {
      const now = view.principal === null ? 'no principal (logged out, session kept)' : `principal ${JSON.stringify(view.principal)}`;
      this.#engine.breakSession(user, 'principal-changed', `sid ${user.sid} of ${JSON.stringify(user.principal)} now has ${now}`);
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
