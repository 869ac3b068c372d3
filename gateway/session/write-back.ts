import { WriteBackError } from '../errors.js';
import { attributeField, type AttributeOps } from './store.js';

/**
 * The write-back protocol (contract): a backend changes the session only through these response headers, which
 * the gateway strips before the response reaches the client.
 *   X-Session-Update: {"set":{k:v},"unset":[k],"incr":{k:n}}   (JSON text, or "b64:" + base64url(JSON) for non-ASCII)
 *   X-Session-Login: <principal>                               (UTF-8 bytes, or "b64:" + base64url(UTF-8))
 *   X-Session-Logout: 1
 * Parsing is strict: anything malformed is refused whole (the gateway answers 502 and the session stays as it was).
 */

export const WRITE_BACK_HEADERS = ['x-session-update', 'x-session-login', 'x-session-logout'] as const;
export const MAX_UPDATE_HEADER_BYTES = 64 * 1024;
const MAX_NAME_LENGTH = 256;
/** A principal is at most this many bytes of UTF-8 (an e-mail address is at most 254). */
export const MAX_PRINCIPAL_BYTES = 256;
/**
 * No control characters (C0, DEL, C1) and no Unicode line breaks: names end up in log lines, one per line. No lone
 * UTF-16 surrogates either: they have no UTF-8 form, so a store would turn them all into U+FFFD and merge them.
 */
const NAME_PATTERN = /^[^\x00-\x1f\x7f-\x9f\u2028\u2029\p{Cs}]+$/u;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const B64_PREFIX = 'b64:';
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface WriteBack {
  ops: AttributeOps;
  login: string | null;
  logout: boolean;
}

type HeaderValue = string | string[] | undefined;

function single(name: string, value: HeaderValue): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw new WriteBackError('SG_WRITEBACK_MALFORMED', `${name} sent more than once`);
    return value[0];
  }
  return value;
}

function checkName(kind: string, name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !NAME_PATTERN.test(name)) {
    throw new WriteBackError('SG_WRITEBACK_MALFORMED', `${kind}: attribute name ${JSON.stringify(name.slice(0, 40))} is empty, too long or has control characters`);
  }
}

/**
 * The text of a write-back header. Header bytes reach the gateway as a latin1 string (one character per byte on the
 * wire); the protocol's text is UTF-8, sent either as raw bytes or as `b64:` + base64url. Bytes that are not UTF-8
 * (a Latin-1 `jos\xE9` from a Java or Python backend) are refused, never replaced by U+FFFD: replacing them would let
 * two different names decode to one (`jos\xE9` and `jos\xE8` would both become `jos\uFFFD`).
 */
export function decodeHeaderText(header: string, raw: string): string {
  let bytes: Buffer;
  if (raw.startsWith(B64_PREFIX)) {
    const encoded = raw.slice(B64_PREFIX.length);
    if (!BASE64URL.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
      throw new WriteBackError('SG_WRITEBACK_MALFORMED', `${header}: the b64: form is not base64url`);
    }
    bytes = Buffer.from(encoded, 'base64url');
  } else {
    bytes = Buffer.from(raw, 'latin1');
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new WriteBackError('SG_WRITEBACK_MALFORMED', `${header} is not valid UTF-8 (send UTF-8 bytes, or "b64:" + base64url of the UTF-8 text)`);
  }
}

function decodeUpdate(raw: string): unknown {
  // The header arrives as a latin1 string, one character per byte on the wire.
  if (raw.length > MAX_UPDATE_HEADER_BYTES) {
    throw new WriteBackError('SG_WRITEBACK_TOO_LARGE', `X-Session-Update is larger than ${MAX_UPDATE_HEADER_BYTES} bytes`);
  }
  const text = decodeHeaderText('X-Session-Update', raw);
  try {
    return JSON.parse(text);
  } catch {
    throw new WriteBackError('SG_WRITEBACK_MALFORMED', 'X-Session-Update is not valid JSON');
  }
}

