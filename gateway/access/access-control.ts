import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import type { AccessRules, AccessSettings, BasicAuthSettings } from './access-settings.js';
import { checkAddress } from './address-rules.js';
import { parseBasicCredentials } from './basic-credentials.js';
import { UserFile } from './user-file.js';

/**
 * nginx's access phase for one request (ngx_http_core_access_phase): `limit_except` picks the rules for the method,
 * then allow/deny run first and auth_basic second, combined by `satisfy`. With `satisfy all` a deny answers 403 at
 * once and then the credentials must be right; with `satisfy any` an allow or right credentials admit the request,
 * and a refusal is 401 when the credentials were asked for, else 403. A 401 waits `auth_delay` first.
 * It runs before the session is loaded, so a refused request costs no store round trip (docs/architecture.md §16).
 */

export type RefusalReason = 'internal' | 'rule' | 'no_credentials' | 'unknown_user' | 'password_mismatch' | 'user_file_missing' | 'user_file_unreadable';

export interface AccessRefusal {
  status: 401 | 403 | 404 | 500;
  code: 'SG_ACCESS_DENIED' | 'SG_AUTH_REQUIRED' | 'SG_NO_LOCATION' | 'SG_AUTH_USER_FILE';
  reason: RefusalReason;
  message: string;
  /** The WWW-Authenticate value of a 401. */
  challenge?: string;
  /** The user name the client sent, for the log line (never the password). */
  user?: string;
}

export const INTERNAL_REFUSAL: AccessRefusal = { status: 404, code: 'SG_NO_LOCATION', reason: 'internal', message: 'no location matches this path' };

type Outcome = 'ok' | AccessRefusal;

export class AccessControl {
  readonly #log: Logger;
  readonly #files = new Map<string, UserFile>();

  /** Reads every htpasswd file the settings name, now (start-up), so the first request does not wait for a disk. */
  constructor(log: Logger, userFiles: Iterable<string>) {
    this.#log = log;
    for (const path of userFiles) if (!this.#files.has(path)) this.#files.set(path, new UserFile(path, log));
  }

  userFile(path: string): UserFile {
    let file = this.#files.get(path);
    if (!file) {
      file = new UserFile(path, this.#log);
      this.#files.set(path, file);
    }
    return file;
  }

  /** null when the request may go on; else what to answer. Call only when `access.restricted`. */
  async check(req: IncomingMessage, access: AccessSettings): Promise<AccessRefusal | null> {
    if (access.internal) return INTERNAL_REFUSAL;
    const rules: AccessRules = access.limitExcept && !access.limitExcept.methods.includes(req.method ?? '') ? access.limitExcept : access;
    const verdict = rules.addressRules ? checkAddress(rules.addressRules, req.socket.remoteAddress) : null;
    let outcome: Outcome;
    if (access.satisfy === 'all') {
      outcome = verdict === 'deny' ? denied() : rules.basicAuth ? await this.#authenticate(req, rules.basicAuth) : 'ok';
    } else if (verdict === 'allow') outcome = 'ok';
    else {
      // The credentials' answer wins over a deny: nginx asks for credentials (401) rather than refuse (403).
      const auth = rules.basicAuth ? await this.#authenticate(req, rules.basicAuth) : null;
      outcome = auth ?? (verdict === 'deny' ? denied() : 'ok');
    }
    if (outcome === 'ok') return null;
    if (outcome.status === 401 && access.authDelayMs > 0) await sleep(access.authDelayMs);
    return outcome;
  }

  async #authenticate(req: IncomingMessage, auth: BasicAuthSettings): Promise<Outcome> {
    const challenge = `Basic realm="${auth.realm.replace(/["\\]/g, '\\$&')}"`;
    const credentials = parseBasicCredentials(req.headers.authorization);
    if (!credentials) return { status: 401, code: 'SG_AUTH_REQUIRED', reason: 'no_credentials', message: 'authentication required', challenge };
    const file = this.userFile(auth.userFile);
    file.refreshIfStale();
    if (file.state === 'missing') return { status: 403, code: 'SG_ACCESS_DENIED', reason: 'user_file_missing', message: 'access denied' };
    if (file.state === 'unreadable') return { status: 500, code: 'SG_AUTH_USER_FILE', reason: 'user_file_unreadable', message: 'the user file cannot be read' };
    const result = await file.check(credentials.user, credentials.password);
    if (result === 'ok') return 'ok';
    const user = credentials.user.length > 64 ? `${credentials.user.slice(0, 64)}…` : credentials.user;
    return { status: 401, code: 'SG_AUTH_REQUIRED', reason: result === 'unknown_user' ? 'unknown_user' : 'password_mismatch', message: 'authentication required', challenge, user };
  }
}

function denied(): AccessRefusal {
  return { status: 403, code: 'SG_ACCESS_DENIED', reason: 'rule', message: 'access denied' };
}
