import { headerNameOf } from './header-names.js';

/** The response head of a backend, as the request path needs it. */
export interface BackendResponseHead {
  statusCode: number;
  /** The reason phrase as it was on the wire, one character per byte (latin1): forwarded byte for byte. */
  statusText: string;
  /** Lower-case name → value (repeated fields as arrays): for the lookups the gateway does. */
  headers: Record<string, string | string[]>;
  /** Name, value, name, value… in the backend's order and spelling: what is passed on to the client. */
  raw: string[];
  /** The lower-case name of each field of `raw`, in its order (one per pair). */
  lowerNames: string[];
}

/** reason-phrase = *( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4): obs-text covers UTF-8 and Latin-1 bytes. */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The head undici parsed, in the form the gateway forwards. undici decodes the reason phrase as UTF-8; it is turned
 * back into its wire bytes so that `404 未找到` reaches the client as the backend sent it (Node writes the status line
 * as latin1, one byte per character; a UTF-8 string would make it throw).
 */
export function responseHead(statusCode: number, statusText: string, rawHeaders: Buffer[]): BackendResponseHead {
  const headers: Record<string, string | string[]> = {};
  const raw: string[] = [];
  const lowerNames: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const { name, lower } = headerNameOf(rawHeaders[i]!);
    const value = rawHeaders[i + 1]!.toString('latin1');
    const prior = headers[lower];
    headers[lower] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
    raw.push(name, value);
    lowerNames.push(lower);
  }
  const wireReason = /^[\x20-\x7e]*$/.test(statusText) ? statusText : Buffer.from(statusText, 'utf8').toString('latin1');
  return { statusCode, statusText: wireReason, headers, raw, lowerNames };
}

/**
 * Why a backend's final response head cannot be forwarded as it is (502 SG_BACKEND_BAD_RESPONSE), or null. undici's
 * parser already refuses malformed framing and header fields; these are what it lets through and a client must not
 * get: a status outside 100–999 (Node cannot write it), a reason phrase with control characters, a transfer-coding
 * other than chunked (the gateway would forward a body still encoded, under headers that say it is not; nginx answers
 * 502 to it too).
 */
export function unforwardableHead(head: Pick<BackendResponseHead, 'statusCode' | 'statusText' | 'headers'>): string | null {
  if (!Number.isInteger(head.statusCode) || head.statusCode < 100 || head.statusCode > 999) return `status ${head.statusCode} is not a three-digit HTTP status`;
  if (!REASON_PHRASE.test(head.statusText)) return 'the reason phrase has a control character';
  const coding = head.headers['transfer-encoding'];
  if (coding !== undefined) {
    const codings = (Array.isArray(coding) ? coding.join(',') : coding).split(',').map((c) => c.trim().toLowerCase());
    if (codings.length !== 1 || codings[0] !== 'chunked') return `Transfer-Encoding "${codings.join(', ').slice(0, 60)}" is not chunked`;
  }
  return null;
}
