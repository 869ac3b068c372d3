import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LoadtestReport } from '../../../gateway/loadtest/report-types.js';
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


/** Issue 3's "done when" on a loadtest-rolling result: nothing failed, no session broke, every backend restarted. */
export function assertNoLoss(r: Record<string, unknown> & { code: number | null }): void {
  const report = r as unknown as LoadtestReport & { notRestarted: string[]; code: number | null };
  assert.deepEqual(report.totals.failed, { status: 0, socket: 0, timeout: 0 }, `failed: ${JSON.stringify(report.totals.statuses)} ${JSON.stringify(report.samples)}`);
  assert.equal(report.sessions.broken, 0, JSON.stringify(report.sessions.examples));
  assert.ok(report.sessions.checks >= report.sessions.total, `only ${report.sessions.checks} admin checks`);
  assert.equal(report.sessions.unverifiable, 0);
  assert.ok(report.totals.requests > report.sessions.total);
  assert.deepEqual(report.notRestarted, []);
  assert.equal(report.rollout?.ok, true);
  assert.equal(report.pass, true);
  assert.equal(report.code, 0);
}
