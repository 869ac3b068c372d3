import type { IncomingMessage } from 'node:http';
import type { ProxySettings } from '../config/settings.js';
import { connectionTokensOf, expandVariables, isHopByHop, isSessionHeader, withoutCookie, type ForwardContext } from './headers.js';

/**
 * The request head a backend receives, before the session header is added: the client's fields minus hop-by-hop
 * ones (RFC 9110 §7.6.1), minus every `X-Session*` (the gateway's own, contract), minus the session cookie (a bearer
 * credential the backend must not see); then X-Forwarded-*, X-Request-Id and `proxy_set_header`, as nginx does.
 */
export function buildForwardHeaders(req: IncomingMessage, proxy: ProxySettings, ctx: ForwardContext, sessionCookie: string | null): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  const connectionTokens = connectionTokensOf(req.headers.connection);
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || isHopByHop(name, connectionTokens) || isSessionHeader(name)) continue;
    // Host is set below; Expect is answered by the gateway's own server (100-continue), not passed on.
    if (name === 'host' || name === 'expect') continue;
    headers[name] = value;
  }
  if (sessionCookie !== null && typeof headers.cookie === 'string') {
    const kept = withoutCookie(headers.cookie, sessionCookie);
    if (kept === null) delete headers.cookie;
    else headers.cookie = kept;
  }
  // nginx's default is Host: $proxy_host; `proxy_set_header Host $host;` (as in the shipped config) passes the client's.
  headers.host = ctx.proxyHost;
  const priorXff = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = priorXff ? `${Array.isArray(priorXff) ? priorXff.join(', ') : priorXff}, ${ctx.remoteAddress}` : ctx.remoteAddress;
  headers['x-forwarded-proto'] = ctx.scheme;
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-request-id'] = ctx.requestId;
  for (const [name, template] of proxy.setHeaders) {
    const lower = name.toLowerCase();
    if (isHopByHop(lower, connectionTokens) || isSessionHeader(lower)) continue;
    const value = expandVariables(template, ctx, req.headers);
    if (value === '') delete headers[lower];
    else headers[lower] = value;
  }
  return headers;
}
