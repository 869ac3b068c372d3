import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MAX_BLOCK_DEPTH, MAX_INCLUDED_FILES, parseConfigFile } from '../../../gateway/config/parser.js';
import { gatewayCli } from '../../helpers/paths.js';

/**
 * Absurd configuration files are problems with a `file:line`, never a stack overflow or an exponential include
 * tree: `session-gateway check` (a real process) reports them and exits 1.
 */

const run = promisify(execFile);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function write(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bounds-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function check(file: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [gatewayCli, 'check', '-c', file], { timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('configuration bounds', () => {
  it('refuses blocks nested absurdly deep with file:line (100,000 levels: a stack overflow before)', async () => {
    const depth = 100_000;
    const dir = write({ 'deep.conf': `http {\n${'a {\n'.repeat(depth)}${'}\n'.repeat(depth)}}\n` });
    const file = join(dir, 'deep.conf');
    const parsed = parseConfigFile(file);
    assert.deepEqual(parsed.problems, [`${file}:${MAX_BLOCK_DEPTH + 1}: blocks are nested more than ${MAX_BLOCK_DEPTH} levels deep`]);
    const { code, out } = await check(file);
    assert.equal(code, 1);
    assert.ok(out.includes(`${file}:${MAX_BLOCK_DEPTH + 1}: blocks are nested more than ${MAX_BLOCK_DEPTH} levels deep`), out);
    assert.doesNotMatch(out, /RangeError|Maximum call stack|at parseBlock/);
  });

  it('accepts nesting up to the bound', () => {
    const inner = MAX_BLOCK_DEPTH - 1;
    const dir = write({ 'ok.conf': `http {\n${'a {\n'.repeat(inner)}${'}\n'.repeat(inner)}}\n` });
    assert.deepEqual(parseConfigFile(join(dir, 'ok.conf')).problems, []);
  });

  it('counts the depth across included files', () => {
    const half = Math.ceil(MAX_BLOCK_DEPTH / 2) + 1;
    const dir = write({
      'main.conf': `${'a {\n'.repeat(half)}include inner.conf;\n${'}\n'.repeat(half)}`,
      'inner.conf': `${'b {\n'.repeat(half)}${'}\n'.repeat(half)}`,
    });
    const { problems } = parseConfigFile(join(dir, 'main.conf'));
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /inner\.conf:\d+: blocks are nested more than 64 levels deep/);
  });

  it('stops an exponential include tree (each file including the next twice) with one problem', { timeout: 120_000 }, async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`f${i}.conf`] = `include f${i + 1}.conf;\ninclude f${i + 1}.conf;\n`;
    files['f30.conf'] = 'events {}\n';
    const dir = write(files);
    const { problems, files: read } = parseConfigFile(join(dir, 'f0.conf'));
    assert.equal(read.length, MAX_INCLUDED_FILES);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, new RegExp(`f\\d+\\.conf:\\d+: more than ${MAX_INCLUDED_FILES} files included`));
    const { code, out } = await check(join(dir, 'f0.conf'));
    assert.equal(code, 1);
    assert.match(out, /files included/);
  });

  it('takes an include glob that no file can match (a reversed range) as matching nothing, as glob(3) does', () => {
    const dir = write({ 'main.conf': 'include [z-a].conf;\nevents {}\n' });
    assert.deepEqual(parseConfigFile(join(dir, 'main.conf')).problems, []);
  });
});
