import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { Browser } from '../../helpers/browser.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { freePort } from '../../helpers/ports.js';
import { repoRoot } from '../../helpers/paths.js';
import { frameworkConfig, startApp, type AppInstance } from './framework-apps.js';

/**
 * The Flask sample on werkzeug's development server (what `flask run` and `app.run()` serve), behind the gateway on
 * its embedded store: it answers the autosave's 204 and closes connections its own way.
 */
describe('Flask on werkzeug\'s development server behind the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-werkzeug-'));
  let gateway: GatewayUnderTest;
  let app: AppInstance;
  let typesApp: AppInstance;

  before(async () => {
    [app, typesApp] = await Promise.all([
      startApp('flask', { werkzeug: true }),
      startApp('flask', { werkzeug: true, script: join(repoRoot, 'test', 'integration', 'adapters', 'apps', 'flask_types_app.py') }),
    ]);
    const port = await freePort();
    const configFile = join(dir, 'gateway.conf');
    writeFileSync(configFile, frameworkConfig(port, [{ prefix: '/types/', upstream: 'types', apps: [typesApp] }, { prefix: '/', upstream: 'flask', apps: [app] }]));
    gateway = await startGateway({ backends: [], configFile, port });
  });

  after(async () => {
    await gateway?.process.stop();
    await app?.process.stop();
    await typesApp?.process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('login, 204 autosaves, counter and logout; the gateway stays up and Flask\'s cookie never appears', async () => {
    const b = new Browser(gateway.url);
    const login = await b.fetch('/api/login', { json: { user: 'werk' } });
    assert.equal(login.status, 200);
    for (let i = 1; i <= 5; i++) {
      const save = await b.fetch('/api/draft', { method: 'PUT', json: { text: `draft ${i}` } });
      assert.equal(save.status, 204);
      assert.equal(save.text, '');
      assert.equal((await b.fetch('/api/counter', { method: 'POST' })).json<{ counter: number }>().counter, i);
    }
    assert.deepEqual((await b.fetch('/api/whoami')).json<{ principal: string; counter: number; draft: string }>(), { backend: `flask@${app.name}`, pid: app.process.pid, principal: 'werk', counter: 5, draft: 'draft 5' });
    assert.equal((await b.fetch('/api/logout', { method: 'POST' })).status, 200);
    assert.equal((await b.fetch('/api/whoami')).json<{ principal: string | null }>().principal, null);
    assert.deepEqual([...b.cookies.keys()], []);
    assert.equal(gateway.process.child.exitCode, null);
  });

  it('a non-ASCII principal reaches the gateway intact (UTF-8 in X-Session-Login)', async () => {
    const b = new Browser(gateway.url);
    assert.equal((await b.fetch('/api/login', { json: { user: 'zoë-日本' } })).status, 200);
    const res = await request(`${gateway.adminUrl}/api/sessions?principal=${encodeURIComponent('zoë-日本')}`);
    const listed = (await res.body.json()) as { count: number };
    assert.equal(listed.count, 1);
    assert.equal((await b.fetch('/api/whoami')).json<{ principal: string }>().principal, 'zoë-日本');
  });

  it('Flask\'s tagged JSON types come back as the same types after a round trip through the gateway\'s store', async () => {
    const b = new Browser(`${gateway.url}/types`);
    assert.equal((await b.fetch('/write', { method: 'POST' })).status, 204);
    const read = (await b.fetch('/read')).json<{ permanent: boolean; values: Record<string, [string, string]> }>();
    assert.equal(read.permanent, true);
    assert.deepEqual(read.values, {
      _permanent: ['bool', 'True'],
      tuple: ['tuple', "(1, 'two', (3,))"],
      bytes: ['bytes', "b'\\x00\\xff raw'"],
      datetime: ['datetime', 'datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)'],
      uuid: ['UUID', "UUID('12345678-1234-5678-1234-567812345678')"],
      markup: ['Markup', "Markup('<b>Zoë</b>')"],
      tag_like: ['dict', "{' t': 'a dict whose only key looks like a tag'}"],
    });
  });
});
