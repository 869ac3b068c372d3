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

