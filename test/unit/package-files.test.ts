import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

interface PackEntry {
  path: string;
}

/** What `npm pack` would put in the tarball (package.json `files`), without running the build again. */
function packedFiles(): string[] {
  const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const [pack] = JSON.parse(run.stdout) as Array<{ files: PackEntry[] }>;
  return pack!.files.map((f) => f.path);
}

test('the package ships what runs and nothing else (no tests, bench, scripts, sources or maps)', () => {
  const files = packedFiles();
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; exports: Record<string, unknown> };
  const shipped = new Set(files);
  for (const target of Object.values(pkg.bin)) assert.ok(shipped.has(normalize(target)), `bin ${target} is shipped`);
  const targetsOf = (v: unknown): string[] => (typeof v === 'string' ? [normalize(v)] : Object.values(v as Record<string, unknown>).flatMap(targetsOf));
  const exportTargets = targetsOf(pkg.exports);
  assert.ok(exportTargets.length >= 4, `${exportTargets.length} export targets`);
  for (const target of exportTargets) assert.ok(shipped.has(target), `export ${target} is shipped`);
  const stray = files.filter((f) => /^(test|bench|scripts|backends|examples|adapters)\/|^dist\/(test|scripts|backends)\/|\.map$|\.ts$(?<!\.d\.ts)/.test(f));
  assert.deepEqual(stray, []);
  assert.ok(shipped.has('nginx-compat.conf') && shipped.has('README.md'));
});

test('every relative import of a shipped module is shipped too', () => {
  const files = packedFiles();
  const shipped = new Set(files);
  const missing: string[] = [];
  for (const file of files.filter((f) => f.endsWith('.js'))) {
    const text = readFileSync(join(repoRoot, file), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(file), m[1]!));
      if (!shipped.has(target)) missing.push(`${file} → ${m[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});
