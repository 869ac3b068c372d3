import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOP_ANSWER_LEVEL } from '../../../gateway/config/return-directive.js';
import { OPEN_ACCESS } from '../../../gateway/access/access-settings.js';
import { defaults, type ServerSettings } from '../../../gateway/config/settings.js';
import { parseServerName, type ServerName } from '../../../gateway/config/server-names.js';
import { selectServer } from '../../../gateway/proxy/virtual-hosts.js';

function server(serverNames: string[]): ServerSettings {
  const names = serverNames.flatMap((n) => parseServerName(n) as ServerName[]);
  return { listen: [{ ...defaults.listen }], serverNames, names, serverName: serverNames[0] ?? '', locations: [], return: null, sets: [], redirect: TOP_ANSWER_LEVEL.redirect, clientHeaderTimeoutMs: defaults.clientHeaderTimeoutMs, access: OPEN_ACCESS, addHeaders: [], source: 'test.conf:1' };
}

describe('selectServer', () => {
  const first = { name: 'first', settings: server(['a.example']) };
  const second = { name: 'second', settings: server(['b.example', 'www.b.example']) };
  const servers = [first, second];

  it('picks the server whose server_name is the Host', () => {
    assert.equal(selectServer(servers, 'www.b.example').name, 'second');
  });

  it('matches the validated host (port already removed)', () => {
    assert.equal(selectServer(servers, 'b.example').name, 'second');
  });

  it('falls back to the first server for an unknown Host', () => {
    assert.equal(selectServer(servers, 'c.example').name, 'first');
  });

  it('falls back to the first server without a Host', () => {
    assert.equal(selectServer(servers, '').name, 'first');
  });

  it('returns the only server whatever the Host', () => {
    assert.equal(selectServer([second], 'a.example').name, 'second');
  });

  it('matches a server_name written with capitals', () => {
    const mixed = { name: 'mixed', settings: server(['Shop.Example']) };
    assert.equal(selectServer([first, mixed], 'shop.example').name, 'mixed');
  });
});
