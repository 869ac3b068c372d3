import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { python, pythonAdapterRoot } from '../../helpers/python.js';

function run(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { cwd: options.cwd, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('the session_gateway Python package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-py-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes its unit tests (token, write-back, Flask, Django, WSGI) on Debian\'s Flask and Django', async () => {
    const r = await run(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], { cwd: pythonAdapterRoot, env: { PYTHONPATH: pythonAdapterRoot } });
    process.stderr.write(r.output);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /^OK$/m);
    assert.doesNotMatch(r.output, /skipped/);
  });

  it('installs with `pip install ./adapters/python` (offline, no build isolation) and imports from the install', async () => {
    // From a copy: a build leaves build/ and *.egg-info behind, which must not land in the repository.
    const source = join(dir, 'source');
    cpSync(pythonAdapterRoot, source, { recursive: true, filter: (p) => !p.includes('__pycache__') });
    const target = join(dir, 'site');
    const install = await run(['-m', 'pip', 'install', '--no-build-isolation', '--no-index', '--no-deps', '--disable-pip-version-check', '--target', target, source], { cwd: dir });
    assert.equal(install.code, 0, install.output);
    const probe = await run(['-c', 'import session_gateway, session_gateway.flask, session_gateway.django, session_gateway.wsgi; print(session_gateway.__file__, session_gateway.__version__)'], { cwd: dir, env: { PYTHONPATH: target } });
    assert.equal(probe.code, 0, probe.output);
    assert.ok(probe.output.startsWith(join(target, 'session_gateway', '__init__.py')), probe.output);
  });
});
