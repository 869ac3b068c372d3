import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
