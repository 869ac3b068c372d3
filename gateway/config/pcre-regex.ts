import { byteString } from '../proxy/request-uri.js';

/**
 * nginx regular expressions (PCRE) as JavaScript RegExps, for `location ~` / `~*` and `server_name ~`. The subset
 * configs use — classes, groups, anchors, quantifiers, `\d \w \s \b`, named groups `(?<n>…)` / `(?P<n>…)` /
 * `(?'n'…)` — means the same in both. What PCRE has and JavaScript would read differently without an error (`\A`
 * would match a plain "A", `(?>…)` is a syntax error only sometimes) is refused, so a pattern never silently means
 * something else (docs/architecture.md §2). Patterns match bytes, as nginx's do: the subject is a byte string
 * (request-uri.ts) and so is the pattern.
 */

export interface CompiledPattern {
  regex: RegExp;
  /** Named groups, in order: nginx makes each a variable (`$name`). */
  names: string[];
}

/** PCRE constructs with no JavaScript equivalent (or a different meaning there). */
const PCRE_ONLY: Array<[RegExp, string]> = [
  [/\\[AZzGhHRKQEXCNV]/, 'the PCRE escape'],
  [/\(\?[>|#]/, 'the PCRE group'],
  [/\(\?(?:R|[+-]?\d+|&|P>)/, 'PCRE recursion'],
  [/\(\?[a-zA-Z^-]*\)/, 'an inline option'],
  [/\(\?[a-zA-Z^-]+:/, 'an inline option'],
  [/\(\*[A-Z][A-Z_0-9]*/, 'a PCRE verb'],
  [/(?:[*+?}])\+/, 'a possessive quantifier'],
];

/** `[[:alpha:]]`: JavaScript would read a class of ":alph" and a stray "]". */
const POSIX_CLASS = /\[:\^?[a-z]+:\]/;

/** Skips escapes and character classes, so `[*+]` or `\(\?>` are not taken for PCRE syntax. */
function syntaxOnly(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      // Keep letter escapes (\A, \d …) visible for PCRE_ONLY; anything else escaped is a literal.
      out += inClass || !/[A-Za-z]/.test(next) ? '__' : `\\${next}`;
      i += 1;
    } else if (inClass) {
      if (ch === ']') inClass = false;
      out += '_';
    } else if (ch === '[') {
      inClass = true;
      // `[]…]` and `[^]…]`: a leading `]` is a literal in PCRE.
      if (source[i + 1] === ']') (out += '__'), (i += 1);
      else if (source[i + 1] === '^' && source[i + 2] === ']') (out += '___'), (i += 2);
      else out += '_';
    } else out += ch;
  }
  return out;
}

/**
 * A `]` first in a class is a literal in PCRE (`[]a]`, `[^]a]`) but closes an empty class in JavaScript: escaped so
 * the class means what nginx reads.
 */
function leadingBrackets(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      out += ch + (source[i + 1] ?? '');
      i += 1;
    } else if (!inClass && ch === '[') {
      inClass = true;
      const negated = source[i + 1] === '^';
      const first = i + (negated ? 2 : 1);
      out += negated ? '[^' : '[';
      if (source[first] === ']') out += '\\]';
      i = source[first] === ']' ? first : first - 1;
    } else {
      if (ch === ']') inClass = false;
      out += ch;
    }
  }
  return out;
}

/** Rewrites PCRE's other spellings of named groups to JavaScript's. */
function jsSpelling(source: string): string {
  return leadingBrackets(source).replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?'([A-Za-z_][A-Za-z0-9_]*)'/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
}

/** Compiles `source` (as written after `~`); a string is the problem, in the words of the check report. */
export function compilePcre(source: string, caseless: boolean): CompiledPattern | string {
  const posix = POSIX_CLASS.exec(source);
  if (posix) return `regular expression "${source}" uses the POSIX class "${posix[0]}", which JavaScript's RegExp does not support`;
  const visible = syntaxOnly(source);
  for (const [pattern, what] of PCRE_ONLY) {
    const m = pattern.exec(visible);
    if (m) return `regular expression "${source}" uses ${what} "${m[0]}", which JavaScript's RegExp does not support`;
  }
  let regex: RegExp;
  try {
    regex = new RegExp(byteString(jsSpelling(source)), caseless ? 'i' : '');
  } catch (err) {
    return `invalid regular expression "${source}": ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}`;
  }
  const names = [...jsSpelling(source).matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]!);
  return { regex, names };
}

/** Groups of a match as nginx's variables: `1`…`9` and the named ones (an unmatched group is ''). */
export function capturesOf(match: RegExpExecArray, names: readonly string[]): Map<string, string> {
  const captures = new Map<string, string>();
  for (let i = 1; i <= 9; i++) captures.set(String(i), match[i] ?? '');
  for (const name of names) captures.set(name, match.groups?.[name] ?? '');
  return captures;
}
