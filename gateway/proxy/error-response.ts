import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { nginxReason } from './nginx-pages.js';
import type { Socket } from 'node:net';
import { ownAnswerFieldsOf } from './add-header.js';
import { requestIdOf } from './request-id.js';

/**
 * The body of every answer the gateway makes itself: the status, the `SG_*` code and the request id, nothing else.
 * What went wrong inside (a backend's address, an OS error such as `connect ECONNREFUSED 10.0.0.7:8080`) is for the
 * log line, which carries the same request id; a client never learns the network behind the gateway from an error.
 */
export function errorBody(status: number, code: string, requestId: string): string {
  return `${status} ${reasonOf(status)} (${code})\nrequest id: ${requestId}\n`;
}

/** An answer the gateway makes itself, with X-Gateway-Error and X-Request-Id (the request's, unless given). */
export function sendGatewayError(res: ServerResponse, status: number, code: string, requestId: string = requestIdOf(res.req)): void {
  if (res.headersSent) {
    // Bytes already went to the client: the only honest signal left is to cut the connection.
    res.destroy();
    return;
  }
  const body = errorBody(status, code, requestId);
  // add_header … always of the location comes first: the gateway's own fields below must win a clash.
  const headers: Record<string, string | number | string[]> = Object.fromEntries(ownAnswerFieldsOf(res));
  Object.assign(headers, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-gateway-error': code,
    'x-request-id': requestId,
  });
  if (status === 503) headers['retry-after'] = '1';
  try {
    // The reason is given: a backend's refused one may still be set on the response.
    res.writeHead(status, reasonOf(status), headers);
    res.end(body);
  } catch {
    // The last answer of a request path must not throw: a connection cut is still an answer.
    res.destroy();
  }
}

/** The same on a raw socket (a request head that could not be parsed: no ServerResponse exists). */
export function writeSocketError(socket: Socket, status: number, code: string, requestId: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(status, code, requestId);
  socket.end(
    `HTTP/1.1 ${status} ${reasonOf(status)}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Gateway-Error: ${code}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** nginx's reason phrase (`413 Request Entity Too Large`, `504 Gateway Time-out`), as the differential suite compares it. */
function reasonOf(status: number): string {
  return nginxReason(status) || STATUS_CODES[status] || 'Error';
}
