/**
 * `node dist/scripts/profile-summary.js FILE.cpuprofile [--top N]` — the functions with the most self time in a
 * profile written by `npm run bench -- --cpu-prof DIR` (or any `node --cpu-prof`), without opening DevTools.
 */
import { readFileSync } from 'node:fs';
import { selfTimes, type CpuProfile } from './bench/cpu-profile.js';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const topIndex = args.indexOf('--top');
const top = topIndex === -1 ? 25 : Number(args[topIndex + 1]);
if (!file || !Number.isFinite(top) || top <= 0) {
  process.stderr.write('usage: profile-summary FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
for (const row of rows) process.stdout.write(`${row.percent.toFixed(1).padStart(5)} %  ${row.selfMs.toFixed(0).padStart(7)} ms  ${row.frame}\n`);
