import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigSyntaxError, tokenize } from '../../../gateway/config/lexer.js';

const words = (text: string): string[] => tokenize(text, 't.conf').map((t) => t.value);

test('splits words, semicolons and braces, with line numbers', () => {
  const tokens = tokenize('http {\n  listen 80;\n}\n', 't.conf');
  assert.deepEqual(tokens.map((t) => [t.kind, t.value, t.line]), [
    ['word', 'http', 1], ['{', '{', 1], ['word', 'listen', 2], ['word', '80', 2], [';', ';', 2], ['}', '}', 3],
  ]);
});

test('comments run to the end of the line, only at the start of a token', () => {
  assert.deepEqual(words('a b; # comment ; {\nc#d;'), ['a', 'b', ';', 'c#d', ';']);
});

test('quoted strings keep spaces and decode escapes; other backslashes are kept', () => {
  assert.deepEqual(words(`set $a "x y\\"z";`), ['set', '$a', 'x y"z', ';']);
  assert.deepEqual(words(`set $a 'it\\'s' "t\\tn\\n" "\\d";`), ['set', '$a', "it's", 't\tn\n', '\\d', ';']);
  assert.deepEqual(words(`h "" '';`), ['h', '', '', ';']);
});

test('a quoted string may span lines; the token carries its starting line', () => {
  const tokens = tokenize('a "x\ny"\nb;', 't.conf');
  assert.deepEqual(tokens.map((t) => t.line), [1, 1, 3, 3]);
});

test('variables stay in the text, ${var} included', () => {
  assert.deepEqual(words('proxy_set_header X-A $host${request_uri}x;'), ['proxy_set_header', 'X-A', '$host${request_uri}x', ';']);
});

test('a brace ends a word unless it follows $', () => {
  assert.deepEqual(words('location /a{'), ['location', '/a', '{']);
});

test('unterminated quote is reported at the line it opened', () => {
  assert.throws(() => tokenize('a;\nb "oops;\n\n', 'x.conf'), (err: unknown) => {
    assert.ok(err instanceof ConfigSyntaxError);
    assert.equal(err.message, 'x.conf:2: unterminated double-quoted string');
    assert.equal(err.code, 'SG_CONFIG_SYNTAX');
    return true;
  });
});

test('text glued to a closing quote is an error, as in nginx', () => {
  assert.throws(() => tokenize('a "b"c;', 'x.conf'), /x\.conf:1: unexpected "c" after a quoted string/);
});
