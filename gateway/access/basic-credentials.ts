/**
 * The `Authorization: Basic` credentials of a request, read as nginx reads them (ngx_http_auth_basic_user): the
 * scheme case-insensitively, spaces after it skipped, base64 up to the first `=` with no other character allowed,
 * then `user:password` split at the first colon; an empty user is no credentials. User and password stay bytes:
 * nginx compares them with the htpasswd file byte for byte.
 */

export interface BasicCredentials {
  /** The user name as a latin1 string (one char per byte), so it compares byte for byte with the file's. */
  user: string;
  password: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]*$/;

export function parseBasicCredentials(header: string | undefined): BasicCredentials | null {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return null;
  let start = 6;
  while (header[start] === ' ') start++;
  const end = header.indexOf('=', start);
  const encoded = header.slice(start, end === -1 ? header.length : end);
  if (encoded.length === 0 || encoded.length % 4 === 1 || !BASE64.test(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon <= 0) return null;
  return { user: decoded.subarray(0, colon).toString('latin1'), password: decoded.subarray(colon + 1) };
}
