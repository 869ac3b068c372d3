import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigSyntaxError } from '../../../gateway/config/lexer.js';
import { parseConfigFile, parseConfigText, type Directive } from '../../../gateway/config/parser.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-parser-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** name(args)@line, nested blocks in brackets: compact enough to compare whole trees. */
function shape(ds: Directive[]): string[] {
  return ds.map((d) => `${d.name}(${d.args.join(',')})@${d.line}${d.block ? `[${shape(d.block).join(' ')}]` : ''}`);
}

test('directives, arguments and nested blocks with their lines', () => {
  const ds = parseConfigText('events {}\nhttp {\n  server {\n    listen 80;\n  }\n}\n', 'a.conf');
  assert.deepEqual(shape(ds), ['events()@1[]', 'http()@2[server()@3[listen(80)@4]]']);
  assert.equal(ds[1]!.block![0]!.block![0]!.file, 'a.conf');
});

test('syntax errors name file and line', () => {
  const cases: Array<[string, string]> = [
    ['http {\n  listen 80;\n', 'a.conf:2: unexpected end of file, expecting "}" (block opened at line 1)'],
    ['listen 80;\n}\n', 'a.conf:2: unexpected "}"'],
    ['http {\n  listen 80\n}\n', 'a.conf:3: unexpected "}" (missing ";" after "listen"?)'],
    ['listen 80', 'a.conf:1: unexpected end of file, expecting ";" or "}"'],
    ['a;\n;\n', 'a.conf:2: unexpected ";"'],
    ['{ }', 'a.conf:1: unexpected "{"'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseConfigText(text, 'a.conf'), (err: unknown) => err instanceof ConfigSyntaxError && err.message === message, message);
  }
});

test('include with a glob splices files in sorted order, each keeping its file and line', () => {
  const dir = tree({
    'main.conf': 'http {\n  include conf.d/*.conf;\n  include single.conf;\n}\n',
    'conf.d/b.conf': '\nupstream b { server 127.0.0.1:2; }\n',
    'conf.d/a.conf': 'upstream a { server 127.0.0.1:1; }\n',
    'conf.d/.hidden.conf': 'broken {',
    'conf.d/notes.txt': 'broken {',
    'single.conf': 'client_max_body_size 2m;\n',
  });
  const main = join(dir, 'main.conf');
  const result = parseConfigFile(main);
  assert.deepEqual(result.problems, []);
  const http = result.directives[0]!;
  assert.deepEqual(shape(http.block!), ['upstream(a)@1[server(127.0.0.1:1)@1]', 'upstream(b)@2[server(127.0.0.1:2)@2]', 'client_max_body_size(2m)@1']);
  assert.deepEqual(http.block!.map((d) => d.file), [join(dir, 'conf.d/a.conf'), join(dir, 'conf.d/b.conf'), join(dir, 'single.conf')]);
  assert.deepEqual(result.files, [main, join(dir, 'conf.d/a.conf'), join(dir, 'conf.d/b.conf'), join(dir, 'single.conf')]);
});

test('relative includes resolve against the including file, also from nested includes', () => {
  const dir = tree({ 'main.conf': 'include sub/x.conf;\n', 'sub/x.conf': 'include y.conf;\n', 'sub/y.conf': 'pid p;\n' });
  const result = parseConfigFile(join(dir, 'main.conf'));
  assert.deepEqual(result.problems, []);
  assert.deepEqual(shape(result.directives), ['pid(p)@1']);
  assert.equal(result.directives[0]!.file, join(dir, 'sub/y.conf'));
});

test('a glob that matches nothing is fine; a missing plain file is a problem at the include line', () => {
  const dir = tree({ 'main.conf': 'include none/*.conf;\n\ninclude missing.conf;\n' });
  const result = parseConfigFile(join(dir, 'main.conf'));
  assert.deepEqual(result.problems, [`${join(dir, 'main.conf')}:3: cannot open included file "${join(dir, 'missing.conf')}" (ENOENT)`]);
});

test('include cycles are detected and reported with the chain', () => {
  const dir = tree({ 'a.conf': 'include b.conf;\n', 'b.conf': '\ninclude a.conf;\n' });
  const a = join(dir, 'a.conf');
  const b = join(dir, 'b.conf');
  const result = parseConfigFile(a);
  assert.deepEqual(result.problems, [`${b}:2: include cycle: ${a} -> ${b} -> ${a}`]);
});

test('a file that includes itself is a cycle', () => {
  const dir = tree({ 'a.conf': 'include *.conf;\n' });
  const a = join(dir, 'a.conf');
  assert.deepEqual(parseConfigFile(a).problems, [`${a}:1: include cycle: ${a} -> ${a}`]);
});

test('every file reports its own syntax error in one run', () => {
  const dir = tree({ 'main.conf': 'include x.conf;\ninclude y.conf;\nhttp {\n', 'x.conf': 'a "b', 'y.conf': '}\n' });
  const result = parseConfigFile(join(dir, 'main.conf'));
  assert.deepEqual(result.problems, [
    `${join(dir, 'x.conf')}:1: unterminated double-quoted string`,
    `${join(dir, 'y.conf')}:1: unexpected "}"`,
    `${join(dir, 'main.conf')}:3: unexpected end of file, expecting "}" (block opened at line 3)`,
  ]);
});

test('include needs exactly one argument', () => {
  const dir = tree({ 'main.conf': 'include a b;\n' });
  assert.deepEqual(parseConfigFile(join(dir, 'main.conf')).problems, [`${join(dir, 'main.conf')}:1: invalid number of arguments in "include" directive`]);
});

test('a missing main file is a problem, not an exception', () => {
  const result = parseConfigFile('/nonexistent/sg.conf');
  assert.deepEqual(result.problems, ['/nonexistent/sg.conf:0: cannot open file (ENOENT)']);
});
