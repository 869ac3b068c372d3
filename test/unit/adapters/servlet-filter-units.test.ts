import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { deriveHeaderKeyFromSecret } from '../../../gateway/config/env.js';
import { signSessionHeader } from '../../../gateway/session/header-jwt.js';
import { TEST_SECRET } from '../../helpers/gateway-process.js';
import { repoRoot } from '../../helpers/paths.js';

/**
 * The Servlet filter's pure parts (JSON codec, value types, token check, principal path, the write-back of each
 * HttpSession story), run in one JVM by test/fixtures/servlet/org/sessiongateway/servlet/Checks.java against the built
 * jakarta jar.
 * The gateway's own key derivation and a token signed by the gateway's code are handed to it to verify.
 */
function runChecks(): Array<{ ok: boolean; name: string; detail: string }> {
  const jar = join(repoRoot, 'adapters', 'servlet', 'dist', 'session-gateway-servlet-jakarta.jar');
  execFileSync('bash', [join(repoRoot, 'adapters', 'servlet', 'build.sh')], { stdio: 'ignore' });
  const classes = mkdtempSync(join(tmpdir(), 'sg-filter-checks-'));
  try {
    const classpath = [jar, '/usr/share/java/tomcat10-servlet-api.jar', classes].join(':');
    const sources = join(repoRoot, 'test', 'fixtures', 'servlet', 'org', 'sessiongateway', 'servlet');
    execFileSync('javac', ['--release', '8', '-nowarn', '-encoding', 'UTF-8', '-cp', classpath, '-d', classes,
      ...['Checks', 'CodecChecks', 'SessionChecks'].map((name) => join(sources, `${name}.java`))]);
    const now = Date.now();
    const token = signSessionHeader({ sid: 'sid-from-gateway', sub: 'alice', data: { counter: 3 }, ct: now - 1000, la: now, idle: 1800, end: now + 86_400_000 },
      deriveHeaderKeyFromSecret(TEST_SECRET), now);
    let output: string;
    try {
      output = execFileSync('java', ['-cp', classpath, 'org.sessiongateway.servlet.Checks', TEST_SECRET, deriveHeaderKeyFromSecret(TEST_SECRET).toString('hex'), token], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? '');
    }
    // "ok NAME", or "not ok NAME" followed by "  # why".
    const lines = output.split('\n');
    return lines.flatMap((line, i): Array<{ ok: boolean; name: string; detail: string }> => {
      if (line.startsWith('ok ')) return [{ ok: true, name: line.slice(3), detail: '' }];
      if (line.startsWith('not ok ')) return [{ ok: false, name: line.slice(7), detail: (lines[i + 1] ?? '').replace(/^ {2}# /, '') }];
      return [];
    });
  } finally {
    rmSync(classes, { recursive: true, force: true });
  }
}

describe('Servlet filter units (Java)', () => {
  const results = runChecks();
  it('ran every check', () => assert.ok(results.length >= 20, `only ${results.length} checks reported`));
  for (const r of results) it(r.name, () => assert.ok(r.ok, r.detail));
});
