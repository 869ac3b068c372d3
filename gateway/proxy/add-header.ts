import type { ServerResponse } from 'node:http';
import type { AddHeader } from '../config/settings.js';
import { RequestSlot } from '../request-slot.js';

/**
 * `add_header` with nginx's meaning (ngx_http_headers_module; docs/architecture.md §17): added to 200, 201, 204, 206,
 * 301, 302, 303, 304, 307 and 308 answers, to any other only with `always`; a value that expands to '' adds nothing.
 * It adds a field next to the backend's of the same name, but for ETag and Last-Modified, which it replaces (an empty
 * value then removes the backend's).
 */
const ADDED_TO = new Set([200, 201, 204, 206, 301, 302, 303, 304, 307, 308]);
const REPLACED = new Set(['etag', 'last-modified']);

export function appliesTo(header: AddHeader, status: number): boolean {
  return header.always || ADDED_TO.has(status);
}

/** `fields` (name, value, name, value…) with the location's add_header applied for `status`. */
export function addHeaderFields(fields: string[], headers: readonly AddHeader[], status: number, expand: (template: string) => string): string[] {
  if (headers.length === 0) return fields;
  let out = fields;
  for (const h of headers) {
    if (!appliesTo(h, status)) continue;
    const value = expand(h.value);
    const lower = h.name.toLowerCase();
    if (REPLACED.has(lower)) out = withoutField(out, lower);
    if (value !== '') out.push(h.name, value);
  }
  return out;
}

function withoutField(fields: string[], lower: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) if (fields[i]!.toLowerCase() !== lower) out.push(fields[i]!, fields[i + 1]!);
  return out;
}

/** The `always` fields, for an answer the gateway makes itself (its status is never one add_header adds to alone). */
export function alwaysFields(headers: readonly AddHeader[], expand: (template: string) => string): Array<[string, string[]]> {
  const byName = new Map<string, string[]>();
  for (const h of headers) {
    if (!h.always) continue;
    const value = expand(h.value);
    if (value === '') continue;
    byName.set(h.name, [...(byName.get(h.name) ?? []), value]);
  }
  return [...byName];
}

/**
 * The `always` fields an answer the gateway makes itself carries (sendGatewayError adds them). They are kept aside,
 * not set on the response: Node's writeHead merges fields set earlier with setHeader, which folds a backend's repeated
 * fields into one.
 */
const ownAnswerFields = new RequestSlot<Array<[string, string[]]>, ServerResponse>('session-gateway.own-answer-fields');

export function keepForOwnAnswer(res: ServerResponse, fields: Array<[string, string[]]>): void {
  if (fields.length > 0) ownAnswerFields.set(res, fields);
}

export function ownAnswerFieldsOf(res: ServerResponse): Array<[string, string[]]> {
  return ownAnswerFields.get(res) ?? [];
}
