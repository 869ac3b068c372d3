import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandRestartCommand, runRestartCommand } from '../../../gateway/rollout/restart-runner.js';

describe('restart command template', () => {
  const target = { name: '127.0.0.1:8081', host: '127.0.0.1', port: 8081 };

  it('replaces {name} {host} {port}', () => {
    assert.equal(expandRestartCommand('systemctl restart app@{port} # {name} {host}', target), 'systemctl restart app@8081 # 127.0.0.1:8081 127.0.0.1');
  });

  it('quotes values a shell would split', () => {
    assert.equal(expandRestartCommand('echo {host}', { ...target, host: "a b'c" }), `echo 'a b'\\''c'`);
  });

  it('runs through /bin/sh and reports the exit code and the last output', async () => {
    const r = await runRestartCommand('echo restarting {port}; exit 3', target, 5_000);
    assert.equal(r.exitCode, 3);
    assert.equal(r.output, 'restarting 8081');
    assert.equal(r.timedOut, false);
  });
});
