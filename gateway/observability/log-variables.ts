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

/** A variable's value for one line, or null when nginx would say "not found" (written `-`, or nothing with escape=json). */
export type LogValue = (c: LogContext) => string | null;

/**
 * How a format reads one variable, resolved once when the format is compiled (log-line.ts), so a line costs no lookup
 * by name. `plain`: the value is digits, dots, dashes and `, ` only, and is written without escaping. `request`: the
 * value comes from the request's variables (the logger asks the request path for them only when a format needs them).
 */
export interface LogVariable {
  value: LogValue;
  plain: boolean;
  request: boolean;
}

const log = (value: LogValue, plain = true): LogVariable => ({ value, plain, request: false });

/** `$status` as nginx writes it (3 digits), made once per code. */
const STATUS_TEXT: string[] = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * The log's own variables, known once the response is over (docs/architecture.md §8); the others are the request's.
 * Session values are the session's non-secret handle and its principal, never the cookie.
 */
const OWN: Record<string, LogVariable> = {
  status: log((c) => STATUS_TEXT[c.record.status] ?? String(c.record.status)),
  request_time: log((c) => seconds(c.record.durationSeconds * 1000)),
  bytes_sent: log((c) => String(c.bytes.sent)),
  body_bytes_sent: log((c) => String(Math.max(0, c.bytes.sent - headBytes(c.record.res)))),
  request_length: log((c) => String(c.bytes.received)),
  connection: log((c) => String(c.connection.serial)),
  connection_requests: log((c) => String(c.connection.requests)),
  pipe: log(() => '.'),
  msec: log(() => (Date.now() / 1000).toFixed(3)),
  time_iso8601: log(() => timeIso8601()),
  time_local: log(() => timeLocal(), false),
  // Escaped like any text: with $gateway_request_id_header the id comes from the client (checked there, but not here).
  request_id: log((c) => (c.record.requestId ??= c.variables?.requestId ?? randomBytes(16).toString('hex')), false),
  upstream_addr: log((c) => tries(c.record, backendName), false),
  upstream_status: log((c) => tries(c.record, upstreamStatus)),
  upstream_response_time: log((c) => tries(c.record, responseTime)),
  upstream_header_time: log((c) => tries(c.record, headerTime)),
  upstream_connect_time: log((c) => tries(c.record, connectTime)),
  upstream_bytes_sent: log((c) => tries(c.record, (a) => String(a.exchange?.bytesSent ?? 0))),
  upstream_bytes_received: log((c) => tries(c.record, (a) => String(a.exchange?.bytesReceived ?? 0))),
  session_sid: log((c) => c.record.sessionHandle, false),
  session_principal: log((c) => (c.record.principal === null ? null : utf8Bytes(c.record.principal)), false),
};

/** The reader of `$name` for a compiled format. */
export function logVariable(name: string): LogVariable {
  const own = OWN[name];
  if (own) return own;
  if (name.startsWith('sent_http_')) {
    const field = name.slice(10).replace(/_/g, '-');
    return log((c) => sentHeader(c.record.res, field), false);
  }
  // nginx: no `?` in the request-target is "not found"; an empty query after one is an empty value.
  const queryNeeded = name === 'args' || name === 'query_string';
  // nginx: a request field, argument or cookie that is absent is "not found", as is an empty $remote_user.
  const emptyIsAbsent = name === 'remote_user' || /^(http|arg|cookie)_/.test(name);
  return {
    plain: false,
    request: true,
    value: (c) => {
      if (queryNeeded && !(c.record.req.url ?? '').includes('?')) return null;
      if (!c.variables) return withoutVariables(name, c);
      const value = c.variables.get(name);
      return value === '' && emptyIsAbsent ? null : value;
    },
  };
}

/** A request whose head was too broken for variables still has what Node parsed of it. */
function withoutVariables(name: string, c: LogContext): string | null {
  const req = c.record.req;
  if (name === 'remote_addr') return req.socket.remoteAddress ?? null;
  if (name === 'request') return `${req.method ?? ''} ${req.url ?? ''} HTTP/${req.httpVersion}`;
  if (name === 'request_method') return req.method ?? null;
  if (name === 'request_uri') return req.url ?? null;
  return null;
}

const backendName = (a: UpstreamAttempt): string => a.backend.name;
const upstreamStatus = (a: UpstreamAttempt, _r: RequestRecord): string => (a.status === null ? '-' : String(a.status));
const responseTime = (a: UpstreamAttempt, r: RequestRecord): string => seconds((a.endedAt ?? r.endedAt) - a.startedAt);
const headerTime = (a: UpstreamAttempt): string => (a.headerAt === null ? '-' : seconds(a.headerAt - a.startedAt));
/** From the try's start until its request went out on a connection (a kept-alive one: about 0); `-` when it never did. */
const connectTime = (a: UpstreamAttempt): string => (a.exchange && a.exchange.boundAt > 0 ? seconds(a.exchange.boundAt - a.startedAt) : '-');

/** One entry per try, as nginx lists them (`10.0.0.1:80, 10.0.0.2:80`); not found when nothing was proxied. */
function tries(record: RequestRecord, value: (a: UpstreamAttempt, r: RequestRecord) => string): string | null {
  const attempts = record.attempts;
  if (attempts.length === 0) return null;
  let out = value(attempts[0]!, record);
  for (let i = 1; i < attempts.length; i++) out += `, ${value(attempts[i]!, record)}`;
  return out;
}

/** nginx's `%T.%03M`: seconds with millisecond resolution (integer arithmetic: toFixed was a hot spot). */
function seconds(ms: number): string {
  const t = ms > 0 ? Math.round(ms) : 0;
  const s = Math.floor(t / 1000);
  const r = t - s * 1000;
  return `${s}${r < 10 ? '.00' : r < 100 ? '.0' : '.'}${r}`;
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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** The wall clock's second, and both of nginx's texts for it: a line costs no Date unless the second changed. */
let clockSecond = -1;
let isoText = '';
let localText = '';

function tick(): void {
  const second = Math.floor(Date.now() / 1000);
  if (second === clockSecond) return;
  clockSecond = second;
  const d = new Date(second * 1000);
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  const sign = offset >= 0 ? '+' : '-';
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  isoText = `${date}T${time}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  localText = `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${time} ${sign}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** `$time_iso8601` in the process's time zone (`2026-12-01T23:19:54+00:00`). */
function timeIso8601(): string {
  tick();
  return isoText;
}

/** `$time_local` as nginx writes it (`01/Dec/2026:23:19:54 +0000`). */
function timeLocal(): string {
  tick();
  return localText;
}
