import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { describeUnsupportedHash, hashScheme, verifyPassword } from '../../../gateway/access/password-hash.js';

/**
 * Hashes of "sécret pass" (UTF-8) made by other implementations: libxcrypt's crypt(3), the one nginx calls on Debian
 * (bcrypt, DES, yescrypt), and `openssl passwd` (-apr1, -1, -5, -6, and SHA-1 through `openssl dgst`).
 */
const PASSWORD = Buffer.from('sécret pass', 'utf8');
const VECTORS: Array<[string, string]> = [
  ['bcrypt', '$2b$05$abcdefghijklmnopqrstuuIKm9t90uByc85ZP3lLy/TLuFWckpMjq'],
  ['bcrypt', '$2y$05$abcdefghijklmnopqrstuuIKm9t90uByc85ZP3lLy/TLuFWckpMjq'],
  ['bcrypt', '$2a$05$abcdefghijklmnopqrstuuIKm9t90uByc85ZP3lLy/TLuFWckpMjq'],
  ['apr1', '$apr1$saltsalt$AvsCmDMoG0SnIaLpX54vy0'],
  ['md5-crypt', '$1$saltsalt$OjColjosOFpIHQLrww/o60'],
  ['sha256-crypt', '$5$saltsalt$woLDA1tX7zznLn5ZKIjeSF77w86vakmnMIPZywGoKIA'],
  ['sha512-crypt', '$6$saltsalt$uEkgJ8Gi0H1Vyo2/4F6oyCHwy7i4NBTMwV7HxYZiDsnRNCUvJzK3v1ug7uB7eD3b3DzLEuk4RgfmbCFz6rl0H1'],
  ['sha1', '{SHA}70QCi8RF0Slo71PshBP5IXr7vAU='],
  // The file is read as latin1 (one char per byte), so a UTF-8 password appears as its bytes.
  ['plain', `{PLAIN}${PASSWORD.toString('latin1')}`],
];

describe('password hashes', () => {
  for (const [scheme, hash] of VECTORS) {
    it(`${hash.slice(0, 7)}: accepts the right password and refuses others`, async () => {
      assert.equal(hashScheme(hash), scheme);
      assert.equal(await verifyPassword(PASSWORD, hash), true);
      assert.equal(await verifyPassword(Buffer.from('sécret pasS'), hash), false);
      assert.equal(await verifyPassword(Buffer.from(''), hash), false);
    });
  }

  it('{SSHA}: SHA-1 over password and salt, the salt after the digest', async () => {
    const { createHash } = await import('node:crypto');
    const salt = Buffer.from('NaCl4');
    const hash = `{SSHA}${Buffer.concat([createHash('sha1').update(PASSWORD).update(salt).digest(), salt]).toString('base64')}`;
    assert.equal(hashScheme(hash), 'ssha');
    assert.equal(await verifyPassword(PASSWORD, hash), true);
    assert.equal(await verifyPassword(Buffer.from('other'), hash), false);
  });

  it('the {PLAIN} form compares bytes: a latin1 password is not its UTF-8 twin', async () => {
    assert.equal(await verifyPassword(Buffer.from('sécret pass', 'latin1'), `{PLAIN}${PASSWORD.toString('latin1')}`), false);
  });

  it('a password that is not UTF-8 cannot match a bcrypt or SHA-crypt hash', async () => {
    assert.equal(await verifyPassword(Buffer.from([0xff, 0xfe]), VECTORS[0]![1]), false);
    assert.equal(await verifyPassword(Buffer.from([0xff, 0xfe]), VECTORS[6]![1]), false);
  });

  it('names the hashes it cannot verify, without printing them', () => {
    for (const [hash, words] of [
      ['abGZIgVyRL4wQ', /DES crypt/],
      ['$y$j9T$abcdefghijklmnop$aHMcAcT03EVpInEoO3.XjQNnNmnctMl.pYPDyp4tCrA', /yescrypt/],
      ['$2x$05$abcdefghijklmnopqrstuuIKm9t90uByc85ZP3lLy/TLuFWckpMjq', /\$2x\$/],
      ['{SMD5}abc', /"\{SMD5\}"/],
      ['', /empty/],
      ['$apr1$saltsalt$short', /"\$apr1\$"/],
    ] as const) {
      assert.equal(hashScheme(hash), null, hash);
      assert.match(describeUnsupportedHash(hash), words);
    }
  });

  const openssl = spawnSync('openssl', ['version']).status === 0;
  it('verifies what `openssl passwd -apr1` makes right now', { skip: openssl ? false : 'no openssl binary' }, async () => {
    const made = spawnSync('openssl', ['passwd', '-apr1', 'correct horse'], { encoding: 'utf8' }).stdout.trim();
    assert.match(made, /^\$apr1\$/);
    assert.equal(await verifyPassword(Buffer.from('correct horse'), made), true);
    assert.equal(await verifyPassword(Buffer.from('correct horsE'), made), false);
  });
});
