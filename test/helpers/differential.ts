import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Blackhole } from './blackhole.js';
import { GarbageBackend } from './garbage-backend.js';
import { startGateway, type GatewayUnderTest } from './gateway-process.js';
import { DIFFERENCES, type BackendRequestView, type ClientView, type DifferenceKey, type Views } from './nginx-differences.js';
import { findNginx, NGINX_SCRATCH_DIRECTIVES, NginxProcess } from './nginx-process.js';
import { freePort } from './ports.js';
import { rawExchange } from './raw-http.js';
import { RecordingBackend, answerOk, type BackendAnswer, type BackendScript, type RecordedRequest } from './recording-backend.js';

/**
 * nginx as the oracle: the same config text runs in the real nginx 1.22 and in the gateway, the same raw requests go
 * to both, and what the client got and what the backends saw must be the same — or differ only by a documented
 * difference (nginx-differences.ts, README "Differences from nginx").
 *
 * A group is one config: one nginx, one gateway, shared recording backends; its cases run in order on each side, so
 * round-robin state evolves the same way in both. Adding a case is one line: `same('what', get('/path'))`.
 *
 * Placeholders in the config and requests: `{listen}`/`{listen2}` → this side's `127.0.0.1:PORT`, `{port}`/`{port2}`
 * → this side's ports, `{b0}`, `{b1}`, … → the recording backends, `{dead}` → an address nothing listens on,
 * `{blackhole}` → one where connecting hangs (with `blackhole: true`), `{garbage}` → a backend answering non-HTTP
 * (with `garbage: true`), `{files}` → a directory holding the group's `files`.
 */
export interface DiffCase {
  name: string;
  /** Raw request bytes (latin1). Use the request builders below. */
  request: string;
  /** How the backends answer (one script for all, or one per backend); default: 200 naming the backend. */
  answer?: BackendAnswer | BackendScript | Array<BackendAnswer | BackendScript>;
  /** Documented differences this case shows. */
  differences?: DifferenceKey[];
  /** The listener to send to. */
  port?: 'port' | 'port2';
  /** Give the answer this long (a timeout case); default 10 s. */
  timeoutMs?: number;
}

export interface DiffGroup {
  name: string;
  /** The inside of the `http { }` block. */
  http: string;
  backends?: number;
  files?: Record<string, string>;
  /** Start a Blackhole for `{blackhole}` (connect-timeout cases). */
  blackhole?: boolean;
  /** Start a GarbageBackend for `{garbage}` (invalid_header cases). */
  garbage?: boolean;
  cases: DiffCase[];
}

/** Header fields that always differ and are not behaviour: removed from both sides before any comparison. */
const BASE_CLIENT_DROP = ['date', 'server', 'connection', 'keep-alive'];
/** The gateway's own request headers (README): compared only when nginx sent the same name too. */
const GATEWAY_OWN_REQUEST = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id'];
/** The gateway keeps connections to backends alive (HTTP/1.1); nginx sends `Connection: close` over HTTP/1.0. */
const BASE_BACKEND_DROP = ['connection', 'keep-alive'];

export interface RequestOptions {
  host?: string | null;
  headers?: Array<[string, string]> | Record<string, string>;
  body?: string;
  version?: '1.0' | '1.1';
}

/** A raw request: `request('POST /x', { body: 'a=1' })`. The Host defaults to `localhost`, Connection to close. */
export function request(line: string, options: RequestOptions = {}): string {
  const [method, target] = line.includes(' ') ? line.split(' ', 2) as [string, string] : ['GET', line];
  const headers = Array.isArray(options.headers) ? options.headers : Object.entries(options.headers ?? {});
  const lines = [`${method} ${target} HTTP/${options.version ?? '1.1'}`];
  const host = options.host === undefined ? 'localhost' : options.host;
  if (host !== null) lines.push(`Host: ${host}`);
  for (const [n, v] of headers) lines.push(`${n}: ${v}`);
  if (!headers.some(([n]) => n.toLowerCase() === 'connection')) lines.push('Connection: close');
  if (options.body !== undefined && !headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n))) lines.push(`Content-Length: ${Buffer.byteLength(options.body, 'latin1')}`);
  return `${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`;
}

