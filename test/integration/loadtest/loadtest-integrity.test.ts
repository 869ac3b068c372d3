import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { LoadtestReport } from '../../../gateway/loadtest/report-types.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { lastJson, runCli } from '../rollout/cli-run.js';

const TOKEN = 'loadtest-integrity-token-0123456789abcdef';

/** A principal that breaks a JSON string, a form and a URL unless each is escaped as it needs. */
const AWKWARD = 'o"brien\\ & co/?#=%+';

/** What the app saw of one `{user}` request: the principal from the gateway's X-Session, and each place `{user}` went. */
interface Seen {
  principal: string | null;
  path: string;
  query: string | null;
  header: string | undefined;
  json: string | null;
  form: string | null;
}

/** `who` of a JSON body; a body `{user}` broke is reported as such (the check then fails with 422). */
function whoOf(body: string): string {
  try {
    return String((JSON.parse(body) as { who: unknown }).who);
  } catch {
    return `not JSON: ${body}`;
  }
}

/**
 * The app behind the gateway, written for these checks: `/echo/{user}` answers 200 only when `{user}` arrived as the
 * session's own principal in the path, the query, a header and a JSON or form body; `/visit` logs `lt-pc-1` in as
 * `intruder` (the app's write-back, as a buggy "switch user" would); `/trickle` sends its head at once, then a
 * byte every 200 ms for 3 s, so no read ever stalls for long.
 */
class IntegrityApp {
  readonly seen: Seen[] = [];
  readonly #server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => this.#answer(req, res, body));
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://app');
    const token = req.headers['x-session'];
    const principal = typeof token === 'string' ? ((decodeJwt(token).sub as string | undefined) ?? null) : null;
    if (url.pathname.startsWith('/echo/')) {
      const json = req.headers['content-type'] === 'application/json' ? whoOf(body) : null;
      const form = req.headers['content-type'] === 'application/x-www-form-urlencoded' ? new URLSearchParams(body).get('who') : null;
      const seen: Seen = { principal, path: decodeURIComponent(url.pathname.slice('/echo/'.length)), query: url.searchParams.get('who'), header: req.headers['x-who'] as string | undefined, json, form };
      this.seen.push(seen);
      const all = [seen.path, seen.query, seen.header, seen.json ?? seen.form];
      res.writeHead(all.every((v) => v === principal) ? 200 : 422).end(JSON.stringify(seen));
    } else if (url.pathname === '/visit') {
      res.writeHead(200, principal === 'lt-pc-1' ? { 'x-session-login': 'intruder' } : {}).end('visited');
    } else if (url.pathname === '/trickle') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || ++sent > 15) {
          clearInterval(timer);
          res.end();
        } else res.write('.');
      }, 200);
    } else res.writeHead(404).end();
  }
}

/** Issue 14: the session-integrity kinds, `{user}` escaped where it goes, and --timeout bounding a whole answer. */
describe('loadtest integrity checks, {user} escaping and --timeout, against an app written for them', () => {
  let app: IntegrityApp;
  let gateway: GatewayUnderTest;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-loadtest-integrity-'));
    app = new IntegrityApp();
    gateway = await startGateway({ backends: [await app.listen()], env: { ADMIN_TOKEN: TOKEN }, serverExtra: 'set $session_create_rate off;' });
  });

  after(async () => {
    await gateway?.process.stop();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function loadtest(name: string, scenario: string, ...args: string[]): Promise<{ code: number | null; report: LoadtestReport }> {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, scenario);
    const r = await runCli(['loadtest', '--target', gateway.url, '--admin', gateway.adminUrl, '--token', TOKEN, '--scenario', file, '--out', join(dir, name), '--json', ...args]);
    return { code: r.code, report: lastJson<LoadtestReport>(r) };
  }

  it('a session the app logs in as someone else counts as broken: principal changed, not unknown (exit 1)', { timeout: 90_000 }, async () => {
    const scenario = 'requests:\n  - { name: visit, method: POST, path: /visit, cookieMayChange: true }\n';
    const { code, report } = await loadtest('principal', scenario, '--sessions', '3', '--requests', '30', '--principal', 'lt-pc-');
    assert.equal(code, 1);
    assert.equal(report.totals.failed.status + report.totals.failed.socket + report.totals.failed.timeout, 0, JSON.stringify(report.samples));
    assert.equal(report.sessions.broken, 1, JSON.stringify(report.sessions.examples));
    assert.deepEqual(report.sessions.byReason, { 'principal-changed': 1 });
    const [broken] = report.sessions.examples;
    assert.equal(broken!.principal, 'lt-pc-1');
    assert.match(broken!.detail, /now has principal "intruder"/);
    assert.match(report.verdict.join('\n'), /1 session\(s\) broke: 1 principal-changed/);
    assert.ok(report.sessions.checks >= 3, 'every session was looked up after the load');
    assert.equal(report.sessions.checkErrors, 0);
  });

  it('{user} with quotes, a backslash and URL delimiters arrives intact in the path, query, header, JSON and form body', { timeout: 90_000 }, async () => {
    const scenario = [
      'requests:',
      '  - { name: json, method: POST, path: "/echo/{user}?who={user}", headers: { x-who: "{user}" }, json: { who: "{user}" }, expect: 200 }',
      '  - name: form',
      '    method: POST',
      '    path: "/echo/{user}?who={user}"',
      '    headers: { x-who: "{user}", content-type: application/x-www-form-urlencoded }',
      '    body: "who={user}&more=1"',
      '    expect: 200',
      '',
    ].join('\n');
    app.seen.length = 0;
    const { code, report } = await loadtest('escaping', scenario, '--sessions', '2', '--requests', '8', '--principal', AWKWARD);
    assert.deepEqual(report.verdict, [], JSON.stringify(report.samples));
    assert.equal(code, 0);
    assert.deepEqual([report.perRequest.json!.ok, report.perRequest.form!.ok], [4, 4]);
    assert.equal(app.seen.length, 8);
    const principals = new Set(app.seen.map((s) => s.principal));
    assert.deepEqual([...principals].sort(), [`${AWKWARD}1`, `${AWKWARD}2`]);
    for (const s of app.seen) assert.deepEqual([s.path, s.query, s.header, s.json ?? s.form], [s.principal, s.principal, s.principal, s.principal]);
  });

  it('--timeout bounds the whole answer: a body that trickles past it is a timeout, though no read stalls (exit 1)', { timeout: 90_000 }, async () => {
    const scenario = 'requests:\n  - { name: trickle, path: /trickle }\n';
    const { code, report } = await loadtest('trickle', scenario, '--sessions', '1', '--requests', '2', '--timeout', '1');
    assert.equal(code, 1);
    assert.deepEqual(report.totals.failed, { status: 0, socket: 0, timeout: 2 });
    assert.deepEqual(report.totals.errorCodes, { SG_LOADTEST_TIMEOUT: 2 });
    assert.equal(report.settings.timeoutS, 1);
    assert.match(report.verdict[0]!, /^2 request\(s\) failed: .*2 timeout\(s\)/);
  });
});
