import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildRoot } from '../../helpers/paths.js';

/**
 * Run scripts/loadtest-rolling (the same tool operators run) with --json and return its result; the human report
 * goes to the test log. Timings are printed, never asserted.
 */
export async function runLoadtest(args: string[]): Promise<Record<string, unknown> & { code: number | null }> {
  const child = spawn(process.execPath, [join(buildRoot, 'scripts', 'loadtest-rolling.js'), ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const lines = stdout.trim().split('\n');
  // The human report goes to the test log (numbers for the issue note).
  process.stderr.write(`${lines.slice(0, -1).join('\n')}\n`);
  try {
    return { ...(JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>), code };
  } catch {
    throw new Error(`loadtest-rolling printed no JSON result (exit ${code}):\n${stdout}\n${stderr}`);
  }
}


/** Issue 3's "done when" on a loadtest-rolling result: nothing failed, nothing lost, every backend restarted. */
export function assertNoLoss(r: Record<string, unknown> & { code: number | null }): void {
  assert.equal(r.non2xx, 0, `non-2xx: ${JSON.stringify(r.statuses)} ${JSON.stringify(r.samples)}`);
  assert.equal(r.socketErrors, 0, `socket errors: ${JSON.stringify(r.errorCodes)}`);
  assert.equal(r.sessionsReset, 0);
  assert.equal(r.counterBackwards, 0);
  assert.equal(r.draftsLost, 0);
  assert.deepEqual(r.notRestarted, []);
  assert.equal((r.rollout as { ok: boolean }).ok, true);
  assert.equal(r.pass, true);
  assert.equal(r.code, 0);
}
