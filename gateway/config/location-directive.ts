import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import { compilePcre, type CompiledPattern } from './pcre-regex.js';
import type { LocationSettings } from './settings.js';

/**
 * The arguments of `location [=|^~|~|~*] name { … }` with nginx's rules (ngx_http_core_location): the modifier may be
 * written apart or joined to the name; a regular expression must compile (pcre-regex.ts); a nested location cannot
 * be inside an exact one, and a nested prefix must start with the outer location's name. Named locations (`@name`)
 * are reached only by try_files / error_page, which the gateway does not implement: they are refused.
 */
export interface LocationName {
  match: LocationSettings['match'];
  path: string;
  noregex: boolean;
  regex: CompiledPattern | null;
}

export function readLocationName(d: Directive, outer: LocationSettings | null, report: ConfigReport): LocationName | null {
  if (!report.shape(d, true) || !report.arity(d, 1, 2)) return null;
  let [modifier, path] = d.args.length === 2 ? [d.args[0]!, d.args[1]!] : ['', d.args[0]!];
  if (d.args.length === 1) {
    const m = /^(=|\^~|~\*|~)(.+)$/.exec(path);
    if (m) [modifier, path] = [m[1]!, m[2]!];
  }
  if (path.startsWith('@') && modifier === '') {
    report.problem(d, `named locations are not supported ("location ${d.args.join(' ')}"): only try_files and error_page reach them`);
    return null;
  }
  if (modifier !== '' && modifier !== '=' && modifier !== '^~' && modifier !== '~' && modifier !== '~*') {
    report.problem(d, `invalid location modifier "${modifier}"`);
    return null;
  }
  const name: LocationName = { match: modifier === '=' ? 'exact' : modifier.startsWith('~') ? 'regex' : 'prefix', path, noregex: modifier === '^~', regex: null };
  if (name.match === 'regex') {
    const compiled = compilePcre(path, modifier === '~*');
    if (typeof compiled === 'string') {
      report.problem(d, compiled);
      return null;
    }
    name.regex = compiled;
  }
  if (outer) {
    if (outer.match === 'exact') report.problem(d, `location "${path}" cannot be inside the exact location "${outer.path}"`);
    else if (name.match !== 'regex' && !path.startsWith(outer.path)) report.problem(d, `location "${path}" is outside location "${outer.path}"`);
  }
  return name;
}