export const get = (target: string, options: RequestOptions = {}) => request(`GET ${target}`, options);

/** A case both must answer the same. */
export function same(name: string, req: string, extra: Omit<DiffCase, 'name' | 'request'> = {}): DiffCase {
  return { name, request: req, ...extra };
}

/** A case that shows documented differences (and only those). */
export function differs(name: string, req: string, differences: DifferenceKey[], extra: Omit<DiffCase, 'name' | 'request' | 'differences'> = {}): DiffCase {
  return { name, request: req, differences, ...extra };
}

interface Side {
  name: 'nginx' | 'gateway';
  ports: { port: number; port2: number };
}

function fill(text: string, side: Side, vars: Record<string, string>): string {
  return text.replace(/\{(listen2?|port2?|b\d+|dead|blackhole|garbage|files)\}/g, (m, key: string) => {
    if (key === 'listen') return `127.0.0.1:${side.ports.port}`;
    if (key === 'listen2') return `127.0.0.1:${side.ports.port2}`;
    if (key === 'port' || key === 'port2') return String(side.ports[key]);
    return vars[key] ?? m;
  });
}

function sortHeaders(headers: Array<[string, string]>): Array<[string, string]> {
  // Header order across different names carries no meaning (RFC 9110 §5.3); the order of one name's lines does.
  return headers.map(([n, v], i) => ({ n: n.toLowerCase(), v, i })).sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : a.i - b.i)).map(({ n, v }) => [n, v]);
}

function unport(text: string, side: Side): string {
  return text.replaceAll(String(side.ports.port2), '{port2}').replaceAll(String(side.ports.port), '{port}');
}

function clientView(res: Awaited<ReturnType<typeof rawExchange>>[number] | undefined, side: Side): ClientView {
  if (!res) return { statusLine: '(no answer: connection closed)', headers: [], body: '', interim: [] };
  return {
    statusLine: res.statusLine,
    headers: sortHeaders(res.headers.filter(([n]) => !BASE_CLIENT_DROP.includes(n.toLowerCase())).map(([n, v]) => [n, unport(v, side)])),
    body: unport(res.body.toString('latin1'), side),
    interim: res.interim,
  };
}

function backendView(seen: RecordedRequest[], side: Side): BackendRequestView[] {
  return seen.map((r) => ({
    backend: r.backend,
    method: r.method,
    target: unport(r.target, side),
    headers: sortHeaders(r.headers.filter(([n]) => !BASE_BACKEND_DROP.includes(n.toLowerCase())).map(([n, v]) => [n, unport(v, side)])),
    body: r.body,
  }));
}

/** Drop the gateway's own request headers wherever nginx did not send that name for the same request. */
function alignOwnHeaders(gateway: BackendRequestView[], nginx: BackendRequestView[]): BackendRequestView[] {
  return gateway.map((r, i) => {
    const names = new Set((nginx[i]?.headers ?? []).map(([n]) => n));
    return { ...r, headers: r.headers.filter(([n]) => !GATEWAY_OWN_REQUEST.includes(n) || names.has(n)) };
  });
}

function applyDifferences(views: Views, keys: readonly DifferenceKey[]): Views {
  return keys.reduce((v, k) => DIFFERENCES[k].normalise(v), views);
}

/** Tallies for the suite's summary line: cases the same as nginx, and cases that differ only as documented. */
export const tally = { same: 0, documented: 0 };

