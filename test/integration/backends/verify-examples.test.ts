import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveHeaderKey } from '../../../gateway/config/env.js';
import { signSessionHeader } from '../../../gateway/session/header-jwt.js';
import { findRepoRoot } from '../../../backends/demo/runtime-dir.js';

/** The shipped verification examples (examples/) accept a header minted by the gateway's signer and reject others. */

const examples = join(findRepoRoot(dirname(fileURLToPath(import.meta.url))), 'examples');
const SESSION_SECRET = 'first-secret-0123456789abcdef,older-secret-0123456789abcdef';
const env = { PATH: process.env.PATH, HOME: process.env.HOME, SESSION_SECRET };
const key = deriveHeaderKey(env)!;
const claims = { sid: 'sid-42', sub: 'zoë', data: { counter: 3, draft: 'héllo 世界', nested: { a: [1, 2] } }, ct: 1_700_000_000_000, la: 1_700_000_060_000, idle: 1800, end: 1_700_086_400_000 };

function onPath(command: string): boolean {
  return spawnSync(command, ['-version'], { stdio: 'ignore' }).error === undefined;
}

type Run = (token: string, extraEnv?: Record<string, string>) => { status: number | null; stdout: string; stderr: string };

function checkVerifier(run: Run): void {
  const token = signSessionHeader(claims, key, Date.now());
  const ok = run(token);
  assert.equal(ok.status, 0, ok.stderr);
  const verified = JSON.parse(ok.stdout) as Record<string, unknown>;
  assert.equal(verified.sid, 'sid-42');
  assert.equal(verified.sub, 'zoë');
  assert.deepEqual(verified.data, claims.data);

  const forged = signSessionHeader(claims, Buffer.from('some-other-key-0123456789abcdef'), Date.now());
  const tampered = `${token.split('.')[0]}.${Buffer.from(JSON.stringify({ ...claims, sub: 'admin', exp: 9e9 })).toString('base64url')}.${token.split('.')[2]}`;
  const expired = signSessionHeader(claims, key, Date.now() - 10 * 60_000);
  for (const [what, bad] of [['forged', forged], ['tampered', tampered], ['expired', expired], ['garbage', 'not-a-jwt']] as const) {
    const res = run(bad);
    assert.equal(res.status, 1, `${what}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr, /invalid X-Session header/, what);
  }
  const explicit = run(signSessionHeader(claims, Buffer.from('explicit-header-secret-0123456789'), Date.now()), { SESSION_HEADER_SECRET: 'explicit-header-secret-0123456789' });
  assert.equal(explicit.status, 0, `SESSION_HEADER_SECRET wins: ${explicit.stderr}`);
}

describe('examples/verify-x-session.py', () => {
  it('verifies a header minted by signSessionHeader (stdlib only)', (t) => {
    if (!onPath('python3')) return t.skip('python3 is not on PATH');
    checkVerifier((token, extraEnv = {}) => {
      const res = spawnSync('python3', [join(examples, 'verify-x-session.py'), token], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
      return { status: res.status, stdout: res.stdout, stderr: res.stderr };
    });
  });
});

describe('examples/VerifyXSession.java', () => {
  let classes = '';
  before(() => {
    classes = mkdtempSync(join(tmpdir(), 'sg-java-'));
  });
  after(() => rmSync(classes, { recursive: true, force: true }));

  it('verifies a header minted by signSessionHeader (JDK only)', (t) => {
    if (!onPath('javac') || !onPath('java')) return t.skip('javac/java are not on PATH: the Java example was not run');
    execFileSync('javac', ['-encoding', 'UTF-8', '-d', classes, join(examples, 'VerifyXSession.java')], { stdio: 'pipe' });
    checkVerifier((token, extraEnv = {}) => {
      const res = spawnSync('java', ['-Dstdout.encoding=UTF-8', '-Dfile.encoding=UTF-8', '-cp', classes, 'VerifyXSession', token], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
      return { status: res.status, stdout: res.stdout, stderr: res.stderr };
    });
  });
});
