import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The session cookie (contract): value `<id>.<sig>`; id = 256 random bits, base64url; sig = HMAC-SHA256 under the
 * first secret, every listed secret verifies (rotation). The MAC input carries a version tag so a future format can
 * never be confused with this one. A cookie whose signature fails is no cookie: no store round trip.
 */

const MAC_DOMAIN = 'sg-cookie-v1:';
const ID_BYTES = 32;
const ID_CHARS = 43; // base64url of 32 bytes, no padding
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class CookieSigner {
  readonly #keys: Buffer[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('CookieSigner needs at least one secret');
    this.#keys = secrets.map((s) => Buffer.from(s));
  }

  #mac(key: Buffer, id: string): Buffer {
    return createHmac('sha256', key).update(MAC_DOMAIN).update(id).digest();
  }

  /** A fresh session id and its cookie value. */
  mint(): { id: string; value: string } {
    return this.sign(randomBytes(ID_BYTES).toString('base64url'));
  }

  /** The cookie value of an id minted elsewhere (a login's id drawn for the store's placement, key-placement.ts). */
  sign(id: string): { id: string; value: string } {
    return { id, value: `${id}.${this.#mac(this.#keys[0]!, id).toString('base64url')}` };
  }

  /** The session id a cookie value carries, or null when it is malformed or no secret signed it. */
  verify(value: string | undefined): string | null {
    if (!value || value.length !== ID_CHARS + 1 + ID_CHARS || value[ID_CHARS] !== '.') return null;
    const id = value.slice(0, ID_CHARS);
    if (!ID_PATTERN.test(id)) return null;
    // Compare the text, not decoded bytes: base64url decoding ignores a last character's spare bits, so one
    // signature would otherwise have several spellings.
    const given = Buffer.from(value.slice(ID_CHARS + 1), 'latin1');
    if (given.length !== ID_CHARS) return null;
    for (const key of this.#keys) {
      if (timingSafeEqual(given, Buffer.from(this.#mac(key, id).toString('base64url'), 'latin1'))) return id;
    }
    return null;
  }
}

/** The store key of a session id: a dump of the store then holds no live cookie value. */
export function storageKeyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** A random, non-secret handle: the JWT `sid` claim and the admin API's session name. */
export function newHandle(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The cookie name a `Set-Cookie` value sets, as a browser reads it (RFC 6265 §5.2): the text before the first `=` of
 * the part before the first `;`, without surrounding whitespace. A value without `=` is a nameless cookie to RFC
 * 6265bis, but some parsers take it as a name: the whole part is returned so it is judged by what it spells.
 */
export function setCookieName(value: string): string {
  const semi = value.indexOf(';');
  const pair = semi === -1 ? value : value.slice(0, semi);
  const eq = pair.indexOf('=');
  return (eq === -1 ? pair : pair.slice(0, eq)).trim();
}

/**
 * A backend's `Set-Cookie` that would shadow or overwrite the gateway's session cookie: same name in any case (any
 * Path, Domain or other attribute), since a server or framework that reads cookies case-insensitively would take it
 * for the session cookie. Only the gateway sets that cookie.
 */
export function setsSessionCookie(value: string, cookieName: string): boolean {
  const name = setCookieName(value);
  return name.length === cookieName.length && name.toLowerCase() === cookieName.toLowerCase();
}
