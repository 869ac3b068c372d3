import type { RedirectRule } from '../config/settings.js';

/**
 * `proxy_redirect` with nginx's meaning (docs/architecture.md §17). The first rule that matches a backend's `Location`
 * (or the `url=` part of its `Refresh`) rewrites it: a prefix rule replaces that prefix (compared byte for byte,
 * case matters), a regex rule replaces the whole value with its expanded `to` (`$1`… are the captures). The last
 * rewritten Location, when it starts with `/`, is then made absolute for the client (`http://host[:port]`), as
 * nginx's header filter does with the one it keeps; one no rule matched is passed on as it came.
 */
export interface RedirectContext {
  /** Expand nginx variables in a rule's FROM or TO for this request. */
  expand(template: string): string;
  /** `scheme://host[:port]` the client reached: what a rewritten relative Location is made absolute with. */
  origin: string;
}

const compiled = new WeakMap<RedirectRule, RegExp>();

function regexOf(rule: Extract<RedirectRule, { kind: 'regex' }>): RegExp {
  let re = compiled.get(rule);
  if (!re) {
    re = new RegExp(rule.pattern, rule.caseless ? 'i' : '');
    compiled.set(rule, re);
  }
  return re;
}

/** `value` from `prefix` on, rewritten by the first matching rule; null when none matches. */
function rewrite(value: string, prefix: number, rules: readonly RedirectRule[], ctx: RedirectContext): string | null {
  const rest = value.slice(prefix);
  for (const rule of rules) {
    if (rule.kind === 'prefix') {
      const from = ctx.expand(rule.from);
      if (!rest.startsWith(from)) continue;
      return value.slice(0, prefix) + ctx.expand(rule.to) + rest.slice(from.length);
    }
    const m = regexOf(rule).exec(rest);
    if (!m) continue;
    const to = rule.to.replace(/\$(?:(\d)|\{(\d+)\})/g, (_s, bare: string | undefined, braced: string | undefined) => m[Number(bare ?? braced)] ?? '');
    return value.slice(0, prefix) + ctx.expand(to);
  }
  return null;
}

/** A Location rewritten by the first matching rule, or null when none matches (it is passed on as it came). */
export function rewriteLocation(value: string, rules: readonly RedirectRule[], ctx: RedirectContext): string | null {
  return rules.length === 0 ? null : rewrite(value, 0, rules, ctx);
}

/** nginx makes the rewritten Location it keeps (the last) absolute when it starts with `/`; others stay as they are. */
export function absoluteLocation(value: string, ctx: RedirectContext): string {
  return value.startsWith('/') ? ctx.origin + value : value;
}

/** `Refresh: 5; url=http://upstream/x`: only a value with `url=` is rewritten, from after it, never made absolute. */
export function rewriteRefresh(value: string, rules: readonly RedirectRule[], ctx: RedirectContext): string {
  if (rules.length === 0) return value;
  const at = value.toLowerCase().indexOf('url=');
  if (at === -1) return value;
  return rewrite(value, at + 4, rules, ctx) ?? value;
}

/**
 * nginx's absolute redirect origin (absolute_redirect, port_in_redirect on; server_name_in_redirect off): the request's
 * host, else the address the connection came in on; the port unless it is the scheme's default.
 */
export function redirectOrigin(scheme: 'http' | 'https', host: string, localAddress: string | undefined, localPort: number | undefined): string {
  const name = host !== '' ? host : localAddress?.includes(':') ? `[${localAddress}]` : (localAddress ?? '');
  const defaultPort = scheme === 'https' ? 443 : 80;
  return `${scheme}://${name}${localPort === undefined || localPort === defaultPort ? '' : `:${localPort}`}`;
}
