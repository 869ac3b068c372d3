import type { ConfigReport } from './config-report.js';
import type { Directive } from './parser.js';
import type { ReturnSettings } from './settings.js';

/**
 * `return` as ngx_http_rewrite_return reads it: `return code [text];` (for 301, 302, 303, 307 and 308 the text is the
 * Location), or `return URL;` for a URL starting with `http://`, `https://` or `$scheme` (a 302). The text keeps its
 * nginx variables, expanded per request. 444 closes the connection without an answer, as in nginx.
 */
export function readReturn(d: Directive, contentType: string, report: ConfigReport): ReturnSettings | null {
  if (!report.shape(d, false) || !report.arity(d, 1, 2)) return null;
  const first = d.args[0]!;
  const source = `${d.file}:${d.line}`;
  if (!/^\d+$/.test(first)) {
    if (d.args.length === 1 && /^(https?:\/\/|\$scheme)/.test(first)) return { code: 302, text: first, contentType, source };
    report.problem(d, `invalid return code "${first}"`);
    return null;
  }
  const code = Number(first);
  if (code > 999) {
    report.problem(d, `invalid return code "${first}"`);
    return null;
  }
  return { code, text: d.args[1] ?? null, contentType, source };
}

/** The codes whose `return` text is a Location (ngx_http_send_response). */
export const REDIRECT_CODES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** `default_type TYPE;` (http, server, location): the Content-Type of a `return` text. */
export function readDefaultType(block: Directive[], parent: string, report: ConfigReport): string {
  let type = parent;
  let seen = false;
  for (const d of block) {
    if (d.name !== 'default_type' || !report.shape(d, false) || !report.arity(d, 1)) continue;
    if (seen) report.problem(d, '"default_type" directive is duplicate');
    else type = d.args[0]!;
    seen = true;
  }
  return type;
}
