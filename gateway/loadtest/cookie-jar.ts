/** What a response did to the session cookie of one virtual user. */
export type SessionCookieChange = 'none' | 'set' | 'replaced' | 'cleared';

/** True when a `Set-Cookie` line deletes its cookie: an empty value, `Max-Age` ≤ 0 or an `Expires` in the past. */
export function deletesCookie(line: string, value: string, now: number): boolean {
  if (value === '') return true;
  for (const attribute of line.split(';').slice(1)) {
    const [rawName, ...rest] = attribute.split('=');
    const name = rawName?.trim().toLowerCase();
    const v = rest.join('=').trim();
    if (name === 'max-age' && Number(v) <= 0) return true;
    if (name === 'expires' && Date.parse(v) <= now) return true;
  }
  return false;
}

/**
 * One virtual user's cookies, as a browser keeps them for one site: every `Set-Cookie` updates or deletes its
 * cookie (Domain and Path are not modelled: the load goes to one site), and every request carries them all. The
 * session cookie is watched: `apply` says whether a response set, replaced or cleared it.
 */
export class CookieJar {
  readonly sessionCookieName: string;
  readonly #cookies = new Map<string, string>();
  #header: string | null = null;

  constructor(sessionCookieName: string, initial: string | null = null) {
    this.sessionCookieName = sessionCookieName;
    for (const pair of initial ? initial.split(';') : []) {
      const at = pair.indexOf('=');
      if (at > 0) this.#cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    this.#rebuild();
  }

  /** The `Cookie` request header, or null without cookies. */
  header(): string | null {
    return this.#header;
  }

  get sessionCookie(): string | null {
    return this.#cookies.get(this.sessionCookieName) ?? null;
  }

  apply(setCookie: string | string[] | undefined, now = Date.now()): SessionCookieChange {
    if (setCookie === undefined) return 'none';
    let change: SessionCookieChange = 'none';
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const pair = line.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const before = this.#cookies.get(name);
      if (deletesCookie(line, value, now)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
      if (name !== this.sessionCookieName) continue;
      const after = this.#cookies.get(name);
      if (after === before) continue;
      change = after === undefined ? 'cleared' : before === undefined ? 'set' : 'replaced';
    }
    if (change !== 'none' || setCookie.length > 0) this.#rebuild();
    return change;
  }

  #rebuild(): void {
    this.#header = this.#cookies.size === 0 ? null : [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}
