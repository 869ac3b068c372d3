import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { LocationSettings } from '../config/settings.js';
import { expandVariables, type ForwardContext } from './headers.js';
import type { RedirectContext } from './proxy-redirect.js';
import { requestHeadOf } from './request-head.js';
import type { RequestVariables } from './request-variables.js';
import { locationBase } from './return-response.js';

/**
 * The request's variables as `proxy_set_header`, `proxy_redirect` and `add_header` expand them, made once per
 * proxied request: a class rather than an object literal with a closure and a getter, so each request costs one
 * object of a shape every request shares (docs/architecture.md §2).
 */
export class RequestContext implements RedirectContext {
  readonly ctx: ForwardContext;
  /** The client reached the gateway over TLS (or, when trusted, its load balancer did). */
  readonly secure: boolean;
  readonly #req: IncomingMessage;
  readonly #location: LocationSettings;
  readonly #serverName: string;
  #origin: string | undefined = undefined;
  #expand: ((template: string) => string) | undefined = undefined;

  constructor(req: IncomingMessage, location: LocationSettings, requestId: string, variables: RequestVariables, serverName: string) {
    const secure = (req.socket as TLSSocket).encrypted === true || (location.session.trustForwardedProto && forwardedHttps(req.headers['x-forwarded-proto']));
    this.secure = secure;
    this.ctx = {
      remoteAddress: req.socket.remoteAddress ?? '',
      scheme: secure ? 'https' : 'http',
      // $host: the validated host of the request line or Host header, else the server's first name (nginx).
      host: variables.get('host'),
      requestId,
      proxyHost: location.proxy?.upstream ?? '',
      requestUri: req.url ?? '/',
      variables,
    };
    this.#req = req;
    this.#location = location;
    this.#serverName = serverName;
  }

  /** The expander itself, bound to this request: callers hand it on unbound (add_header's fields). Made when first asked. */
  get expand(): (template: string) => string {
    this.#expand ??= (template) => expandVariables(template, this.ctx, this.#req.headers);
    return this.#expand;
  }

  /**
   * absolute_redirect, port_in_redirect and server_name_in_redirect of the location, as for `return`; worked out only
   * for a response that has a Location or Refresh to rewrite (it asks the socket for its local address).
   */
  get origin(): string {
    this.#origin ??= locationBase({ req: this.#req, head: requestHeadOf(this.#req), serverName: this.#serverName, redirect: this.#location.redirect }, this.ctx.scheme);
    return this.#origin;
  }
}

/** The first hop's scheme in X-Forwarded-Proto (`https, http` → https): what the load balancer in front saw. */
function forwardedHttps(value: string | string[] | undefined): boolean {
  const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https';
}
