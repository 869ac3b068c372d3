import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { StoreKeyError } from '../errors.js';

/**
 * Encryption at rest for the Redis store (docs/architecture.md §13, "Encryption at rest"): AES-256-GCM under the
 * keys of SESSION_STORE_KEY — the first encrypts, every one listed decrypts (rotation). Pure crypto, no I/O; the
 * principal index key comes from store-cipher-keyring.ts.
 *
 * A stored value is `~<bytes>~<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`. JSON text never starts with '~', so a
 * value written before encryption was turned on still reads as itself (and is encrypted on the session's next
 * write). `<bytes>` is the clear value's UTF-8 length: the commit script sizes the session by it (value_size in
 * redis-lua-prelude.ts) without seeing the value; GCM discloses the length anyway. The field name (`scope\0name`, or
 * `#p` for the principal) is the associated data, so a value moved to another field does not decrypt.
 */

export const STORE_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_LABEL = 'session-gateway/store-key-id/v1';
const ENCRYPTED = /^~(\d+)~([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/** The field name the principal is encrypted under (the meta field that holds it). */
export const PRINCIPAL_FIELD = '#p';

/**
 * SESSION_STORE_KEY's keys: comma-separated, each 32 bytes written as 64 hex digits or as base64 / base64url
 * (`openssl rand -base64 32`). Every problem is reported, none thrown.
 */
export function parseStoreKeys(text: string, problems: string[]): Buffer[] {
  const keys: Buffer[] = [];
  for (const [i, raw] of text.split(',').map((k) => k.trim()).filter(Boolean).entries()) {
    let key: Buffer | null = null;
    if (/^[0-9a-fA-F]{64}$/.test(raw)) key = Buffer.from(raw, 'hex');
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(raw)) key = Buffer.from(raw.replace(/\+/g, '-').replace(/\//g, '_').replace(/=$/, ''), 'base64url');
    if (key === null || key.length !== STORE_KEY_BYTES) {
      problems.push(`SESSION_STORE_KEY: key #${i + 1} is not ${STORE_KEY_BYTES} bytes written as 64 hex digits or base64 (make one with: openssl rand -base64 32)`);
      continue;
    }
    const same = keys.findIndex((k) => k.equals(key));
    if (same >= 0) problems.push(`SESSION_STORE_KEY: key #${i + 1} repeats key #${same + 1}`);
    keys.push(key);
  }
  return keys;
}

/** A short public name of a key (HMAC of a label): tells which listed key opens a value, reveals nothing of it. */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update(KEY_ID_LABEL).digest().subarray(0, 6).toString('base64url');
}

export function sealWith(key: Buffer, aad: string, plain: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `~${Buffer.byteLength(plain)}~${keyIdOf(key)}.${body.toString('base64url')}`;
}

/** The clear text of a sealed value, or null when it is not sealed by `key` under `aad` (or was altered). */
export function openWith(key: Buffer, aad: string, sealed: string): string | null {
  const m = ENCRYPTED.exec(sealed);
  if (!m || m[2] !== keyIdOf(key)) return null;
  const body = Buffer.from(m[3]!, 'base64url');
  if (body.length < IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * The key id a stored value was sealed under, or null for a clear value (JSON never starts with '~'; a principal in
 * clear may, so only the whole sealed form counts).
 */
export function sealedKeyId(stored: string): string | null {
  return stored.charCodeAt(0) === 0x7e ? (ENCRYPTED.exec(stored)?.[2] ?? null) : null;
}

export class StoreCipher {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #current: Buffer;
  readonly #currentId: string;
  readonly #indexKey: Buffer;

  /** `keys[0]` encrypts; `indexKey` keys the principal index HMAC (stable across rotations: store-cipher-keyring.ts). */
  constructor(keys: readonly Buffer[], indexKey: Buffer) {
    if (keys.length === 0) throw new Error('StoreCipher needs at least one key');
    this.#keys = new Map(keys.map((k) => [keyIdOf(k), k]));
    this.#current = keys[0]!;
    this.#currentId = keyIdOf(this.#current);
    this.#indexKey = indexKey;
  }

  get currentKeyId(): string {
    return this.#currentId;
  }

  seal(field: string, plain: string): string {
    return sealWith(this.#current, field, plain);
  }

  /** A stored value in clear: sealed ones opened with the key they name, clear ones (written before) as they are. */
  open(field: string, stored: string): string {
    const id = sealedKeyId(stored);
    if (id === null) return stored;
    const key = this.#keys.get(id);
    const plain = key ? openWith(key, field, stored) : null;
    if (plain === null) {
      throw new StoreKeyError(key
        ? `a stored session value (field ${JSON.stringify(field)}) does not decrypt under key id ${id}: it was altered`
        : `a stored session value was encrypted under key id ${id}, which SESSION_STORE_KEY does not list (keys: ${[...this.#keys.keys()].join(', ')})`);
    }
    return plain;
  }

  /** Sealed under the key that encrypts now: a write need not re-encrypt it. */
  isCurrent(stored: string): boolean {
    return sealedKeyId(stored) === this.#currentId;
  }

  /** The principal index id: HMAC-SHA256 of the principal, so index keys name no user. */
  principalId(principal: string): string {
    return createHmac('sha256', this.#indexKey).update(principal, 'utf8').digest('base64url');
  }
}
