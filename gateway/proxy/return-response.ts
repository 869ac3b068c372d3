import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { REDIRECT_CODES, type RedirectSettings } from '../config/return-directive.js';
import type { AddHeader, ReturnSettings } from '../config/settings.js';
import { addHeaderFields } from './add-header.js';
import { closesConnection, nginxPage, nginxReason } from './nginx-pages.js';
import { redirectOrigin } from './proxy-redirect.js';
import type { RequestHead } from './request-head.js';
import type { RequestVariables } from './request-variables.js';

/**
 * Answers of the rewrite phase, as nginx makes them (ngx_http_rewrite_return, ngx_http_send_response): `return` and
 * the trailing-slash 301 of a proxying location (docs/architecture.md §2).
 */

/** Where a Location is answered from: what prefixes one that starts with "/". */
export interface AnswerOrigin {
  req: IncomingMessage;
  head: RequestHead;
  /** `$server_name`, for server_name_in_redirect. */
  serverName: string;
  redirect: RedirectSettings;
}

/**
 * What nginx's header filter puts before a Location starting with "/": `scheme://host[:port]` — the request's host
 * (or `$server_name` with server_name_in_redirect on), else the address the connection reached; the listening port
 * unless it is the scheme's or port_in_redirect is off — or nothing with absolute_redirect off.
 */
export function locationBase(o: AnswerOrigin, scheme: 'http' | 'https' = (o.req.socket as TLSSocket).encrypted === true ? 'https' : 'http'): string {
  if (!o.redirect.absolute) return '';
  const socket = o.req.socket;
  return redirectOrigin(scheme, o.redirect.serverNameInRedirect ? o.serverName : o.head.host, socket.localAddress, o.redirect.portInRedirect ? socket.localPort : undefined);
}

function absoluteLocation(location: string, o: AnswerOrigin): string {
  return location.startsWith('/') ? locationBase(o) + location : location;
}

/** nginx's types without a `types` block (ngx_http_core_types): the Content-Type a text gets by `$uri`'s extension. */
const DEFAULT_TYPES: Record<string, string> = { html: 'text/html', gif: 'image/gif', jpg: 'image/jpeg' };

function contentTypeOf(uri: string, defaultType: string): string {
  const name = uri.slice(uri.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return (dot === -1 ? undefined : DEFAULT_TYPES[name.slice(dot + 1).toLowerCase()]) ?? defaultType;
}

interface Answer {
  status: number;
  /** name, value, name, value…: add_header may add a name twice. */
  fields: string[];
  body: string;
}

function page(status: number, fields: string[] = []): Answer {
  const body = nginxPage(status);
  if (body === null) return { status, fields: ['Content-Length', '0', ...fields], body: '' };
  return { status, fields: ['Content-Type', 'text/html', 'Content-Length', String(Buffer.byteLength(body)), ...fields], body };
}

function answerOf(ret: ReturnSettings, o: AnswerOrigin, vars: RequestVariables): Answer {
  const text = ret.text === null ? null : vars.expand(ret.text);
  if (REDIRECT_CODES.has(ret.code)) return page(ret.code, ['Location', absoluteLocation(text ?? '', o)]);
  if (ret.code === 204) return { status: 204, fields: [], body: '' };
  // Without a text, a code nginx has a page for gets it; below 300 (and codes it has none for) an empty body.
  if (text === null && ret.code >= 300) return page(ret.code);
  const body = text ?? '';
  return { status: ret.code, fields: ['Content-Type', contentTypeOf(o.head.uri.uri, ret.contentType), 'Content-Length', String(Buffer.byteLength(body, 'latin1'))], body };
}

/**
 * Sends what `return` says, with the location's add_header; 444 (and 499, nginx's "client closed") close the
 * connection without a word, as in nginx.
 */
export function sendReturn(res: ServerResponse, o: AnswerOrigin, ret: ReturnSettings, vars: RequestVariables, addHeaders: readonly AddHeader[]): void {
  if (ret.code === 444 || ret.code === 499) {
    o.req.socket.destroy();
    return;
  }
  send(res, o.req, answerOf(ret, o, vars), addHeaders, vars);
}

/** nginx's auto_redirect: `/api` for `location /api/ { proxy_pass …; }` → 301 to the location's name, with the query. */
export function sendTrailingSlashRedirect(res: ServerResponse, o: AnswerOrigin, escapedName: string, addHeaders: readonly AddHeader[], vars: RequestVariables): void {
  const target = o.head.uri.args === '' ? escapedName : `${escapedName}?${o.head.uri.args}`;
  send(res, o.req, page(301, ['Location', absoluteLocation(target, o)]), addHeaders, vars);
}

function send(res: ServerResponse, req: IncomingMessage, answer: Answer, addHeaders: readonly AddHeader[], vars: RequestVariables): void {
  const fields = addHeaderFields(answer.fields, addHeaders, answer.status, (t) => vars.expand(t));
  if (closesConnection(answer.status)) fields.push('Connection', 'close');
  // Values are byte strings (config text and URIs are one char per byte): written as the bytes nginx would send.
  res.writeHead(answer.status, nginxReason(answer.status), fields);
  // nginx sends no body for HEAD, 204 and 304, whatever Content-Length says.
  if (req.method === 'HEAD' || answer.status === 304 || answer.status === 204) res.end();
  else res.end(answer.body, 'latin1');
  req.resume();
}
