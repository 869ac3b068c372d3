import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { ownAnswerFieldsOf } from './add-header.js';

/**
 * Responses the gateway makes itself: a short plain body that names the error code, so a person reading a curl
 * output and an operator grepping logs see the same words.
 */
export function sendGatewayError(res: ServerResponse, status: number, code: string, message: string, requestId?: string): void {
  if (res.headersSent) {
    // Bytes already went to the client: the only honest signal left is to cut the connection.
    res.destroy();
    return;
  }
  const body = `${status} ${STATUS_CODES[status] ?? 'Error'}: ${message} (${code})\n`;
  // add_header … always of the location comes first: the gateway's own fields below must win a clash.
  const headers: Record<string, string | number | string[]> = Object.fromEntries(ownAnswerFieldsOf(res));
  Object.assign(headers, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-gateway-error': code,
  });
  if (requestId) headers['x-request-id'] = requestId;
  if (status === 503) headers['retry-after'] = '1';
  try {
    // The reason is given: a backend's refused one may still be set on the response.
    res.writeHead(status, STATUS_CODES[status] ?? 'Error', headers);
    res.end(body);
  } catch {
    // The last answer of a request path must not throw: a connection cut is still an answer.
    res.destroy();
  }
}

/** The same on a raw socket (upgrade requests and client errors, where no ServerResponse exists). */
export function writeSocketError(socket: Socket, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${status} ${STATUS_CODES[status] ?? 'Error'}: ${message} (${code})\n`;
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-Gateway-Error: ${code}\r\n${extra}Connection: close\r\n\r\n${body}`,
  );
}
