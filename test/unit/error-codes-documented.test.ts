import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

/** Every stable error code the gateway can emit is listed in the README (fastify keeps the same promise). */
test('every SG_* error code in gateway/ is documented in the README', () => {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/'(SG_[A-Z_]+)'/g)) codes.add(m[1]!);
    }
  };
  walk(join(repoRoot, 'gateway'));
  assert.ok(codes.size > 20, `found ${codes.size} codes`);
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const missing = [...codes].filter((code) => !readme.includes(`\`${code}\``)).sort();
  assert.deepEqual(missing, []);
});

/** The Servlet filter's log codes (SG_SERVLET_*) are documented in the README's "Java app servers" section. */
test('every SG_SERVLET_* code of the Java filter is documented in the README', () => {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.java')) for (const m of readFileSync(path, 'utf8').matchAll(/"(SG_SERVLET_[A-Z_]+)/g)) codes.add(m[1]!);
    }
  };
  walk(join(repoRoot, 'adapters', 'servlet', 'src'));
  assert.ok(codes.size >= 10, `found ${codes.size} codes`);
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  assert.deepEqual([...codes].filter((code) => !readme.includes(`\`${code}\``)).sort(), []);
});
