import { connect } from 'node:net';

/**
 * Raw HTTP/1.x over a plain socket: the request goes out byte for byte as written (no client library to normalise
 * `..`, add a Host or fix a header), and the answer is parsed just enough to compare: status line, header fields in
 * order, body by Content-Length, chunked coding or close. Interim 1xx answers are kept.
 */
export interface RawResponse {
  /** `HTTP/1.1 200 OK` */
  statusLine: string;
  status: number;
  /** [name, value] in the order received, names as sent. */
  headers: Array<[string, string]>;
  body: Buffer;
  /** 1xx status lines received before the final answer. */
  interim: string[];
  /** The connection was closed by the server right after this answer (or the answer was ended by close). */
  closed: boolean;
}

export function header(res: RawResponse, name: string): string | undefined {
  const lower = name.toLowerCase();
  return res.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

export function headerValues(res: RawResponse, name: string): string[] {
  const lower = name.toLowerCase();
  return res.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

interface Parsed {
  response: RawResponse;
  consumed: number;
}

function parseHead(buf: Buffer): { statusLine: string; headers: Array<[string, string]>; end: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { statusLine: lines[0]!, headers, end: end + 4 };
}

/** Decode a chunked body that starts at `from`; null while incomplete. */
function parseChunked(buf: Buffer, from: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let pos = from;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd === -1) return null;
    const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1').split(';')[0]!, 16);
    pos = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = buf.indexOf('\r\n\r\n', pos - 2);
      if (trailerEnd === -1) return null;
      return { body: Buffer.concat(parts), end: trailerEnd + 4 };
    }
    if (buf.length < pos + size + 2) return null;
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }
}

/** One complete response at the start of `buf`, or null while more bytes are needed (`ended`: the peer closed). */
function parseResponse(buf: Buffer, ended: boolean, method: string): Parsed | null {
  const interim: string[] = [];
  let offset = 0;
  for (;;) {
    const head = parseHead(buf.subarray(offset));
    if (!head) return null;
    const status = Number(head.statusLine.split(' ')[1]);
    if (status >= 100 && status < 200 && status !== 101) {
      interim.push(head.statusLine);
      offset += head.end;
      continue;
    }
    const start = offset + head.end;
    const base = { statusLine: head.statusLine, status, headers: head.headers, interim, closed: false };
    const get = (n: string) => head.headers.find(([k]) => k.toLowerCase() === n)?.[1];
    if (method === 'HEAD' || status === 204 || status === 304 || status === 101) return { response: { ...base, body: Buffer.alloc(0) }, consumed: start };
    if (/chunked/i.test(get('transfer-encoding') ?? '')) {
      const chunked = parseChunked(buf, start);
      return chunked ? { response: { ...base, body: chunked.body }, consumed: chunked.end } : null;
    }
    const length = get('content-length');
    if (length !== undefined) {
      const n = Number(length);
      if (buf.length < start + n) return null;
      return { response: { ...base, body: buf.subarray(start, start + n) }, consumed: start + n };
    }
    if (!ended) return null;
    return { response: { ...base, body: buf.subarray(start), closed: true }, consumed: buf.length };
  }
}

export interface RawExchangeOptions {
  host?: string;
  /** Give up after this long and return what arrived (default 10 s). */
  timeoutMs?: number;
  /** Responses to wait for (pipelined requests); default 1. */
  responses?: number;
}

/**
 * Send `request` (a string is sent as latin1 bytes) and read the answers. Resolves with the responses received
 * when the expected number arrived, when the server closed, or at the timeout (then possibly fewer).
 */
export function rawExchange(port: number, request: string | Buffer, options: RawExchangeOptions = {}): Promise<RawResponse[]> {
  const bytes = typeof request === 'string' ? Buffer.from(request, 'latin1') : request;
  const methods = [...bytes.toString('latin1').matchAll(/(?:^|\r\n\r\n)([A-Z]+) /g)].map((m) => m[1]!);
  const want = options.responses ?? 1;
  return new Promise((resolve) => {
    const socket = connect(port, options.host ?? '127.0.0.1');
    let buf = Buffer.alloc(0);
    const out: RawResponse[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const drain = (ended: boolean) => {
      for (;;) {
        if (out.length >= want) return finish();
        const parsed = parseResponse(buf, ended, methods[out.length] ?? 'GET');
        if (!parsed) break;
        out.push(parsed.response);
        buf = buf.subarray(parsed.consumed);
      }
      if (ended) {
        if (out.length > 0) out[out.length - 1]!.closed = true;
        finish();
      }
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 10_000);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      drain(false);
    });
    socket.on('end', () => drain(true));
    socket.on('error', () => drain(true));
    socket.on('close', () => drain(true));
  });
}

/** One request, one answer; throws when none came. */
export async function rawRequest(port: number, request: string | Buffer, options: RawExchangeOptions = {}): Promise<RawResponse> {
  const [res] = await rawExchange(port, request, options);
  if (!res) throw new Error(`no response to ${JSON.stringify(request.toString().slice(0, 80))}`);
  return res;
}
