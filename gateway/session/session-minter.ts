import { randomBytes } from 'node:crypto';
import type { GatewaySettings, SessionSettings } from '../config/settings.js';
import { AdminOperationError, GatewayError, WriteBackError } from '../errors.js';
import { NO_SESSION, type SessionService } from './session-service.js';
import { parseWriteBack } from './write-back.js';

/** One session to mint: a principal and the attributes it starts with (JSON values, in the location's scope). */
export interface MintSpec {
  principal: string;
  attributes: Record<string, unknown>;
}

export interface MintedSession {
  principal: string;
  /** The session's handle (the X-Session `sid`, the admin API's `{sid}`). */
  sid: string;
  /** `name=value`, ready for a `Cookie` request header. */
  cookie: string;
}

export interface MintBatchView {
  batch: string;
  count: number;
  createdAt: number;
}

export interface SessionMinterOptions {
  sessions: SessionService;
  /** The configuration in force (a reload replaces it): the cookie name, timeouts and scope come from a location. */
  settings: () => GatewaySettings;
  /** Minting is off unless ADMIN_TOKEN is set: without one, anyone on the host could mint a login. */
  enabled: boolean;
  clock?: () => number;
}

/** At most this many sessions per call, and remembered at once (a bound on the admin process's memory). */
export const MAX_MINT_PER_CALL = 1_000;
export const MAX_MINTED_REMEMBERED = 100_000;

const BATCH_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Logged-in sessions without the app's login form, for load tests (docs/architecture.md §15). A minted session is
 * made exactly as a backend's `X-Session-Login` + `X-Session-Update` would make it — the same write-back parser, the
 * same SessionService commit, the duplicate-login policy included — so it is indistinguishable from a real login to
 * every backend. It is marked: the store records `mint:<batch>` as the backend that wrote it (`sessions list` shows
 * it until a backend writes), and this process remembers each batch's handles so `removeBatch` ends them in one call.
 */
export class SessionMinter {
  readonly enabled: boolean;
  readonly #sessions: SessionService;
  /** The configuration in force, for the admin route to pick a location's session settings. */
  readonly settings: () => GatewaySettings;
  readonly #clock: () => number;
  readonly #batches = new Map<string, { createdAt: number; handles: Set<string> }>();
  #remembered = 0;

  constructor(options: SessionMinterOptions) {
    this.enabled = options.enabled;
    this.#sessions = options.sessions;
    this.settings = options.settings;
    this.#clock = options.clock ?? Date.now;
  }

  /** A fresh batch name, or the caller's (checked). */
  batchName(given: unknown): string {
    if (given === undefined || given === null) return `mint-${randomBytes(6).toString('base64url')}`;
    if (typeof given !== 'string' || !BATCH_PATTERN.test(given)) {
      throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', 'batch must be 1 to 64 letters, digits or "_.:-"', 400);
    }
    return given;
  }

  /** Mint one session; a refusal (bad principal or attribute, duplicate-login policy, store down) throws. */
  async mint(spec: MintSpec, settings: SessionSettings, batch: string): Promise<MintedSession> {
    this.requireEnabled();
    if (this.#remembered >= MAX_MINTED_REMEMBERED) this.#forgetExpired(settings.absoluteTimeoutMs);
    if (this.#remembered >= MAX_MINTED_REMEMBERED) {
      throw new AdminOperationError('SG_MINT_LIMIT', `${MAX_MINTED_REMEMBERED} minted sessions are remembered already: remove a batch first`, 409);
    }
    const headers = {
      // The same wire form a backend would send: the principal as UTF-8 bytes, the attributes as b64: JSON.
      'x-session-login': Buffer.from(spec.principal, 'utf8').toString('latin1'),
      'x-session-update': `b64:${Buffer.from(JSON.stringify({ set: spec.attributes }), 'utf8').toString('base64url')}`,
    };
    let outcome;
    try {
      const writeBack = parseWriteBack(headers, settings.scope)!;
      outcome = await this.#sessions.applyWriteBack(NO_SESSION, writeBack, settings, `mint:${batch}`, false);
    } catch (err) {
      // A backend's malformed write-back is a 502; the same refusal of an admin request is the caller's mistake.
      if (err instanceof WriteBackError) throw new AdminOperationError('SG_ADMIN_BAD_REQUEST', `cannot mint for ${JSON.stringify(spec.principal)}: ${err.message}`, 400);
      throw err;
    }
    if (!outcome.result || !outcome.setCookie) throw new GatewayError('SG_ADMIN_INTERNAL', 'the store created no session', 500);
    const handle = outcome.result.handle;
    this.#remember(batch, handle);
    return { principal: spec.principal, sid: handle, cookie: outcome.setCookie.split(';', 1)[0]! };
  }

  batches(): MintBatchView[] {
    return [...this.#batches].map(([batch, b]) => ({ batch, count: b.handles.size, createdAt: b.createdAt }));
  }

  /**
   * End every session of a batch (of every batch when `batch` is null): `removed` were still live, `gone` had ended
   * already (logged out, expired, evicted). The batch is forgotten either way.
   */
  async removeBatch(batch: string | null): Promise<{ batches: string[]; removed: number; gone: number }> {
    this.requireEnabled();
    const names = batch === null ? [...this.#batches.keys()] : [batch];
    if (batch !== null && !this.#batches.has(batch)) throw new AdminOperationError('SG_MINT_BATCH_NOT_FOUND', `no minted batch ${batch}`, 404);
    let removed = 0;
    let gone = 0;
    for (const name of names) {
      const handles = [...(this.#batches.get(name)?.handles ?? [])];
      // A few at a time: on a sharded store each kill by handle asks every bucket.
      for (let i = 0; i < handles.length; i += 16) {
        const ended = await Promise.all(handles.slice(i, i + 16).map((h) => this.#sessions.store.destroyByHandle(h)));
        for (const e of ended) e ? removed++ : gone++;
      }
      this.#remembered -= handles.length;
      this.#batches.delete(name);
    }
    return { batches: names, removed, gone };
  }

  /** 403 SG_MINT_DISABLED unless ADMIN_TOKEN is set. */
  requireEnabled(): void {
    if (!this.enabled) throw new AdminOperationError('SG_MINT_DISABLED', 'minting sessions is off: it needs ADMIN_TOKEN to be set on the gateway', 403);
  }

  #remember(batch: string, handle: string): void {
    let entry = this.#batches.get(batch);
    if (!entry) this.#batches.set(batch, (entry = { createdAt: this.#clock(), handles: new Set() }));
    entry.handles.add(handle);
    this.#remembered++;
  }

  /** Batches older than the absolute timeout hold only ended sessions. */
  #forgetExpired(absoluteTimeoutMs: number): void {
    const cutoff = this.#clock() - absoluteTimeoutMs;
    for (const [name, b] of this.#batches) {
      if (b.createdAt >= cutoff) continue;
      this.#remembered -= b.handles.size;
      this.#batches.delete(name);
    }
  }
}
