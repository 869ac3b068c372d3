import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_ADMIN_LISTEN,
  DEFAULT_SWEEP_INTERVAL_MS,
  deriveHeaderKey,
  deriveHeaderKeyFromSecret,
  parseHostPort,
  readEnvSettings,
  type EnvSettings,
} from '../../../gateway/config/env.js';

const SECRET = 'cookie-secret-0123456789abcdef';
const OLD_SECRET = 'older-secret-fedcba9876543210';
const HEADER_SECRET = 'header-secret-0123456789abcdef';

function read(env: NodeJS.ProcessEnv): { settings: EnvSettings; problems: string[] } {
  const problems: string[] = [];
  const settings = readEnvSettings(env, problems);
  return { settings, problems };
}

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  return read({ SESSION_SECRET: SECRET, ...env }).problems;
}

describe('readEnvSettings: defaults', () => {
  it('an empty environment is valid', () => {
    assert.deepEqual(read({}).problems, []);
  });

  it('defaults to the in-memory store, info logs, the admin listener on 127.0.0.1:9901 and a 5 s sweep', () => {
    const { settings } = read({});
    assert.equal(settings.redisUrl, null);
    assert.equal(settings.adminToken, null);
    assert.deepEqual(settings.adminListen, { host: '127.0.0.1', port: 9901 });
    assert.equal(DEFAULT_ADMIN_LISTEN, '127.0.0.1:9901');
    assert.equal(settings.logLevel, 'info');
    assert.equal(settings.sweepIntervalMs, DEFAULT_SWEEP_INTERVAL_MS);
    assert.equal(DEFAULT_SWEEP_INTERVAL_MS, 5_000);
  });

  it('treats blank variables as unset', () => {
    const { settings, problems } = read({ REDIS_URL: '  ', ADMIN_LISTEN: ' ', LOG_LEVEL: '', SESSION_SWEEP_INTERVAL_MS: ' ', ADMIN_TOKEN: ' ', SESSION_SECRET: ' , ' });
    assert.deepEqual(problems, []);
    assert.equal(settings.redisUrl, null);
    assert.equal(settings.adminToken, null);
    assert.equal(settings.logLevel, 'info');
    assert.equal(settings.sweepIntervalMs, DEFAULT_SWEEP_INTERVAL_MS);
    assert.equal(settings.sessionSecretGenerated, true);
  });

  it('reads every variable it is given, trimmed', () => {
    const { settings, problems } = read({
      REDIS_URL: ' redis://cache:6379/2 ',
      ADMIN_TOKEN: ' t0ken ',
      ADMIN_LISTEN: '0.0.0.0:9000',
      LOG_LEVEL: 'debug',
      SESSION_SWEEP_INTERVAL_MS: ' 1500 ',
    });
    assert.deepEqual(problems, []);
    assert.equal(settings.redisUrl, 'redis://cache:6379/2');
    assert.equal(settings.adminToken, 't0ken');
    assert.deepEqual(settings.adminListen, { host: '0.0.0.0', port: 9000 });
    assert.equal(settings.logLevel, 'debug');
    assert.equal(settings.sweepIntervalMs, 1500);
  });
});

