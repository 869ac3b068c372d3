import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capturesOf, compilePcre, type CompiledPattern } from '../../../gateway/config/pcre-regex.js';

function compiled(source: string, caseless = false): CompiledPattern {
  const c = compilePcre(source, caseless);
  assert.notEqual(typeof c, 'string', String(c));
  return c as CompiledPattern;
}

describe('compilePcre', () => {
  it('keeps what PCRE and JavaScript mean alike, named groups in all three PCRE spellings', () => {
    const c = compiled("^/(?P<a>\\d+)/(?'b'[a-z]+)/(?<c>\\w+)\\.(?:png|jpe?g)$");
    assert.deepEqual(c.names, ['a', 'b', 'c']);
    const m = c.regex.exec('/12/ab/x_1.jpeg')!;
    assert.deepEqual([...capturesOf(m, c.names)].slice(0, 4), [['1', '12'], ['2', 'ab'], ['3', 'x_1'], ['4', '']]);
    assert.equal(capturesOf(m, c.names).get('b'), 'ab');
  });

  it('~* is caseless, ~ is not', () => {
    assert.equal(compiled('\\.PNG$', true).regex.test('/a.png'), true);
    assert.equal(compiled('\\.PNG$').regex.test('/a.png'), false);
  });

  it('matches bytes: a UTF-8 pattern against the byte string of a decoded URI', () => {
    assert.equal(compiled('^/café$').regex.test(Buffer.from('/café').toString('latin1')), true);
  });

  it('refuses PCRE constructs JavaScript would read differently, naming them', () => {
    for (const [source, construct] of [['^\\A/x', '\\A'], ['/x\\z', '\\z'], ['(?>a+)b', '(?>'], ['a++', '++'], ['(?i)abc', '(?i)'],
      ['(?i:a)', '(?i:'], ['(*UTF8)x', '(*UTF8'], ['(a|b)(?1)', '(?1'], ['\\Qa.b\\E', '\\Q'], ['^/[[:alpha:]]+$', '[:alpha:]']] as const) {
      const problem = compilePcre(source, false);
      assert.equal(typeof problem, 'string', source);
      assert.ok((problem as string).includes(`"${construct}"`), `${source}: ${problem}`);
    }
  });

  it('escaped and bracketed look-alikes are plain text, not PCRE syntax', () => {
    assert.equal(compiled('^/a\\(\\?>b$').regex.test('/a(?>b'), true);
    assert.equal(compiled('^/[*+]+$').regex.test('/*+'), true);
    assert.equal(compiled('^/[]a]$').regex.test('/]'), true, 'a leading ] is a literal, as in PCRE');
    assert.equal(compiled('^/[^]a]$').regex.test('/b'), true);
    assert.equal(compiled('^/[^]a]$').regex.test('/]'), false);
  });

  it('a pattern that does not compile is a problem in the check report\'s words', () => {
    assert.equal(compilePcre('^/(a', false), 'invalid regular expression "^/(a": Unterminated group');
  });
});
