import type { Directive } from './parser.js';
import { restrictingEffect, TOP_SCOPE, type DirectiveScope } from './unsupported-directives.js';

/**
 * Collects every problem and ignored directive while settings are built, so one run reports them all. It has no side
 * effects beyond its own arrays (validation never changes global state).
 */
export class ConfigReport {
  readonly problems: string[] = [];
  readonly ignored: string[] = [];
  /** Unsupported restricting directives accepted by `$gateway_ignore_unsupported on`: start-up warns about each. */
  readonly overridden: string[] = [];
  #ignoredKeys = new Set<string>();
  #scope: DirectiveScope = TOP_SCOPE;

  get scope(): DirectiveScope {
    return this.#scope;
  }

  /** Sets the scope of the block about to be read (unsupported-directives.ts); returns the function that restores it. */
  enterScope(scope: DirectiveScope): () => void {
    const outer = this.#scope;
    this.#scope = scope;
    return () => {
      this.#scope = outer;
    };
  }

  /** A remark that is not a problem (nginx's warnings), listed with the ignored directives. */
  note(at: { file: string; line: number }, message: string): void {
    this.ignored.push(`${at.file}:${at.line}: ${message}`);
  }

  problem(at: { file: string; line: number }, message: string): void {
    this.problems.push(`${at.file}:${at.line}: ${message}`);
  }

  /** Reported once per key (the directive name, or `set $name`): the first place it is written. */
  ignore(at: Directive, key = at.name): void {
    const effect = key === at.name ? restrictingEffect(at, this.#scope) : null;
    if (effect !== null) {
      // Never a silent ignore of something that restricts or reroutes requests in nginx (every place is reported).
      if (!this.#scope.ignoreUnsupported) {
        this.problem(at, `"${at.name}" is not supported by the gateway: in nginx it ${effect} (remove it, or run without it: set $gateway_ignore_unsupported on;)`);
        return;
      }
      const line = `${at.file}:${at.line}: directive ${at.name} is ignored although in nginx it ${effect} ($gateway_ignore_unsupported is on)`;
      this.ignored.push(line);
      this.overridden.push(line);
      return;
    }
    if (this.#ignoredKeys.has(key)) return;
    this.#ignoredKeys.add(key);
    this.ignored.push(`${at.file}:${at.line}: directive ${key} is ignored`);
  }

  /** nginx's arity check; reports and returns false when the count is outside [min, max]. */
  arity(d: Directive, min: number, max = min): boolean {
    if (d.args.length >= min && d.args.length <= max) return true;
    this.problem(d, `invalid number of arguments in "${d.name}" directive`);
    return false;
  }

  /** Reports a block where a `;` was expected, or the reverse, in nginx's words. */
  shape(d: Directive, wantsBlock: boolean): boolean {
    if (wantsBlock && d.block === null) {
      this.problem(d, `directive "${d.name}" has no opening "{"`);
      return false;
    }
    if (!wantsBlock && d.block !== null) {
      this.problem(d, `directive "${d.name}" is not terminated by ";"`);
      return false;
    }
    return true;
  }
}

/** Sorts `file:line: message` lines by file, then line, keeping the found order for equal positions. */
export function sortByPosition(lines: string[]): string[] {
  const key = (s: string): [string, number] => {
    const m = /^(.*?):(\d+): /.exec(s);
    return m ? [m[1]!, Number(m[2])] : [s, 0];
  };
  return lines
    .map((s, i) => ({ s, i, k: key(s) }))
    .sort((a, b) => (a.k[0] < b.k[0] ? -1 : a.k[0] > b.k[0] ? 1 : a.k[1] - b.k[1] || a.i - b.i))
    .map((e) => e.s);
}