describe('readEnvSettings: secrets', () => {
  it('generates a random secret when SESSION_SECRET is unset', () => {
    const a = read({}).settings;
    const b = read({}).settings;
    assert.equal(a.sessionSecretGenerated, true);
    assert.equal(a.sessionSecrets.length, 1);
    assert.ok(Buffer.byteLength(a.sessionSecrets[0] ?? '') >= 32);
    assert.notEqual(a.sessionSecrets[0], b.sessionSecrets[0]);
  });

  it('splits SESSION_SECRET on commas, trimmed, empty entries dropped, first first', () => {
    const { settings, problems } = read({ SESSION_SECRET: ` ${SECRET} ,, ${OLD_SECRET},` });
    assert.deepEqual(problems, []);
    assert.deepEqual(settings.sessionSecrets, [SECRET, OLD_SECRET]);
    assert.equal(settings.sessionSecretGenerated, false);
  });

  it('derives the header key from the first secret, and it is not the cookie secret', () => {
    const { settings } = read({ SESSION_SECRET: `${SECRET},${OLD_SECRET}` });
    assert.equal(settings.headerKeyDerived, true);
    assert.ok(settings.headerKey.equals(deriveHeaderKeyFromSecret(SECRET)));
    assert.ok(!settings.headerKey.equals(Buffer.from(SECRET)));
    assert.ok(!settings.headerKey.toString('latin1').includes(SECRET));
  });

  it('derives the header key from a generated secret too', () => {
    const { settings } = read({});
    assert.ok(settings.headerKey.equals(deriveHeaderKeyFromSecret(settings.sessionSecrets[0] ?? '')));
  });

  it('SESSION_HEADER_SECRET wins over the derived key', () => {
    const { settings, problems } = read({ SESSION_SECRET: SECRET, SESSION_HEADER_SECRET: ` ${HEADER_SECRET} ` });
    assert.deepEqual(problems, []);
    assert.equal(settings.headerKeyDerived, false);
    assert.ok(settings.headerKey.equals(Buffer.from(HEADER_SECRET)));
  });

  it('deriveHeaderKey picks the key exactly as readEnvSettings does', () => {
    for (const env of [{ SESSION_SECRET: `${SECRET},${OLD_SECRET}` }, { SESSION_SECRET: SECRET, SESSION_HEADER_SECRET: HEADER_SECRET }]) {
      assert.ok(deriveHeaderKey(env)?.equals(read(env).settings.headerKey));
    }
  });

  it('deriveHeaderKey is null when neither secret is set', () => {
    assert.equal(deriveHeaderKey({}), null);
    assert.equal(deriveHeaderKey({ SESSION_SECRET: ' , ', SESSION_HEADER_SECRET: ' ' }), null);
  });

  it('refuses every SESSION_SECRET shorter than 16 bytes, naming its position', () => {
    const problems = read({ SESSION_SECRET: `${SECRET},short,${OLD_SECRET},tiny` }).problems;
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /^SESSION_SECRET: secret #2 /);
    assert.match(problems[1] ?? '', /^SESSION_SECRET: secret #4 /);
  });

  it('measures secrets in bytes, not characters', () => {
    assert.deepEqual(read({ SESSION_SECRET: 'é'.repeat(8) }).problems, []);
    assert.equal(read({ SESSION_SECRET: 'é'.repeat(7) + 'x' }).problems.length, 1);
  });

  it('refuses a SESSION_HEADER_SECRET shorter than 16 bytes', () => {
    const problems = problemsOf({ SESSION_HEADER_SECRET: 'short' });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^SESSION_HEADER_SECRET: /);
  });
});

