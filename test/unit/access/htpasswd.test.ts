import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHtpasswd } from '../../../gateway/access/htpasswd.js';

const APR1 = '$apr1$saltsalt$AvsCmDMoG0SnIaLpX54vy0';
const BCRYPT = '$2y$05$abcdefghijklmnopqrstuuIKm9t90uByc85ZP3lLy/TLuFWckpMjq';

describe('htpasswd files', () => {
  it('reads user:hash lines, comments, CRLF, trailing fields, and keeps the first of a user', () => {
    const { entries, problems } = parseHtpasswd(`# team\nalice:${APR1}\r\nbob:${BCRYPT}:Bob, room 4\n\ncarol:{SHA}70QCi8RF0Slo71PshBP5IXr7vAU=`);
    assert.deepEqual(problems, []);
    assert.deepEqual([...entries].map(([u, e]) => [u, e.hash, e.line]), [
      ['alice', APR1, 2], ['bob', BCRYPT, 3], ['carol', '{SHA}70QCi8RF0Slo71PshBP5IXr7vAU=', 5],
    ]);
  });

  it('reports each line nobody could log in with, by line', () => {
    const { entries, problems } = parseHtpasswd(`alice:${APR1}\nalice:${BCRYPT}\nnocolon\n:${APR1}\ndes:abGZIgVyRL4wQ\nyes:$y$j9T$abcdefghijklmnop$aHMcAcT03EVpInEoO3.XjQNnNmnctMl.pYPDyp4tCrA\nempty:\n`);
    assert.deepEqual([...entries.keys()], ['alice']);
    assert.deepEqual(problems.map((p) => `${p.line}: ${p.message}`), [
      '2: user "alice" is already defined on line 1 (the first one is used)',
      '3: not a "user:password-hash" line',
      '4: empty user name',
      '5: user "des" has a DES crypt() hash (htpasswd -d; only 8 characters of a password count), which the gateway cannot verify (use htpasswd -B)',
      '6: user "yes" has a yescrypt hash, which the gateway cannot verify (use htpasswd -B)',
      '7: user "empty" has an empty password hash, which the gateway cannot verify (use htpasswd -B)',
    ]);
  });
});
