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

/** nginx's header-filter settings for a Location the gateway writes (`return`, the trailing-slash 301, proxy_redirect). */
export interface RedirectSettings {
  /** `absolute_redirect` (on): a Location starting with "/" gets the scheme, host and port. */
  absolute: boolean;
  /** `port_in_redirect` (on): the listening port, unless it is the scheme's. */
  portInRedirect: boolean;
  /** `server_name_in_redirect` (off): the host is `$server_name`, not the request's. */
  serverNameInRedirect: boolean;
}

/** What a level (http, server, location) says about answers the gateway writes; each inherits down as in nginx. */
export interface AnswerLevel {
  /** `default_type`: the Content-Type of a `return` text. */
  defaultType: string;
  redirect: RedirectSettings;
}

export const TOP_ANSWER_LEVEL: AnswerLevel = { defaultType: 'text/plain', redirect: { absolute: true, portInRedirect: true, serverNameInRedirect: false } };

const FLAGS: Record<string, keyof RedirectSettings> = {
  absolute_redirect: 'absolute', port_in_redirect: 'portInRedirect', server_name_in_redirect: 'serverNameInRedirect',
};

export const ANSWER_DIRECTIVES: ReadonlySet<string> = new Set(['default_type', ...Object.keys(FLAGS)]);

/** A level's `default_type` and redirect flags over its parent's. */
export function readAnswerLevel(block: Directive[], parent: AnswerLevel, report: ConfigReport): AnswerLevel {
  const level: AnswerLevel = { defaultType: parent.defaultType, redirect: { ...parent.redirect } };
  const seen = new Set<string>();
  for (const d of block) {
    if (!ANSWER_DIRECTIVES.has(d.name) || !report.shape(d, false) || !report.arity(d, 1)) continue;
    if (seen.has(d.name)) {
      report.problem(d, `"${d.name}" directive is duplicate`);
      continue;
    }
    seen.add(d.name);
    const value = d.args[0]!;
    if (d.name === 'default_type') level.defaultType = value;
    else if (value === 'on' || value === 'off') level.redirect[FLAGS[d.name]!] = value === 'on';
    else report.problem(d, `invalid value "${value}" in "${d.name}" directive, it must be "on" or "off"`);
  }
  return level;
}