describe('readEnvSettings: validation', () => {
  it('collects every problem at once', () => {
    const { settings, problems } = read({
      SESSION_SECRET: 'short',
      SESSION_HEADER_SECRET: 'tiny',
      REDIS_URL: 'http://cache:6379',
      ADMIN_LISTEN: 'nowhere',
      LOG_LEVEL: 'loud',
      SESSION_SWEEP_INTERVAL_MS: '0',
    });
    assert.deepEqual(
      problems.map((p) => p.slice(0, p.indexOf(':'))).sort(),
      ['ADMIN_LISTEN', 'LOG_LEVEL', 'REDIS_URL', 'SESSION_HEADER_SECRET', 'SESSION_SECRET', 'SESSION_SWEEP_INTERVAL_MS'],
    );
    assert.deepEqual(settings.adminListen, { host: '127.0.0.1', port: 9901 });
    assert.equal(settings.sweepIntervalMs, DEFAULT_SWEEP_INTERVAL_MS);
  });

  it('adds to the problems it is given and changes nothing else', () => {
    const problems = ['earlier.conf:1: something'];
    const env = { SESSION_SECRET: SECRET, LOG_LEVEL: 'loud' };
    const before = JSON.stringify(env);
    readEnvSettings(env, problems);
    assert.equal(problems.length, 2);
    assert.equal(problems[0], 'earlier.conf:1: something');
    assert.equal(JSON.stringify(env), before);
  });

  it('accepts every REDIS_URL scheme', () => {
    for (const scheme of ['redis', 'rediss', 'redis-sentinel', 'rediss-sentinel', 'redis-cluster', 'rediss-cluster']) {
      assert.deepEqual(problemsOf({ REDIS_URL: `${scheme}://cache:6379` }), [], scheme);
    }
  });

  it('refuses a REDIS_URL of another scheme', () => {
    for (const url of ['http://cache:6379', 'cache:6379', 'redis:/cache', 'REDIS://cache', 'unix:///tmp/redis.sock']) {
      const problems = problemsOf({ REDIS_URL: url });
      assert.equal(problems.length, 1, url);
      assert.match(problems[0] ?? '', /^REDIS_URL: /);
    }
  });

  it('refuses an ADMIN_LISTEN that is not host:port', () => {
    for (const listen of ['9901', 'localhost', 'host:99999', 'host:port', '::1:9901']) {
      const problems = problemsOf({ ADMIN_LISTEN: listen });
      assert.equal(problems.length, 1, listen);
      assert.match(problems[0] ?? '', /^ADMIN_LISTEN: /);
    }
  });

  it('accepts every pino LOG_LEVEL', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      assert.deepEqual(problemsOf({ LOG_LEVEL: level }), [], level);
    }
  });

  it('refuses any other LOG_LEVEL', () => {
    for (const level of ['loud', 'INFO', 'verbose']) {
      const problems = problemsOf({ LOG_LEVEL: level });
      assert.equal(problems.length, 1, level);
      assert.match(problems[0] ?? '', /^LOG_LEVEL: /);
    }
  });

  it('reads SESSION_MEMORY_MAX as an nginx size, and refuses anything else', () => {
    assert.equal(read({}).settings.sessionMemoryMax, null, 'unset: the store derives it from the heap limit');
    assert.equal(read({ SESSION_MEMORY_MAX: ' 64m ' }).settings.sessionMemoryMax, 64 * 1024 * 1024);
    assert.equal(read({ SESSION_MEMORY_MAX: '4096' }).settings.sessionMemoryMax, 4096);
    for (const bad of ['0', '1.5g', '-1m', 'lots']) {
      const { settings, problems } = read({ SESSION_MEMORY_MAX: bad });
      assert.equal(problems.length, 1, bad);
      assert.match(problems[0] ?? '', /^SESSION_MEMORY_MAX: /);
      assert.equal(settings.sessionMemoryMax, null);
    }
  });

  it('refuses a SESSION_SWEEP_INTERVAL_MS that is not a positive whole number', () => {
    for (const interval of ['0', '-5', '1.5', 'abc', '5s', 'Infinity']) {
      const problems = problemsOf({ SESSION_SWEEP_INTERVAL_MS: interval });
      assert.equal(problems.length, 1, interval);
      assert.match(problems[0] ?? '', /^SESSION_SWEEP_INTERVAL_MS: /);
    }
  });
});

describe('parseHostPort', () => {
  it('reads host:port', () => {
    assert.deepEqual(parseHostPort('localhost:8080'), { host: 'localhost', port: 8080 });
    assert.deepEqual(parseHostPort('10.0.0.1:1'), { host: '10.0.0.1', port: 1 });
  });

  it('reads a bracketed IPv6 address', () => {
    assert.deepEqual(parseHostPort('[::1]:9901'), { host: '::1', port: 9901 });
    assert.deepEqual(parseHostPort('[fe80::1%eth0]:80'), { host: 'fe80::1%eth0', port: 80 });
  });

  it('reads :port as every interface', () => {
    assert.deepEqual(parseHostPort(':8080'), { host: '0.0.0.0', port: 8080 });
  });

  it('ignores surrounding whitespace', () => {
    assert.deepEqual(parseHostPort('  localhost:80 '), { host: 'localhost', port: 80 });
  });

  it('accepts ports 0 to 65535', () => {
    assert.deepEqual(parseHostPort('h:0'), { host: 'h', port: 0 });
    assert.deepEqual(parseHostPort('h:65535'), { host: 'h', port: 65535 });
  });

  it('refuses a port over 65535 or of more than five digits', () => {
    assert.equal(parseHostPort('h:65536'), null);
    assert.equal(parseHostPort('h:000080'), null);
  });

  it('refuses text that is not host:port', () => {
    for (const text of ['', 'localhost', '8080', 'h:', 'h:port', 'h:-1', '::1:9901', '[::1]', '[::1]9901', 'a:b:1']) {
      assert.equal(parseHostPort(text), null, JSON.stringify(text));
    }
  });
});
