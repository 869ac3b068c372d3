import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { AccessControl } from '../../../gateway/access/access-control.js';
import { OPEN_ACCESS, type AccessSettings, type AddressRule } from '../../../gateway/access/access-settings.js';
import { parseCidr } from '../../../gateway/access/ip-address.js';
import { createLogger } from '../../../gateway/log.js';

/** nginx's access phase as a decision table: satisfy all/any over allow/deny and auth_basic, limit_except, internal. */
const dir = mkdtempSync(join(tmpdir(), 'sg-access-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const userFile = join(dir, 'users');
writeFileSync(userFile, 'ann:{PLAIN}pw\n');
const logLines: string[] = [];
const sink = new PassThrough();
sink.on('data', (chunk: Buffer) => logLines.push(chunk.toString()));
const access = new AccessControl(createLogger({ level: 'debug', destination: sink }), [userFile]);

const rule = (action: 'allow' | 'deny', text: string): AddressRule => ({ action, match: text === 'all' ? 'all' : parseCidr(text)!, text });
const LAN_ONLY = [rule('allow', '10.0.0.0/8'), rule('deny', 'all')];
const AUTH = { realm: 'R', userFile, source: 't.conf:1' };

function settings(over: Partial<AccessSettings>): AccessSettings {
  return { ...OPEN_ACCESS, restricted: true, ...over };
}

/** The parts of a request access control reads: method, Authorization, the connection's address. */
function request(remote: string, authorization?: string, method = 'GET'): IncomingMessage {
  return { method, headers: authorization ? { authorization } : {}, socket: { remoteAddress: remote } } as unknown as IncomingMessage;
}
const ANN = `Basic ${Buffer.from('ann:pw').toString('base64')}`;
const WRONG = `Basic ${Buffer.from('ann:nope').toString('base64')}`;

async function status(s: AccessSettings, req: IncomingMessage): Promise<number> {
  return (await access.check(req, s))?.status ?? 200;
}

describe('the access phase', () => {
  it('satisfy all: a deny is 403 before any credentials; an allowed address still needs them', async () => {
    const s = settings({ addressRules: LAN_ONLY, basicAuth: AUTH });
    assert.equal(await status(s, request('192.0.2.1', ANN)), 403);
    assert.equal(await status(s, request('10.1.1.1')), 401);
    assert.equal(await status(s, request('10.1.1.1', WRONG)), 401);
    assert.equal(await status(s, request('10.1.1.1', ANN)), 200);
  });

  it('satisfy any: an allowed address or right credentials; else 401 (credentials asked for) over 403', async () => {
    const s = settings({ addressRules: LAN_ONLY, basicAuth: AUTH, satisfy: 'any' });
    assert.equal(await status(s, request('10.1.1.1')), 200);
    assert.equal(await status(s, request('192.0.2.1', ANN)), 200);
    const refusal = await access.check(request('192.0.2.1'), s);
    assert.equal(refusal?.status, 401);
    assert.equal(refusal?.challenge, 'Basic realm="R"');
    assert.equal(await status(settings({ addressRules: LAN_ONLY, satisfy: 'any' }), request('192.0.2.1')), 403);
    assert.equal(await status(settings({ addressRules: [rule('deny', '192.0.2.9')], satisfy: 'any' }), request('192.0.2.1')), 200, 'no rule matched, nothing else asked');
  });

  it('limit_except: listed methods get the location rules, the others the block rules', async () => {
    const s = settings({ limitExcept: { methods: ['GET', 'HEAD'], addressRules: [rule('deny', 'all')], basicAuth: null, source: 't.conf:2' } });
    assert.equal(await status(s, request('10.1.1.1', undefined, 'HEAD')), 200);
    assert.equal(await status(s, request('10.1.1.1', undefined, 'POST')), 403);
  });

  it('internal is 404 whatever else is allowed', async () => {
    assert.equal(await status(settings({ internal: true, addressRules: [rule('allow', 'all')] }), request('10.1.1.1')), 404);
  });

  it('a realm is quoted safely in WWW-Authenticate', async () => {
    const refusal = await access.check(request('10.1.1.1'), settings({ basicAuth: { ...AUTH, realm: 'a "quoted" \\ realm' } }));
    assert.equal(refusal?.challenge, 'Basic realm="a \\"quoted\\" \\\\ realm"');
  });

  it('a user file missing at start-up refuses with 403 and says so once', async () => {
    const missing = join(dir, 'nope');
    const s = settings({ basicAuth: { ...AUTH, userFile: missing } });
    assert.equal(await status(s, request('10.1.1.1', ANN)), 403);
    assert.equal(await status(s, request('10.1.1.1')), 401, 'no credentials: asked for them first, as nginx does');
    assert.equal(logLines.filter((l) => l.includes('access.user_file_failed') && l.includes(missing)).length, 1);
  });
});
