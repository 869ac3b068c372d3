import type { IncomingMessage } from 'node:http';
import { ClientRequestError } from '../errors.js';
import { parseRequestUri, type RequestUri } from './request-uri.js';
import { RequestSlot } from '../request-slot.js';

/**
 * The checks nginx 1.22 makes on a request head before it picks a server block (ngx_http_process_request_headers,
 * ngx_http_validate_host): a second Host, or a second copy of a field that must be unique, is a 400; so is a Host
 * nginx would not accept. What passes is the request as the rest of the path sees it: its normalised URI and `$host`.
 */
export interface RequestHead {
  uri: RequestUri;
  /** The validated host (lower case, port and a trailing dot removed); '' when the request names none (HTTP/1.0). */
  host: string;
  /** Groups of the regex `server_name` that chose the server (`$1`…, named ones); null when none did. */
  serverCaptures: Map<string, string> | null;
}

/** Fields nginx refuses to see twice ("client sent duplicate header line"). */
const UNIQUE = new Set([
  'host', 'content-length', 'content-range', 'transfer-encoding', 'expect', 'authorization',
  'if-modified-since', 'if-unmodified-since', 'if-match', 'if-none-match', 'if-range',
]);
const UNIQUE_LENGTHS = new Set([...UNIQUE].map((name) => name.length));

/**
 * ngx_http_validate_host: null when nginx answers 400. No empty labels (`a..b`), no `/`, `\`, controls, spaces or
 * DEL; the port (or anything after the first `:` outside an IPv6 literal) is dropped, then one trailing dot.
 */
export function validateHost(value: string): string | null {
  let dotPos = -2;
  let hostLen = value.length;
  let state: 'usual' | 'literal' | 'rest' = 'usual';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch === 0x2e) {
      if (dotPos === i - 1) return null;
      dotPos = i;
    } else if (ch === 0x3a) {
      if (state === 'usual') {
        hostLen = i;
        state = 'rest';
      }
    } else if (ch === 0x5b) {
      if (i === 0) state = 'literal';
    } else if (ch === 0x5d) {
      if (state === 'literal') {
        hostLen = i + 1;
        state = 'rest';
      }
    } else if (ch === 0x2f || ch === 0x5c || ch <= 0x20 || ch === 0x7f) return null;
  }
  if (dotPos === hostLen - 1) hostLen -= 1;
  if (hostLen <= 0) return null;
  return value.slice(0, hostLen).toLowerCase();
}

/** Parse and check a request head; throws ClientRequestError (400) for what nginx refuses. */
export function readRequestHead(req: IncomingMessage): RequestHead {
  const seen: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    // Most names cannot be one of these by their length alone: no lower-casing for them.
    if (!UNIQUE_LENGTHS.has(raw[i]!.length)) continue;
    const lower = raw[i]!.toLowerCase();
    if (!UNIQUE.has(lower)) continue;
    if (seen.includes(lower)) throw new ClientRequestError('SG_BAD_REQUEST', `client sent a duplicate "${raw[i]}" header`, 400);
    seen.push(lower);
  }
  const uri = parseRequestUri(req.url ?? '/');
  if (!uri) throw new ClientRequestError('SG_BAD_REQUEST', 'invalid request-target (bad escape, NUL, or a path above "/")', 400);
  let host = '';
  if (uri.host !== null) {
    const fromLine = validateHost(uri.host);
    if (fromLine === null) throw new ClientRequestError('SG_BAD_REQUEST', 'invalid host in the request line', 400);
    host = fromLine;
  }
  const header = req.headers.host;
  if (header !== undefined) {
    const fromHeader = validateHost(header);
    if (fromHeader === null) throw new ClientRequestError('SG_BAD_REQUEST', 'invalid "Host" header', 400);
    // The request line's host wins (RFC 9112 §3.2.2), as in nginx; the header is still checked.
    if (uri.host === null) host = fromHeader;
  }
  return { uri, host, serverCaptures: null };
}

const heads = new RequestSlot<RequestHead, IncomingMessage>('session-gateway.head');

/** Keep the checked head with its request, so every later step reads the same normalised URI. */
export function rememberRequestHead(req: IncomingMessage, head: RequestHead): void {
  heads.set(req, head);
}

/** The request's checked head (parsed now when no listener did it first). Throws ClientRequestError like readRequestHead. */
export function requestHeadOf(req: IncomingMessage): RequestHead {
  let head = heads.get(req);
  if (!head) {
    head = readRequestHead(req);
    heads.set(req, head);
  }
  return head;
}
