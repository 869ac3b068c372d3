import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOP_ANSWER_LEVEL } from '../../../gateway/config/return-directive.js';
import { OPEN_ACCESS } from '../../../gateway/access/access-settings.js';
import { parseServerName, type ServerName } from '../../../gateway/config/server-names.js';
import { defaults, type ServerSettings } from '../../../gateway/config/settings.js';
import { ServerIndex } from '../../../gateway/proxy/server-select.js';

function server(name: string, serverNames: string[], defaultServer = false): { name: string; settings: ServerSettings } {
  const names = serverNames.flatMap((n) => parseServerName(n) as ServerName[]);
  return {
    name,
    settings: {
      listen: [{ host: '127.0.0.1', port: 80, defaultServer }], serverNames, names, serverName: serverNames[0] ?? '', locations: [], return: null, sets: [], redirect: TOP_ANSWER_LEVEL.redirect,
      clientHeaderTimeoutMs: defaults.clientHeaderTimeoutMs, access: OPEN_ACCESS, addHeaders: [], source: `t.conf:${name}`,
    },
  };
}

describe('ServerIndex', () => {
  const servers = [
    server('first', ['first.test']),
    server('regex', ['~^(?<sub>[a-z]+)\\.example\\.com$']),
    server('star', ['*.example.com']),
    server('longer-star', ['*.shop.example.com']),
    server('trailing', ['www.example.*']),
    server('dot', ['.example.org']),
    server('default', ['default.test'], true),
  ];
  const index = new ServerIndex(servers, '127.0.0.1:80');
  const pick = (host: string) => index.select(host).server.name;

  it('exact, then the longest leading wildcard, then the longest trailing one, then regexes, then default_server', () => {
    assert.equal(pick('first.test'), 'first');
    assert.equal(pick('a.shop.example.com'), 'longer-star');
    assert.equal(pick('www.example.com'), 'star');
    assert.equal(pick('www.example.net'), 'trailing');
    assert.equal(pick('example.org'), 'dot');
    assert.equal(pick('deep.sub.example.org'), 'dot');
    assert.equal(pick('nobody.test'), 'default');
    assert.equal(pick(''), 'default');
  });

  it('a regex is tried only after every wildcard; its captures come with the choice', () => {
    const onlyRegex = new ServerIndex([servers[0]!, servers[1]!]);
    const choice = onlyRegex.select('acme.example.com');
    assert.equal(choice.server.name, 'regex');
    assert.equal(choice.captures?.get('sub'), 'acme');
    assert.equal(choice.captures?.get('1'), 'acme');
  });

  it('without default_server the first server is the default; a name written twice is the first server\'s', () => {
    const plain = new ServerIndex([server('a', ['x.test']), server('b', ['x.test'])], '127.0.0.1:80');
    assert.equal(plain.select('x.test').server.name, 'a');
    assert.equal(plain.select('y.test').server.name, 'a');
  });

  it('default_server counts only for its own listen address', () => {
    const other = new ServerIndex([server('a', ['a.test']), server('b', ['b.test'], true)], '127.0.0.1:81');
    assert.equal(other.defaultServer.name, 'a');
  });
});
