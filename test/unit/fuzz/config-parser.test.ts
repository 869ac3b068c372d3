import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildSettings } from '../../../gateway/config/build-settings.js';
import { expandIncludeGlob } from '../../../gateway/config/include-glob.js';
import { ConfigSyntaxError } from '../../../gateway/config/lexer.js';
import { parseConfigText } from '../../../gateway/config/parser.js';
import { fuzzInWorker, fuzzParameters, servePropertiesInWorker } from '../../helpers/fuzz.js';

/**
 * Fuzzing the configuration reader with a fixed seed: random text and random nginx-shaped directive trees through
 * the lexer, the parser and the settings builder, and random include globs. The parser either returns directives or
 * throws a ConfigSyntaxError with a `file:line`; the builder returns problems (`file:line: …`) or settings; nothing
 * else escapes and nothing hangs.
 */

const FILE = '/etc/session-gateway/fuzz.conf';
const word = fc.oneof(
  fc.constantFrom('http', 'server', 'location', 'upstream', 'listen', 'server_name', 'proxy_pass', 'set', 'include', 'keepalive',
    'proxy_set_header', 'proxy_read_timeout', 'client_max_body_size', 'proxy_next_upstream', 'events', 'map', '$session_max_bytes',
    '$session_create_rate', '$session_cookie', '$health_check_path', '127.0.0.1:8080', 'http://app', 'http://app/x/', '=', '^~', '~',
    '/', '/api/', '6k', '10r/s', 'off', 'on', '30m', '0', '-1', 'weight=2', 'backup', 'default_server', '${var}', '"a b"', "'q'", '\\"'),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 8 }).map((s) => s.replace(/[\s;{}#"']/g, 'x')),
);
/** nginx-shaped text: directives with arguments, blocks nested a few deep. */
const tree: fc.Arbitrary<string> = fc.letrec<{ block: string }>((tie) => ({
  block: fc.array(
    fc.tuple(word, fc.array(word, { maxLength: 3 }), fc.option(tie('block'), { freq: 3 }))
      .map(([name, args, body]) => `${name} ${args.join(' ')}${body === null ? ';' : ` {\n${body}\n}`}`),
    { maxLength: 4, depthIdentifier: 'config' },
  ).map((lines) => lines.join('\n')),
})).block;
/** The same, damaged: braces, quotes, semicolons, backslashes and bytes dropped in or cut out. */
const damaged = fc.tuple(tree, fc.array(fc.tuple(fc.nat(), fc.constantFrom('{', '}', ';', '"', "'", '\\', '#', '\n', '$', '\u0000', '\u00e9'), fc.boolean()), { maxLength: 5 }))
  .map(([text, edits]) => edits.reduce((t, [at, ch, cut]) => {
    const i = at % (t.length + 1);
    return t.slice(0, i) + (cut ? '' : ch) + t.slice(cut ? i + 1 : i);
  }, text));
const anyText = fc.oneof(tree.map((t) => `events {}\nhttp {\n${t}\n}\n`), damaged, fc.string({ unit: 'binary', maxLength: 200 }));

const properties = {
  parseAndBuild(): void {
    fc.assert(
      fc.property(anyText, (text) => {
        let directives;
        try {
          directives = parseConfigText(text, FILE);
        } catch (err) {
          assert.ok(err instanceof ConfigSyntaxError, `only ConfigSyntaxError may escape the parser, got ${String(err)}`);
          assert.match(err.message, /^\/etc\/session-gateway\/fuzz\.conf:\d+: /);
          return;
        }
        const result = buildSettings(directives, FILE);
        assert.equal(result.settings === null, result.problems.length > 0);
        for (const p of result.problems) assert.match(p, /^\/etc\/session-gateway\/fuzz\.conf:\d+: \S/, p);
      }),
      fuzzParameters(2_500),
    );
  },

  includeGlobs(): void {
    const dir = mkdtempSync(join(tmpdir(), 'sg-fuzz-glob-'));
    try {
      for (const name of ['a.conf', 'b.conf', '.hidden.conf', 'x[1].conf', 'z-a.conf']) writeFileSync(join(dir, name), '');
      // Wildcards, literal pieces and bracket expressions (ranges in either order, negated, unclosed).
      const piece = fc.oneof(
        fc.constantFrom('*', '?', '.conf', 'a', 'b', 'x', '/', '\\', '!', '^', '[', ']', '-', '.'),
        fc.tuple(fc.constantFrom('', '!', '^'), fc.constantFrom(...'az19.-[]\\'.split('')), fc.constantFrom(...'az19.-[]\\'.split('')), fc.boolean())
          .map(([negate, from, to, closed]) => `[${negate}${from}-${to}${closed ? ']' : ''}`),
      );
      const glob = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(''));
      fc.assert(
        fc.property(glob, (pattern) => {
          const files = expandIncludeGlob(join(dir, pattern));
          assert.ok(Array.isArray(files));
          for (const f of files) assert.ok(f.startsWith(dir));
        }),
        fuzzParameters(2_000),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

if (!servePropertiesInWorker(properties)) {
  describe('fuzzing the configuration reader (fixed seed)', () => {
    for (const property of Object.keys(properties)) {
      it(property, { timeout: 120_000 }, () => fuzzInWorker(new URL(import.meta.url), property, 90_000));
    }
  });
}