/** X-Session-Login: raw UTF-8 or `b64:`; 1 to 256 bytes, no control characters. */
function decodePrincipal(raw: string): string {
  const principal = decodeHeaderText('X-Session-Login', raw);
  if (principal.length === 0 || Buffer.byteLength(principal) > MAX_PRINCIPAL_BYTES || !NAME_PATTERN.test(principal)) {
    throw new WriteBackError('SG_WRITEBACK_MALFORMED', `X-Session-Login must be a principal of 1 to ${MAX_PRINCIPAL_BYTES} bytes of UTF-8 without control characters`);
  }
  return principal;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse the write-back headers of a backend response; null when it sent none. Scope maps names to fields. */
export function parseWriteBack(headers: Record<string, HeaderValue>, scope: string): WriteBack | null {
  const updateRaw = single('X-Session-Update', headers['x-session-update']);
  const loginRaw = single('X-Session-Login', headers['x-session-login']);
  const logoutRaw = single('X-Session-Logout', headers['x-session-logout']);
  if (updateRaw === undefined && loginRaw === undefined && logoutRaw === undefined) return null;

  const ops: AttributeOps = { set: new Map(), unset: [], incr: new Map() };
  if (updateRaw !== undefined) {
    const update = decodeUpdate(updateRaw.trim());
    if (!isPlainObject(update)) throw new WriteBackError('SG_WRITEBACK_MALFORMED', 'X-Session-Update must be a JSON object');
    const seen = new Set<string>();
    const claim = (kind: string, name: string): string => {
      checkName(kind, name);
      if (seen.has(name)) throw new WriteBackError('SG_WRITEBACK_MALFORMED', `attribute "${name}" appears in more than one operation`);
      seen.add(name);
      return attributeField(scope, name);
    };
    for (const key of Object.keys(update)) {
      if (key !== 'set' && key !== 'unset' && key !== 'incr') {
        throw new WriteBackError('SG_WRITEBACK_MALFORMED', `X-Session-Update has an unknown operation "${key.slice(0, 40)}"`);
      }
    }
    if (update.set !== undefined) {
      if (!isPlainObject(update.set)) throw new WriteBackError('SG_WRITEBACK_MALFORMED', '"set" must be an object');
      for (const [name, value] of Object.entries(update.set)) {
        if (value === undefined) continue;
        ops.set.set(claim('set', name), JSON.stringify(value));
      }
    }
    if (update.unset !== undefined) {
      if (!Array.isArray(update.unset) || !update.unset.every((n) => typeof n === 'string')) {
        throw new WriteBackError('SG_WRITEBACK_MALFORMED', '"unset" must be an array of attribute names');
      }
      for (const name of update.unset as string[]) ops.unset.push(claim('unset', name));
    }
    if (update.incr !== undefined) {
      if (!isPlainObject(update.incr)) throw new WriteBackError('SG_WRITEBACK_MALFORMED', '"incr" must be an object');
      for (const [name, delta] of Object.entries(update.incr)) {
        if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) {
          throw new WriteBackError('SG_WRITEBACK_MALFORMED', `"incr" of "${name.slice(0, 40)}" must be an integer`);
        }
        ops.incr.set(claim('incr', name), delta);
      }
    }
  }

  let login: string | null = null;
  if (loginRaw !== undefined) {
    login = decodePrincipal(loginRaw.trim());
  }
  let logout = false;
  if (logoutRaw !== undefined) {
    const v = logoutRaw.trim().toLowerCase();
    if (v !== '1' && v !== 'true') throw new WriteBackError('SG_WRITEBACK_MALFORMED', 'X-Session-Logout must be "1"');
    logout = true;
  }
  if (login !== null && logout) throw new WriteBackError('SG_WRITEBACK_MALFORMED', 'X-Session-Login and X-Session-Logout in one response');
  return { ops, login, logout };
}

export function hasAttributeOps(ops: AttributeOps): boolean {
  return ops.set.size > 0 || ops.unset.length > 0 || ops.incr.size > 0;
}
