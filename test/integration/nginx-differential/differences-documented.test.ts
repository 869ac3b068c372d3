import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DIFFERENCES } from '../../helpers/nginx-differences.js';
import { repoRoot } from '../../helpers/paths.js';

test('every difference the nginx differential suite allows is listed in the README', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('### Differences from nginx');
  assert.notEqual(start, -1, 'README has no "Differences from nginx" section');
  const section = readme.slice(start, readme.indexOf('\n#', start + 10));
  const titles = [...section.matchAll(/^- \*\*(.+?)\*\*/gm)].map((m) => m[1]!.replace(/\.$/, ''));
  for (const [key, d] of Object.entries(DIFFERENCES)) assert.ok(titles.includes(d.readme), `difference "${key}" ("${d.readme}") is not in the README list: ${titles.join(' | ')}`);
});

test('every allowed difference is shown by some differential case (no stale entry hides a fixed behaviour)', () => {
  const dir = join(repoRoot, 'test', 'integration', 'nginx-differential');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(join(dir, f), 'utf8'));
  // A case names its differences as differs(name, request, ['key', …]); the group runner fails one that shows none.
  const used = new Set(sources.flatMap((s) => [...s.matchAll(/\bdiffers\([\s\S]*?\[([^\]]*)\]/g)].flatMap((m) => [...m[1]!.matchAll(/'([a-z-]+)'/g)].map((k) => k[1]!))));
  for (const key of Object.keys(DIFFERENCES)) assert.ok(used.has(key), `no differential case shows "${key}": remove it from nginx-differences.ts and its README row, or add the case`);
});
