import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBasicCredentials } from '../../../gateway/access/basic-credentials.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('Authorization: Basic, read as nginx reads it', () => {
  it('splits user and password at the first colon and keeps the bytes', () => {
    const c = parseBasicCredentials(`Basic ${b64('alice:pa:ss wörd')}`)!;
    assert.equal(c.user, 'alice');
    assert.equal(c.password.toString('utf8'), 'pa:ss wörd');
    assert.equal(parseBasicCredentials(`basic    ${b64('bob:')}`)!.password.length, 0, 'scheme in any case, spaces skipped, empty password');
    assert.equal(parseBasicCredentials(`Basic ${b64('jörg:x')}`)!.user, Buffer.from('jörg').toString('latin1'), 'the user is its bytes');
  });

  it('ignores what follows the first "=" of the base64, as nginx does', () => {
    assert.equal(parseBasicCredentials(`Basic ${b64('ab:c')}garbage`)?.user, 'ab');
    assert.equal(parseBasicCredentials(`Basic ${b64('ab:c').replace(/=+$/, '')}!`), null, 'a character outside base64 before it');
  });

  it('is no credentials for anything else', () => {
    for (const header of [undefined, '', 'Basic', 'Basic ', 'Bearer abc', `Digest ${b64('a:b')}`, `Basic ${b64(':pw')}`, `Basic ${b64('nocolon')}`,
      'Basic a', `Basic ${b64('a:b')} `, 'Basic ab$c']) {
      assert.equal(parseBasicCredentials(header), null, String(header));
    }
  });
});
