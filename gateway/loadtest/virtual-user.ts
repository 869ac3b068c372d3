import { CookieJar, type SessionCookieChange } from './cookie-jar.js';
import { exchange, type Pools } from './exchange.js';
import type { ScenarioRequest } from './scenario.js';
import type { OutcomeKind } from './timeline.js';

/**
 * Why a session counts as broken (docs/architecture.md §15): a response replaced or cleared its cookie when the
 * request was not one that may (a login), the gateway has no live session under its sid (ended, expired, killed),
 * the session is live but now belongs to another principal (or to none), or an app-specific check
 * (`ResponseCheck`) saw its data go wrong.
 */
export type BreakReason = 'cookie-replaced' | 'cookie-cleared' | 'unknown-to-gateway' | 'principal-changed' | 'app-check';

export interface BrokenSession {
  principal: string | null;
  reason: BreakReason;
  detail: string;
  /** Seconds since the load started. */
  atS: number;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Read only when a check needs it. */
  text: string | null;
}

/** An app-specific check of one answer (e.g. the demo's counter must go up by one): a message when it is wrong. */
export type ResponseCheck = (user: VirtualUser, request: ScenarioRequest, reply: Reply) => string | null;

export interface SendResult {
  kind: OutcomeKind;
  status: number | null;
  latencyMs: number;
  /** The error code of a request without an answer (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ...). */
  error: string | null;
  reply: Reply | null;
}

const TIMEOUT_CODES = new Set(['SG_LOADTEST_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * How `{user}` is escaped in a body of this content type: inside a JSON string (quotes, backslashes and controls
 * escaped, so `"{user}"` stays one string), URL-encoded in a form, as is in any other text.
 */
export function bodyEscape(contentType: string | undefined): (principal: string) => string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return (p) => JSON.stringify(p).slice(1, -1);
  if (type === 'application/x-www-form-urlencoded') return encodeURIComponent;
  return (p) => p;
}

/** `expect` of the request, or any 2xx (a login: 2xx or 3xx). */
export function isExpected(req: ScenarioRequest, status: number, login = false): boolean {
  if (req.expect) return req.expect.includes(status);
  return status >= 200 && status < (login ? 400 : 300);
}

/**
 * One simulated browser: its own cookie jar, a principal when it is logged in, and the session's `sid` when the
 * gateway told us (minted, or looked up after a login) so the admin API can be asked whether it still knows it.
 * Requests of one user are sequential, as a person clicking through an app.
 */
export class VirtualUser {
  readonly index: number;
  readonly principal: string | null;
  readonly jar: CookieJar;
  sid: string | null;
  broken: BrokenSession | null = null;
  /** Free for a ResponseCheck to keep what it expects next (the demo's counter). */
  readonly memory = new Map<string, unknown>();
  /** Bench mode: the cookie is fixed and answers do not change it. */
  readonly #fixed: boolean;

  constructor(options: { index: number; principal: string | null; sid?: string | null; cookieName: string; cookie?: string | null; fixed?: boolean }) {
    this.index = options.index;
    this.principal = options.principal;
    this.sid = options.sid ?? null;
    this.jar = new CookieJar(options.cookieName, options.cookie ?? null);
    this.#fixed = options.fixed ?? false;
  }

  /** The first break only: later ones of the same session follow from it. */
  markBroken(reason: BreakReason, detail: string, atS: number): boolean {
    if (this.broken) return false;
    this.broken = { principal: this.principal, reason, detail, atS };
    return true;
  }

  /** `{user}` in `text`, escaped by `escape` for where it goes. */
  #fill(text: string, escape: (principal: string) => string): string {
    return this.principal === null || !text.includes('{user}') ? text : text.replaceAll('{user}', escape(this.principal));
  }

  /** Send one request of the scenario to `target`; the cookie jar and expectations are applied to the answer. */
  async send(req: ScenarioRequest, target: URL, pools: Pools, timeoutMs: number, check: ResponseCheck | null, login = false): Promise<SendResult & { cookie: SessionCookieChange }> {
    const headers: Record<string, string> = {};
    // A header value takes the principal as is (it has no line breaks: the gateway refuses those in a principal).
    for (const [name, value] of Object.entries(req.headers)) headers[name] = this.#fill(value, (p) => p);
    const cookie = this.jar.header();
    if (cookie) headers.cookie = headers.cookie ? `${headers.cookie}; ${cookie}` : cookie;
    const path = this.#fill(req.path, encodeURIComponent);
    const prefix = target.pathname === '/' ? '' : target.pathname.replace(/\/+$/, '');
    const started = performance.now();
    try {
      const body = req.body === null ? null : this.#fill(req.body, bodyEscape(req.headers['content-type']));
      const res = await exchange(pools.for(target.origin), { method: req.method, path: `${prefix}${path}`, headers, body, timeoutMs, readBody: check !== null });
      const latencyMs = performance.now() - started;
      const change = this.#fixed ? 'none' : this.jar.apply(res.headers['set-cookie']);
      const reply: Reply = { status: res.status, headers: res.headers, text: res.text };
      const kind: OutcomeKind = isExpected(req, res.status, login) ? 'ok' : 'status';
      return { kind, status: res.status, latencyMs, error: null, reply, cookie: change };
    } catch (err) {
      const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
      const code = e.code ?? e.cause?.code ?? e.name ?? 'error';
      return { kind: TIMEOUT_CODES.has(code) ? 'timeout' : 'socket', status: null, latencyMs: performance.now() - started, error: code, reply: null, cookie: 'none' };
    }
  }
}
