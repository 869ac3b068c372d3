import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { RequestVariables } from '../proxy/request-variables.js';
import type { ConnectionCounts } from './request-observer.js';
import type { RequestRecord, UpstreamAttempt } from './request-record.js';

/** What one access-log line is written from: the settled record, the bytes its connection carried, the connection. */
export interface LogContext {
  record: RequestRecord;
  bytes: { sent: number; received: number };
  connection: ConnectionCounts;
  /** The request's nginx variables (request-variables.ts); null when its head was too broken to have any. */
  variables: RequestVariables | null;
}

/**
 * A variable's value for the access log, or null when nginx would say "not found" (written `-`, or nothing with
 * escape=json). The log's own variables are known once the response is over; the others are the request's
 * (docs/architecture.md §8). Session values are the session's non-secret handle and its principal, never the cookie.
 */
export function logVariable(name: string, c: LogContext): string | null {
  const { record } = c;
  switch (name) {
    case 'status': return String(record.status).padStart(3, '0');
    case 'request_time': return seconds(record.durationSeconds * 1000);
    case 'bytes_sent': return String(c.bytes.sent);
    case 'body_bytes_sent': return String(Math.max(0, c.bytes.sent - headBytes(record.res)));
    case 'request_length': return String(c.bytes.received);
    case 'connection': return String(c.connection.serial);
    case 'connection_requests': return String(c.connection.requests);
    case 'pipe': return '.';
    case 'msec': return (Date.now() / 1000).toFixed(3);
    case 'time_iso8601': return timeIso8601();
    case 'request_id': return (record.requestId ??= c.variables?.requestId ?? randomBytes(16).toString('hex'));
    case 'upstream_addr': return tries(record, (a) => a.backend.name);
    case 'upstream_status': return tries(record, (a) => (a.status === null ? '-' : String(a.status)));
    case 'upstream_response_time': return tries(record, (a) => seconds((a.endedAt ?? record.endedAt) - a.startedAt));
    case 'upstream_header_time': return tries(record, (a) => (a.headerAt === null ? '-' : seconds(a.headerAt - a.startedAt)));
    case 'session_sid': return record.sessionHandle;
    case 'session_principal': return record.principal === null ? null : utf8Bytes(record.principal);
    default: return requestVariable(name, c);
  }
}

function requestVariable(name: string, c: LogContext): string | null {
  if (name.startsWith('sent_http_')) return sentHeader(c.record.res, name.slice(10).replace(/_/g, '-'));
  // nginx: no `?` in the request-target is "not found"; an empty query after one is an empty value.
  if ((name === 'args' || name === 'query_string') && !(c.record.req.url ?? '').includes('?')) return null;
  if (c.variables) {
    const value = c.variables.get(name);
    // nginx: a request field, argument or cookie that is absent is "not found", as is an empty $remote_user.
    return value === '' && (name === 'remote_user' || /^(http|arg|cookie)_/.test(name)) ? null : value;
  }
  const req = c.record.req;
  if (name === 'remote_addr') return req.socket.remoteAddress ?? null;
  if (name === 'request') return `${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`;
  if (name === 'request_method') return req.method ?? null;
  if (name === 'request_uri') return req.url ?? null;
  return null;
}

/** One entry per try, as nginx lists them (`10.0.0.1:80, 10.0.0.2:80`); not found when nothing was proxied. */
function tries(record: RequestRecord, value: (a: UpstreamAttempt) => string): string | null {
  if (record.attempts.length === 0) return null;
  return record.attempts.map(value).join(', ');
}

/** nginx's `%T.%03M`: seconds with millisecond resolution. */
function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/**
 * `$sent_http_NAME`: the field as it went out. A relayed head is written from a list (response-relay.ts), which Node
 * does not keep as headers it can be asked for: read it from the serialised head then.
 */
function sentHeader(res: ServerResponse, name: string): string | null {
  const kept = res.getHeader(name);
  if (kept !== undefined) return Array.isArray(kept) ? kept.join(', ') : String(kept);
  const head = (res as unknown as { _header?: string | null })._header;
  if (typeof head !== 'string') return null;
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).toLowerCase() === wanted) values.push(line.slice(colon + 1).trim());
  }
  return values.length === 0 ? null : values.join(', ');
}

/** The response head's size as it went out (Node keeps the serialised head; absent when none was sent). */
function headBytes(res: ServerResponse): number {
  const head = (res as unknown as { _header?: string | null })._header;
  return typeof head === 'string' ? Buffer.byteLength(head, 'latin1') : 0;
}

/** A line is written as bytes (latin1 string): text that is not from the wire goes in as its UTF-8 bytes. */
function utf8Bytes(text: string): string {
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

let isoSecond = -1;
let isoText = '';

/** `$time_iso8601` in the process's time zone (`2026-12-01T23:19:54+00:00`), made once per second. */
function timeIso8601(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    const d = new Date(second * 1000);
    const offset = -d.getTimezoneOffset();
    const local = new Date(d.getTime() + offset * 60_000).toISOString().slice(0, 19);
    const abs = Math.abs(offset);
    isoText = `${local}${offset >= 0 ? '+' : '-'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    isoSecond = second;
  }
  return isoText;
}
