import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small request/response helpers of the demo app (node:http only, no framework). */

export const MAX_JSON_BODY_BYTES = 64 * 1024;

export class RequestBodyError extends Error {
  readonly code: 'SG_DEMO_BAD_JSON' | 'SG_DEMO_BODY_TOO_LARGE';
  readonly status: 400 | 413;
  constructor(code: 'SG_DEMO_BAD_JSON' | 'SG_DEMO_BODY_TOO_LARGE', message: string) {
    super(message);
    this.code = code;
    this.status = code === 'SG_DEMO_BAD_JSON' ? 400 : 413;
  }
}

/** Read a JSON object body (bounded); an empty body is `{}`. */
export async function readJsonObject(req: IncomingMessage, limit = MAX_JSON_BODY_BYTES): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RequestBodyError('SG_DEMO_BODY_TOO_LARGE', `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RequestBodyError('SG_DEMO_BAD_JSON', 'body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestBodyError('SG_DEMO_BAD_JSON', 'body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Drain (and discard) a body we do not need, so the connection can be reused. */
export function discardBody(req: IncomingMessage): void {
  req.resume();
}
