import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attachDashValues, parseArgs } from '../../../gateway/cli/cli-args.js';

const options = { sid: { type: 'string' }, principal: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' } } as const;

test('a string option takes a value that begins with a dash (a session id, a principal)', () => {
  const { values, positionals } = parseArgs({ args: ['kill', '--sid', '-Qe3x_9', '--json'], options, allowPositionals: true });
  assert.deepEqual(positionals, ['kill']);
  assert.equal(values.sid, '-Qe3x_9');
  assert.equal(values.json, true);
  assert.equal(parseArgs({ args: ['--principal', '--bob--'], options }).values.principal, '--bob--');
  assert.equal(parseArgs({ args: ['-c', '-odd.conf'], options }).values.config, '-odd.conf');
});

test('a missing value is still an error: the next word is one of the options, or --', () => {
  assert.throws(() => parseArgs({ args: ['--principal', '--json'], options }), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
  assert.throws(() => parseArgs({ args: ['--sid', '--principal=x'], options }), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
  assert.throws(() => parseArgs({ args: ['--sid'], options }), { code: 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' });
});

test('words after -- and values without a dash pass through unchanged', () => {
  assert.deepEqual(attachDashValues(['--sid', 'abc', '--', '--sid', '-x'], options), ['--sid', 'abc', '--', '--sid', '-x']);
  assert.deepEqual(attachDashValues(['--json', '-x'], options), ['--json', '-x']);
  assert.deepEqual(attachDashValues(['--sid=-x'], options), ['--sid=-x']);
});
