/**
 * The differences from nginx the README's "Differences from nginx" section documents, each with what the differential
 * suite removes from both sides' views before comparing. A case that shows one names it; a case that names one but
 * shows nothing different fails (the list stays honest both ways).
 *
 * Views are plain data: the client's answer and what the backends received, already stripped of what always differs
 * and is not a behaviour (Date, Server, connection management, the gateway's own headers: see BASE_* in
 * differential.ts).
 */
export interface ClientView {
  statusLine: string;
  headers: Array<[string, string]>;
  body: string;
  interim: string[];
}

export interface BackendRequestView {
  backend: number;
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: string;
}

export interface Views {
  client: ClientView;
  backend: BackendRequestView[];
}

export interface Difference {
  /** The bold title of its entry in the README's "Differences from nginx" list. */
  readme: string;
  normalise(views: Views): Views;
}

const withoutHeaders = (headers: Array<[string, string]>, names: readonly string[]) => headers.filter(([n]) => !names.includes(n));

export const DIFFERENCES = {
  /**
   * The gateway's own answers (no location, 502, 504, 413, ...) are short plain text naming an SG_* code; the status
   * is nginx's, the reason phrase the RFC's (nginx: `504 Gateway Time-out`).
   */
  'error-body': {
    readme: 'Error pages',
    normalise: (v) => ({
      ...v,
      client: {
        ...v.client,
        statusLine: v.client.statusLine.replace(/^(HTTP\/1\.[01] \d{3}) .*$/, '$1'),
        headers: withoutHeaders(v.client.headers, ['content-type', 'content-length', 'cache-control', 'x-gateway-error', 'x-request-id', 'retry-after']),
        body: '',
      },
    }),
  },
  /** nginx's own pages (`return`, the trailing-slash 301) are signed with its version, the gateway's with its name. */
  'page-signature': {
    readme: 'Page signature',
    normalise: (v) => ({
      ...v,
      client: {
        ...v.client,
        headers: withoutHeaders(v.client.headers, ['content-length']),
        body: v.client.body.replace(/<hr><center>[^<]*<\/center>/, '<hr><center></center>'),
      },
    }),
  },
  /** nginx buffers a request body and sends it with Content-Length; the gateway streams it as it came. */
  'request-streaming': {
    readme: 'Request bodies stream',
    normalise: (v) => ({ ...v, backend: v.backend.map((r) => ({ ...r, headers: withoutHeaders(r.headers, ['content-length', 'transfer-encoding']) })) }),
  },
  /** `proxy_set_header Host "";`: nginx's HTTP/1.0 request has no Host; HTTP/1.1 needs one, so the gateway's is empty. */
  'empty-host': {
    readme: 'No Host for a backend',
    normalise: (v) => ({ ...v, backend: v.backend.map((r) => ({ ...r, headers: r.headers.filter(([n, value]) => n !== 'host' || value !== '') })) }),
  },
  /**
   * `proxy_set_header Host` written twice: nginx sends both Host lines, a request RFC 9112 §3.2 says a server must
   * refuse; the gateway's HTTP client sends one, the first.
   */
  'host-twice': {
    readme: 'One Host line',
    normalise: (v) => ({ ...v, backend: v.backend.map((r) => ({ ...r, headers: r.headers.filter(([n], i) => n !== 'host' || r.headers.findIndex(([m]) => m === 'host') === i) })) }),
  },
} satisfies Record<string, Difference>;

export type DifferenceKey = keyof typeof DIFFERENCES;
