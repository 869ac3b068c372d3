import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ProxySettings, ServerSettings } from '../../../gateway/config/settings.js';
import { buildForwardHeaders } from '../../../gateway/proxy/forward-headers.js';
import { connectionTokensOf, isHopByHop, isSessionHeader, type ForwardContext } from '../../../gateway/proxy/headers.js';
import { parseRequestUri } from '../../../gateway/proxy/request-uri.js';
import { RequestVariables } from '../../../gateway/proxy/request-variables.js';

/** A request as the listener hands it over, with only what the header rules read. */
function requestOf(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    headers[name] = headers[name] === undefined ? raw[i + 1]! : `${headers[name]}, ${raw[i + 1]}`;
  }
  return { rawHeaders: raw, headers, url: '/a', method: 'GET', httpVersion: '1.1', socket: { remoteAddress: '10.0.0.1' } } as unknown as IncomingMessage;
}

function contextOf(req: IncomingMessage): ForwardContext {
  const head = { uri: parseRequestUri('/a')!, host: 'example.com', serverCaptures: null };
  const variables = new RequestVariables({ req, head, server: { serverName: 'example.com', sets: [] } as unknown as ServerSettings, locationCaptures: null, proxyHost: 'app' });
  return { remoteAddress: '10.0.0.1', scheme: 'http', host: 'example.com', requestId: 'id', proxyHost: 'app', requestUri: '/a', variables };
}

/** proxy_set_header as it was applied before it was precompiled: the general rule the plan must equal. */
function applyByReference(headers: Record<string, string | string[]>, setHeaders: ProxySettings['setHeaders'], req: IncomingMessage, ctx: ForwardContext): void {
  const tokens = connectionTokensOf(req.headers.connection);
  const values = new Map<string, string[]>();
  for (const [name, template] of setHeaders) {
    const lower = name.toLowerCase();
    if (isHopByHop(lower, tokens) || isSessionHeader(lower)) continue;
    const list = values.get(lower) ?? [];
    values.set(lower, list);
    const value = ctx.variables.expand(template);
    if (value !== '') list.push(value);
  }
  for (const [name, list] of values) {
    if (name === 'host') headers.host = list[0] ?? '';
    else if (list.length === 0) delete headers[name];
    else headers[name] = list.length === 1 ? list[0]! : list;
  }
}

const proxyOf = (setHeaders: ProxySettings['setHeaders']): ProxySettings =>
  ({ setHeaders, ignoreInvalidHeaders: true, underscoresInHeaders: false, upstream: 'app' }) as unknown as ProxySettings;

describe('buildForwardHeaders: proxy_set_header', () => {
  it('gives the general rule\'s head for any set of names, values and Connection tokens', () => {
    const names = ['Host', 'host', 'X-A', 'x-a', 'Upgrade', 'Connection', 'X-Session-Foo', 'Keep-Alive', 'X-B', 'User-Agent'];
    const templates = ['$host', '', 'v', '$http_upgrade', '$http_x_missing', 'a$uri', '$proxy_host'];
    const connections = [null, 'keep-alive', 'x-a', 'close, X-B', 'Upgrade'];
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.constantFrom(...names), fc.constantFrom(...templates)), { maxLength: 6 }),
      fc.constantFrom(...connections),
      (sets, connection) => {
        const raw = ['Host', 'example.com', 'User-Agent', 'ua', 'X-A', '1', 'Upgrade', 'websocket', ...(connection === null ? [] : ['Connection', connection])];
        const req = requestOf(raw);
        const ctx = contextOf(req);
        const expected = buildForwardHeaders(req, proxyOf([]), ctx, null);
        applyByReference(expected, sets, req, ctx);
        const got = buildForwardHeaders(req, proxyOf(sets), ctx, null);
        assert.deepEqual(Object.entries(got), Object.entries(expected), JSON.stringify({ sets, connection }));
      },
    ), { seed: 0x5e55_100a, numRuns: 2_000 });
  });
});
