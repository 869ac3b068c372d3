import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gatewayCli, repoRoot } from '../../helpers/paths.js';

/**
 * Issue 10 item 7: deploy/session-gateway.service passes `systemd-analyze verify` with no warning (where the tool
 * exists), and says what the process model needs: HUP for reload, a graceful QUIT to the master alone, restart on
 * failure, a stop timeout above worker_shutdown_timeout's default.
 */
const ANALYZE = '/usr/bin/systemd-analyze';
const UNIT = join(repoRoot, 'deploy', 'session-gateway.service');
const INSTALLED = '/usr/local/bin/session-gateway';

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('the systemd unit', () => {
  it('says HUP reloads, QUIT stops the master gracefully, failures restart', () => {
    const d = directives(readFileSync(UNIT, 'utf8'));
    assert.deepEqual(d.get('ExecReload'), ['/bin/kill -HUP $MAINPID']);
    assert.deepEqual(d.get('KillSignal'), ['SIGQUIT']);
    assert.deepEqual(d.get('KillMode'), ['mixed']);
    assert.deepEqual(d.get('Restart'), ['on-failure']);
    assert.ok(Number(d.get('TimeoutStopSec')?.[0]) > 10, 'TimeoutStopSec must exceed worker_shutdown_timeout (10 s)');
    assert.deepEqual(d.get('ExecStart'), [`${INSTALLED} start -c /etc/session-gateway/gateway.conf`]);
  });

  it('passes systemd-analyze verify without a warning', { skip: !existsSync(ANALYZE) && `${ANALYZE} is not installed` }, () => {
    // verify checks that ExecStart's program exists: point it at this build's CLI through a wrapper.
    const dir = mkdtempSync(join(tmpdir(), 'sg-unit-'));
    try {
      const wrapper = join(dir, 'session-gateway');
      writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${gatewayCli}" "$@"\n`);
      chmodSync(wrapper, 0o755);
      const unit = join(dir, 'session-gateway.service');
      writeFileSync(unit, readFileSync(UNIT, 'utf8').replaceAll(INSTALLED, wrapper));
      const run = spawnSync(ANALYZE, ['verify', unit], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stderr.trim(), '', 'no warning');
      // The wrapper really is the CLI the unit runs (its check command answers).
      const check = spawnSync(wrapper, ['check', '-c', join(repoRoot, 'nginx-compat.conf')], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stdout + check.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
