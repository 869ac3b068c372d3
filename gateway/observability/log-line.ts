import type { LogEscape, LogFormatSettings } from '../config/log-directives.js';
import type { Template } from '../config/variables.js';
import { logVariable, type LogContext, type LogValue } from './log-variables.js';

const HEX = '0123456789ABCDEF';

/** Anything escape=default changes, or wider than a byte (written as its UTF-8 bytes first). */
const DEFAULT_UNSAFE = /["\\\x00-\x1f\x7f-\uffff]/;
/** Anything escape=json changes, or wider than a byte. */
const JSON_UNSAFE = /["\\\x00-\x1f\u0100-\uffff]/;
const WIDE = /[\u0100-\uffff]/;

/** Values are bytes (latin1 strings); anything wider is written as its UTF-8 bytes. */
function asBytes(value: string): string {
  return WIDE.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/**
 * ngx_http_log_escape (escape=default): `"`, `\`, control bytes and bytes from 0x7F up become `\xHH`, so a line stays
 * one line of ASCII whatever the client sent. Not found is `-`.
 */
function escapeDefault(value: string | null): string {
  if (value === null) return '-';
  if (!DEFAULT_UNSAFE.test(value)) return value;
  const bytes = asBytes(value);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    out += c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x7f ? `\\x${HEX[c >> 4]}${HEX[c & 15]}` : bytes[i];
  }
  return out;
}

const JSON_SHORT: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x08: '\\b', 0x0c: '\\f' };

/** ngx_escape_json (escape=json): a JSON string's escapes; other bytes pass as they are. Not found is nothing. */
function escapeJson(value: string | null): string {
  if (value === null) return '';
  if (!JSON_UNSAFE.test(value)) return value;
  const bytes = asBytes(value);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i);
    out += JSON_SHORT[c] ?? (c < 0x20 ? `\\u00${HEX[c >> 4]}${HEX[c & 15]}`.toLowerCase() : bytes[i]);
  }
  return out;
}

function escapeNone(value: string | null): string {
  return value === null ? '-' : asBytes(value);
}

/** A value that never needs escaping (digits, dots, dashes): only "not found" is written differently. */
const plainDefault = (value: string | null): string => value ?? '-';
const plainJson = (value: string | null): string => value ?? '';

const ESCAPES: Record<LogEscape, { escaped: (v: string | null) => string; plain: (v: string | null) => string }> = {
  default: { escaped: escapeDefault, plain: plainDefault },
  json: { escaped: escapeJson, plain: plainJson },
  none: { escaped: escapeNone, plain: plainDefault },
};

/** A format made into one function: its line, newline included, as bytes in a latin1 string. */
export interface CompiledLogFormat {
  line: (c: LogContext) => string;
  /** Some variable of the format is the request's (the logger then asks the request path for them). */
  needsRequestVariables: boolean;
}

/**
 * One function per format, made once when the logger starts: the line is a single expression of literals and
 * variable reads joined with `+`, so a request walks no list of parts and allocates nothing but the strings of its
 * line. Literals are embedded with JSON.stringify (a valid JS string literal for any text); each variable's reader and
 * escaping are arguments of the generated function, never source text.
 */
export function compileLogFormat(format: LogFormatSettings): CompiledLogFormat {
  const escape = ESCAPES[format.escape];
  const args: Array<LogValue | ((v: string | null) => string)> = [escape.escaped, escape.plain];
  const terms: string[] = [];
  let needsRequestVariables = false;
  for (const part of format.template.parts) {
    if ('literal' in part) {
      // The config file is UTF-8 text: a literal is written as its bytes.
      terms.push(JSON.stringify(Buffer.from(part.literal, 'utf8').toString('latin1')));
      continue;
    }
    const v = logVariable(part.variable);
    needsRequestVariables ||= v.request;
    args.push(v.value);
    terms.push(`${v.plain ? 'plain' : 'escaped'}(v${args.length - 3}(c))`);
  }
  terms.push('"\\n"');
  const names = ['escaped', 'plain', ...args.slice(2).map((_, i) => `v${i}`)];
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the parsed template only (see above)
  const make = new Function(...names, `return function accessLogLine(c) { return ${terms.join(' + ')}; };`) as (...a: unknown[]) => (c: LogContext) => string;
  return { line: make(...args), needsRequestVariables };
}

/** `if=`, compiled once: the line is written unless the condition expands to '' or "0" (nginx). */
export function compileCondition(condition: Template): { holds: (c: LogContext) => boolean; needsRequestVariables: boolean } {
  const parts = condition.parts.map((p) => ('literal' in p ? { literal: p.literal, variable: null } : { literal: '', variable: logVariable(p.variable) }));
  return {
    needsRequestVariables: parts.some((p) => p.variable?.request === true),
    holds: (c) => {
      let value = '';
      for (const p of parts) value += p.variable ? (p.variable.value(c) ?? '') : p.literal;
      return value !== '' && value !== '0';
    },
  };
}
