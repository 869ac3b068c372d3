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
