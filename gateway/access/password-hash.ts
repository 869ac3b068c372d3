import { createHash, timingSafeEqual } from 'node:crypto';
import apacheMd5Module from 'apache-md5';
import bcrypt from 'bcryptjs';
import { verify as verifyShaCrypt } from 'unixcrypt';

// A CommonJS module whose typings say `export default`: on Node's ESM loader the default import is the function.
const apacheMd5 = apacheMd5Module as unknown as (password: string, salt?: string) => string;

/**
 * The htpasswd hash formats nginx 1.22 verifies (ngx_crypt.c, then libc crypt(3) for the rest), minus the weak or
 * exotic ones. Supported: bcrypt (`$2y$`, `$2b$`, `$2a$`: `htpasswd -B`), Apache MD5 (`$apr1$`: `htpasswd -m`, `openssl
 * passwd -apr1`), MD5-crypt (`$1$`), SHA-256/512-crypt (`$5$`, `$6$`: `openssl passwd -5/-6`, `mkpasswd`),
 * `{SHA}` (`htpasswd -s`), `{SSHA}` and `{PLAIN}`. Refused by `check` (named, with its line): DES crypt (`htpasswd -d`:
 * only the first 8 bytes of a password count), yescrypt (`$y$`), and any other crypt(3) method. Every comparison is
 * constant-time.
 */

export type HashScheme = 'bcrypt' | 'apr1' | 'md5-crypt' | 'sha256-crypt' | 'sha512-crypt' | 'sha1' | 'ssha' | 'plain';

const SCHEMES: Array<[HashScheme, RegExp]> = [
  ['bcrypt', /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/],
  ['apr1', /^\$apr1\$[^$]{1,8}\$[./0-9A-Za-z]{22}$/],
  ['md5-crypt', /^\$1\$[^$]{1,8}\$[./0-9A-Za-z]{22}$/],
  ['sha256-crypt', /^\$5\$(rounds=\d+\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{43}$/],
  ['sha512-crypt', /^\$6\$(rounds=\d+\$)?[./0-9A-Za-z]{1,16}\$[./0-9A-Za-z]{86}$/],
  ['sha1', /^\{SHA\}[A-Za-z0-9+/]{27}=$/],
  ['ssha', /^\{SSHA\}[A-Za-z0-9+/]+={0,2}$/],
  ['plain', /^\{PLAIN\}/],
];

/** The scheme of a stored hash, or null when the gateway cannot verify it. */
export function hashScheme(hash: string): HashScheme | null {
  for (const [scheme, pattern] of SCHEMES) if (pattern.test(hash)) return scheme;
  return null;
}

/** Names what an unverifiable hash looks like, for the `check` message (never the hash itself). */
export function describeUnsupportedHash(hash: string): string {
  if (hash === '') return 'an empty password hash';
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return 'a DES crypt() hash (htpasswd -d; only 8 characters of a password count)';
  if (hash.startsWith('$y$') || hash.startsWith('$gy$')) return 'a yescrypt hash';
  if (hash.startsWith('$2x$')) return 'a "$2x$" bcrypt hash (the variant with the old sign-extension bug)';
  const prefix = /^(\$[^$]{1,8}\$|\{[A-Z0-9-]+\})/.exec(hash);
  return prefix ? `a "${prefix[1]}" hash` : 'a hash of an unknown format';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The password as the text a UTF-8 based implementation hashes; null when its bytes are not UTF-8 (cannot match). */
function asUtf8(password: Buffer): string | null {
  try {
    return utf8.decode(password);
  } catch {
    return null;
  }
}

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

function sha1(...parts: Buffer[]): Buffer {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Whether `password` (the bytes the client sent) matches `hash`. False for a hash of an unsupported scheme. */
export async function verifyPassword(password: Buffer, hash: string): Promise<boolean> {
  switch (hashScheme(hash)) {
    case 'bcrypt': {
      const text = asUtf8(password);
      return text !== null && bcrypt.compare(text, hash);
    }
    case 'apr1':
    case 'md5-crypt':
      // apache-md5 hashes a string byte by byte ("binary"): latin1 hands it the client's bytes unchanged.
      return equalText(apacheMd5(password.toString('latin1'), hash), hash);
    case 'sha256-crypt':
    case 'sha512-crypt': {
      const text = asUtf8(password);
      return text !== null && verifyShaCrypt(text, hash);
    }
    case 'sha1':
      return equalText(`{SHA}${sha1(password).toString('base64')}`, hash);
    case 'ssha': {
      const stored = Buffer.from(hash.slice('{SSHA}'.length), 'base64');
      if (stored.length <= 20) return false;
      const digest = sha1(password, stored.subarray(20));
      return timingSafeEqual(digest, stored.subarray(0, 20));
    }
    case 'plain':
      return equalText(`{PLAIN}${password.toString('latin1')}`, hash);
    default:
      return false;
  }
}