export function differential(group: DiffGroup): void {
  const nginxBinary = findNginx();
  describe(`nginx differential: ${group.name}`, { skip: nginxBinary ? false : 'no nginx binary (CI installs it: see .ci/run)' }, () => {
    const backends: RecordingBackend[] = [];
    const vars: Record<string, string> = {};
    const sides: Side[] = [];
    let nginx: NginxProcess | null = null;
    let gateway: GatewayUnderTest | null = null;
    let filesDir: string | null = null;
    let blackhole: Blackhole | null = null;
    const garbage = group.garbage ? new GarbageBackend() : null;

    before(async () => {
      for (let i = 0; i < (group.backends ?? 1); i++) {
        const b = new RecordingBackend(i);
        backends.push(b);
        vars[`b${i}`] = await b.listen();
      }
      vars.dead = `127.0.0.1:${await freePort()}`;
      if (garbage) vars.garbage = await garbage.listen();
      if (group.blackhole) {
        blackhole = await Blackhole.start();
        vars.blackhole = blackhole.address;
      }
      if (group.files) {
        filesDir = mkdtempSync(join(tmpdir(), 'sg-diff-files-'));
        chmodSync(filesDir, 0o755);
        for (const [name, text] of Object.entries(group.files)) writeFileSync(join(filesDir, name), text, { mode: 0o644 });
        vars.files = filesDir;
      }
      for (const name of ['nginx', 'gateway'] as const) sides.push({ name, ports: { port: await freePort(), port2: await freePort() } });
      const config = (side: Side) => fill(`events {}\nhttp {\n${NGINX_SCRATCH_DIRECTIVES}\n${group.http}\n}\n`, side, vars);
      nginx = await NginxProcess.start(nginxBinary!, config(sides[0]!), firstPort(group.http, sides[0]!));
      const configFile = join(mkdtempSync(join(tmpdir(), 'sg-diff-conf-')), 'gateway.conf');
      writeFileSync(configFile, config(sides[1]!));
      gateway = await startGateway({ backends: [], configFile, port: sides[1]!.ports.port });
    });

    after(async () => {
      console.log(`nginx differential "${group.name}": ${tally.same} case(s) the same as nginx, ${tally.documented} differing only as documented`);
      await Promise.all([nginx?.stop(), gateway?.process.stop(), blackhole?.close(), garbage?.close(), ...backends.map((b) => b.close())]);
      if (filesDir) rmSync(filesDir, { recursive: true, force: true });
    });

    for (const c of group.cases) {
      it(c.name, async () => {
        const views: Views[] = [];
        for (const side of sides) {
          const scripts: Array<BackendAnswer | BackendScript> = Array.isArray(c.answer) ? c.answer : backends.map(() => (c.answer as BackendAnswer | BackendScript | undefined) ?? answerOk);
          backends.forEach((b, i) => {
            const s = scripts[i] ?? answerOk;
            b.script = typeof s === 'function' ? s : () => s;
            b.seen.length = 0;
          });
          const port = side.ports[c.port ?? 'port'];
          const [res] = await rawExchange(port, fill(c.request, side, vars), { timeoutMs: c.timeoutMs ?? 10_000 });
          const seen = backends.flatMap((b) => b.seen).sort((a, b) => a.order - b.order);
          views.push({ client: clientView(res, side), backend: backendView(seen, side) });
        }
        const [fromNginx, fromGateway] = views as [Views, Views];
        if (process.env.DIFF_DEBUG) console.log(JSON.stringify({ case: c.name, nginx: fromNginx, gateway: fromGateway }, null, 1));
        fromGateway.backend = alignOwnHeaders(fromGateway.backend, fromNginx.backend);
        const keys = c.differences ?? [];
        const a = applyDifferences(fromNginx, keys);
        const b = applyDifferences(fromGateway, keys);
        assert.deepEqual(b, a, `the gateway differs from nginx (${keys.length > 0 ? `beyond ${keys.join(', ')}` : 'no documented difference applies'})`);
        if (keys.length > 0) {
          assert.notDeepEqual(fromGateway, fromNginx, `"${c.name}" is the same as nginx: drop the stale difference(s) ${keys.join(', ')}`);
          tally.documented += 1;
        } else tally.same += 1;
      });
    }
  });
}

/** The port nginx is started on and polled: the first `{listen…}` the config names. */
function firstPort(http: string, side: Side): number {
  return /\{listen2\}/.exec(http) && !/\{listen\}/.exec(http) ? side.ports.port2 : side.ports.port;
}
