import { GatewayError } from '../errors.js';

/**
 * Tokenizer for nginx configuration syntax, following nginx's own ngx_conf_read_token so that what `nginx -t`
 * accepts we accept, and what it rejects we reject with a `file:line: message`.
 *
 * - A word ends at whitespace, `;` or `{`; `}` inside a word is part of it (nginx does the same), which is what lets
 *   `${var}` through; a `{` right after `$` is part of the word too.
 * - `'…'` and `"…"` are strings; a closing quote must be followed by whitespace, `;`, `{` or `)`.
 * - Backslash escapes `\" \' \\ \t \r \n` are decoded in quoted and unquoted words; any other `\x` is kept as is.
 * - `#` starts a comment only at the start of a token (`a#b` is one word, as in nginx).
 */

export type TokenKind = 'word' | '{' | '}' | ';';

export interface Token {
  kind: TokenKind;
  /** Decoded text for words; the character itself otherwise. */
  value: string;
  line: number;
}

/** A syntax error in a configuration file; the message is `file:line: message`. */
export class ConfigSyntaxError extends GatewayError {
  readonly file: string;
  readonly line: number;
  readonly detail: string;
  constructor(file: string, line: number, detail: string) {
    super('SG_CONFIG_SYNTAX', `${file}:${line}: ${detail}`, 500);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', t: '\t', r: '\r', n: '\n' };

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

export function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;

  /** Decodes the escape at text[i] (a backslash) and advances past it. */
  const readEscape = (): string => {
    const next = text[i + 1];
    if (next === undefined) {
      i += 1;
      return '\\';
    }
    i += 2;
    if (next === '\n') line += 1;
    return ESCAPES[next] ?? `\\${next}`;
  };

  while (i < n) {
    const ch = text[i]!;
    if (isSpace(ch)) {
      if (ch === '\n') line += 1;
      i += 1;
      continue;
    }
    if (ch === '#') {
      while (i < n && text[i] !== '\n') i += 1;
      continue;
    }
    if (ch === ';' || ch === '{' || ch === '}') {
      tokens.push({ kind: ch, value: ch, line });
      i += 1;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const startLine = line;
      let value = '';
      i += 1;
      for (;;) {
        if (i >= n) throw new ConfigSyntaxError(file, startLine, `unterminated ${ch === '"' ? 'double' : 'single'}-quoted string`);
        const c = text[i]!;
        if (c === '\\') {
          value += readEscape();
          continue;
        }
        i += 1;
        if (c === ch) break;
        if (c === '\n') line += 1;
        value += c;
      }
      const after = text[i];
      if (after !== undefined && !isSpace(after) && after !== ';' && after !== '{' && after !== ')') {
        throw new ConfigSyntaxError(file, line, `unexpected "${after}" after a quoted string`);
      }
      tokens.push({ kind: 'word', value, line: startLine });
      continue;
    }
    const startLine = line;
    let value = '';
    while (i < n) {
      const c = text[i]!;
      if (isSpace(c) || c === ';') break;
      if (c === '{' && text[i - 1] !== '$') break;
      if (c === '\\') {
        value += readEscape();
        continue;
      }
      value += c;
      i += 1;
    }
    tokens.push({ kind: 'word', value, line: startLine });
  }
  return tokens;
}

/** The line the file ends on, for "unexpected end of file" messages. */
export function lastLine(text: string): number {
  let count = 1;
  for (const ch of text) if (ch === '\n') count += 1;
  return text.endsWith('\n') ? count - 1 : count;
}
