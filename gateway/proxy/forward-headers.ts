import type { IncomingMessage } from 'node:http';
import type { ProxySettings } from '../config/settings.js';
import { RequestSlot } from '../request-slot.js';
import { connectionTokensOf, expandVariables, isHopByHop, isSessionHeader, withoutCookie, type ForwardContext } from './headers.js';

/**
 * The request head a backend receives, before the session header is added: the client's fields minus hop-by-hop
 * ones (RFC 9110 §7.6.1), minus every `X-Session*` (the gateway's own, contract), minus the session cookie (a bearer
 * credential the backend must not see), minus the names nginx drops (underscores, invalid names); then
 * X-Forwarded-*, X-Request-Id and `proxy_set_header` with nginx's meaning (docs/architecture.md §17): a set name
 * replaces the client's field of that name, a name set twice is sent twice, a value that expands to '' sends none.
 */
export function buildForwardHeaders(req: IncomingMessage, proxy: ProxySettings, ctx: ForwardContext, sessionCookie: string | null): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const connectionTokens = connectionTokensOf(req.headers.connection);
  const invalidName = proxy.ignoreInvalidHeaders ? (proxy.underscoresInHeaders ? INVALID_NAME_UNDERSCORES : INVALID_NAME) : null;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // Each line of the raw head, by lower-cased name in the order first sent: a name sent on several lines keeps them
    // as separate lines, as nginx passes each line on (req.headers would join them with ", ", or keep only the first
    // of Node's single-valued names such as User-Agent).
    const name = raw[i]!.toLowerCase();
    if (isHopByHop(name, connectionTokens) || isSessionHeader(name)) continue;
    // Host is set below; Expect is answered by the gateway's own server (100-continue), not passed on.
    if (name === 'host' || name === 'expect' || invalidName?.test(name)) continue;
    let line: string | null = raw[i + 1]!;
    if (name === 'cookie' && sessionCookie !== null) line = withoutCookie(line, sessionCookie);
    if (line === null) continue;
    const prior = headers[name];
    headers[name] = prior === undefined ? line : Array.isArray(prior) ? [...prior, line] : [prior, line];
  }
  // nginx's default is Host: $proxy_host; `proxy_set_header Host $host;` (as in the shipped config) passes the client's.
  headers.host = ctx.proxyHost;
  const priorXff = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = priorXff ? `${Array.isArray(priorXff) ? priorXff.join(', ') : priorXff}, ${ctx.remoteAddress}` : ctx.remoteAddress;
  headers['x-forwarded-proto'] = ctx.scheme;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-request-id'] = ctx.requestId;
  applySetHeaders(headers, proxy.setHeaders, connectionTokens, ctx, req);
  return headers;
}

/**
 * `[^a-zA-Z0-9-]` in a name is an invalid header to nginx (`_` too, unless underscores_in_headers is on); with
 * ignore_invalid_headers on (its default) such a field is dropped without a word. Names arrive lower-cased.
 */
const INVALID_NAME = /[^a-z0-9-]/;
const INVALID_NAME_UNDERSCORES = /[^a-z0-9_-]/;

/**
 * `proxy_set_header` of one proxy, grouped by lower-cased name in the order first set: the same for every request, so
 * made once. Names that are always hop-by-hop or X-Session* are never set and are left out here; a name the request's
 * own Connection lists is still skipped per request.
 */
interface SetHeaderGroup {
  name: string;
  templates: string[];
}

/** Kept on the settings' own list (a symbol property): found per request without a WeakMap lookup. */
const plans = new RequestSlot<SetHeaderGroup[], ProxySettings['setHeaders']>('session-gateway.set-header-plan');

function setHeaderPlan(setHeaders: ProxySettings['setHeaders']): SetHeaderGroup[] {
  let plan = plans.get(setHeaders);
  if (plan === undefined) {
    const groups = new Map<string, SetHeaderGroup>();
    for (const [name, template] of setHeaders) {
      const lower = name.toLowerCase();
      if (isHopByHop(lower, NO_TOKENS) || isSessionHeader(lower)) continue;
      let group = groups.get(lower);
      if (group === undefined) groups.set(lower, (group = { name: lower, templates: [] }));
      group.templates.push(template);
    }
    plan = [...groups.values()];
    plans.set(setHeaders, plan);
  }
  return plan;
}

const NO_TOKENS: ReadonlySet<string> = new Set();

function applySetHeaders(
  headers: Record<string, string | string[]>, setHeaders: ProxySettings['setHeaders'], connectionTokens: ReadonlySet<string>,
  ctx: ForwardContext, req: IncomingMessage,
): void {
  for (const { name, templates } of setHeaderPlan(setHeaders)) {
    if (connectionTokens.has(name)) continue;
    let value: string | string[] | null = null;
    if (templates.length === 1) {
      // `proxy_set_header Host $host;` (the shipped config's): the context holds `$host` already.
      const template = templates[0]!;
      const one = template === '$host' ? ctx.host : expandVariables(template, ctx, req.headers);
      if (one !== '') value = one;
    } else {
      const list: string[] = [];
      for (const template of templates) {
        const one = expandVariables(template, ctx, req.headers);
        if (one !== '') list.push(one);
      }
      if (list.length > 0) value = list.length === 1 ? list[0]! : list;
    }
    if (name === 'host') {
      // HTTP/1.1 needs a Host field (RFC 9112 §3.2): "no Host" is said with an empty one, nginx's HTTP/1.0 sends none.
      headers.host = value === null ? '' : typeof value === 'string' ? value : value[0]!;
    } else if (value === null) delete headers[name];
    else headers[name] = value;
  }
}
