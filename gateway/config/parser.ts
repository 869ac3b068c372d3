import { readFileSync, realpathSync } from 'node:fs';
import { ConfigSyntaxError, lastLine, tokenize, type Token } from './lexer.js';
import { expandIncludeGlob, hasGlob, resolveIncludePath } from './include-glob.js';

/**
 * nginx configuration → AST. `include` is expanded while parsing (as nginx does): the included directives take the
 * place of the `include` line, each keeping its own file and line for messages. Relative include patterns are resolved
 * against the including file's directory (see include-glob.ts for why). Each file is parsed up to its first syntax
 * error; every file's error is reported, so one run shows the problems of the whole tree.
 */

export interface Directive {
  name: string;
  /** Decoded arguments; `$var` and `${var}` stay in the text for whoever expands them per request. */
  args: string[];
  /** The `{ … }` body, or null for a directive ended by `;`. */
  block: Directive[] | null;
  file: string;
  line: number;
}

export interface ParseResult {
  directives: Directive[];
  /** `file:line: message`, in the order found. Empty when every file was read and parsed. */
  problems: string[];
  /** Every file read, main file first. */
  files: string[];
}

/**
 * Blocks nest at most this deep, counted across included files. nginx's own contexts need five or six (http, server,
 * location, nested location, if); the bound turns a pathological file into a `file:line` problem instead of a stack
 * overflow of the recursive parser (and of the settings builder walking nested locations after it).
 */
export const MAX_BLOCK_DEPTH = 64;
/** Files read for one configuration at most (a file included twice counts twice): a tree of files that each include
 * the next several times would otherwise grow exponentially. */
export const MAX_INCLUDED_FILES = 4096;

/**
 * Parses one file's text without expanding includes (`include` stays a directive). Throws ConfigSyntaxError.
 * `depth` is how deep in blocks the text starts (an included file's text starts where its `include` is).
 */
export function parseConfigText(text: string, file: string, onInclude?: (d: Directive, depth: number) => Directive[], depth = 0): Directive[] {
  const tokens = tokenize(text, file);
  const endLine = lastLine(text);
  let pos = 0;

  const parseBlock = (openedAt: Token | null, level: number): Directive[] => {
    if (openedAt && level > MAX_BLOCK_DEPTH) throw new ConfigSyntaxError(file, openedAt.line, `blocks are nested more than ${MAX_BLOCK_DEPTH} levels deep`);
    const out: Directive[] = [];
    for (;;) {
      const tok = tokens[pos];
      if (tok === undefined) {
        if (openedAt) throw new ConfigSyntaxError(file, endLine, `unexpected end of file, expecting "}" (block opened at line ${openedAt.line})`);
        return out;
      }
      if (tok.kind === '}') {
        if (!openedAt) throw new ConfigSyntaxError(file, tok.line, 'unexpected "}"');
        pos += 1;
        return out;
      }
      if (tok.kind !== 'word') throw new ConfigSyntaxError(file, tok.line, `unexpected "${tok.value}"`);
      pos += 1;
      const directive: Directive = { name: tok.value, args: [], block: null, file, line: tok.line };
      for (;;) {
        const t = tokens[pos];
        if (t === undefined) throw new ConfigSyntaxError(file, endLine, 'unexpected end of file, expecting ";" or "}"');
        pos += 1;
        if (t.kind === 'word') directive.args.push(t.value);
        else if (t.kind === ';') break;
        else if (t.kind === '{') {
          directive.block = parseBlock(t, level + 1);
          break;
        } else throw new ConfigSyntaxError(file, t.line, `unexpected "}" (missing ";" after "${directive.name}"?)`);
      }
      if (directive.name === 'include' && onInclude) {
        // One by one: spreading a very long included list into push() would overflow the argument stack.
        for (const included of onInclude(directive, level)) out.push(included);
      } else out.push(directive);
    }
  };
  return parseBlock(null, depth);
}

export interface ParseOptions {
  /** Reads a file; replaceable so tests can count reads. Defaults to readFileSync(…, 'utf8'). */
  readFile?: (file: string) => string;
}

/** Reads `file` and everything it includes. Never throws for configuration problems: they are in `problems`. */
export function parseConfigFile(file: string, options: ParseOptions = {}): ParseResult {
  const readFile = options.readFile ?? ((f: string) => readFileSync(f, 'utf8'));
  const problems: string[] = [];
  const files: string[] = [];
  /** Real paths of the files being parsed, outermost first, to detect include cycles. */
  const stack: Array<{ real: string; shown: string }> = [];
  let tooMany = false;

  const realOf = (f: string): string => {
    try {
      return realpathSync(f);
    } catch {
      return f;
    }
  };

  const parseOne = (path: string, from: Directive | null, depth: number): Directive[] => {
    const real = realOf(path);
    const cycleAt = stack.findIndex((s) => s.real === real);
    if (cycleAt !== -1 && from) {
      const chain = [...stack.slice(cycleAt).map((s) => s.shown), path].join(' -> ');
      problems.push(`${from.file}:${from.line}: include cycle: ${chain}`);
      return [];
    }
    if (files.length >= MAX_INCLUDED_FILES && from) {
      if (!tooMany) problems.push(`${from.file}:${from.line}: more than ${MAX_INCLUDED_FILES} files included`);
      tooMany = true;
      return [];
    }
    let text: string;
    try {
      text = readFile(path);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      problems.push(from ? `${from.file}:${from.line}: cannot open included file "${path}" (${reason})` : `${path}:0: cannot open file (${reason})`);
      return [];
    }
    files.push(path);
    stack.push({ real, shown: path });
    try {
      return parseConfigText(text, path, expandInclude, depth);
    } catch (err) {
      if (err instanceof ConfigSyntaxError) {
        problems.push(err.message);
        return [];
      }
      throw err;
    } finally {
      stack.pop();
    }
  };

  const expandInclude = (d: Directive, depth: number): Directive[] => {
    if (d.args.length !== 1 || d.block !== null) {
      problems.push(`${d.file}:${d.line}: invalid number of arguments in "include" directive`);
      return [];
    }
    const pattern = resolveIncludePath(d.args[0]!, d.file);
    const matches = hasGlob(pattern) ? expandIncludeGlob(pattern) : [pattern];
    const out: Directive[] = [];
    for (const m of matches) for (const included of parseOne(m, d, depth)) out.push(included);
    return out;
  };

  const directives = parseOne(file, null, 0);
  return { directives, problems, files };
}
