import type { LogEscape, LogFormatSettings } from '../config/log-directives.js';
import type { Template } from '../config/variables.js';
import { logVariable, type LogContext } from './log-variables.js';

const HEX = '0123456789ABCDEF';

/**
 * ngx_http_log_escape (escape=default): `"`, `\`, control bytes and bytes from 0x7F up become `\xHH`, so a line stays
 * one line of ASCII whatever the client sent.
 */
function escapeDefault(value: string): string {
  if (!/["\\\x00-\x1f\x7f-\xff]/.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    out += c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x7f ? `\\x${HEX[c >> 4]}${HEX[c & 15]}` : value[i];
  }
  return out;
}

const JSON_SHORT: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x08: '\\b', 0x0c: '\\f' };

/** ngx_escape_json (escape=json): a JSON string's escapes; other bytes pass as they are. */
function escapeJson(value: string): string {
  if (!/["\\\x00-\x1f]/.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    out += JSON_SHORT[c] ?? (c < 0x20 ? `\\u00${HEX[c >> 4]}${HEX[c & 15]}`.toLowerCase() : value[i]);
  }
  return out;
}

function escaped(value: string | null, escape: LogEscape): string {
  // nginx: a variable that is not found is written "-", and nothing at all with escape=json.
  if (value === null) return escape === 'json' ? '' : '-';
  // Values are bytes (latin1 strings); anything wider is written as its UTF-8 bytes.
  const bytes = /[^\x00-\xff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
  return escape === 'json' ? escapeJson(bytes) : escape === 'default' ? escapeDefault(bytes) : bytes;
}

/** A format's parts with its literals as bytes too (the config file is UTF-8 text), made once per format. */
const compiled = new WeakMap<LogFormatSettings, Array<{ literal: string } | { variable: string }>>();

function partsOf(format: LogFormatSettings): Array<{ literal: string } | { variable: string }> {
  let parts = compiled.get(format);
  if (!parts) {
    parts = format.template.parts.map((p) => ('literal' in p ? { literal: Buffer.from(p.literal, 'utf8').toString('latin1') } : p));
    compiled.set(format, parts);
  }
  return parts;
}

/** One access-log line (without its newline), as bytes in a latin1 string. */
export function renderLogLine(format: LogFormatSettings, context: LogContext): string {
  let line = '';
  for (const part of partsOf(format)) line += 'literal' in part ? part.literal : escaped(logVariable(part.variable, context), format.escape);
  return line;
}

/** `if=`: the line is written unless the condition expands to '' or "0" (nginx). */
export function conditionHolds(condition: Template, context: LogContext): boolean {
  let value = '';
  for (const part of condition.parts) value += 'literal' in part ? part.literal : (logVariable(part.variable, context) ?? '');
  return value !== '' && value !== '0';
}
