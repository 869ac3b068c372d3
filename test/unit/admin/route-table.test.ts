import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RouteTable } from '../../../gateway/admin/route-table.js';

describe('admin RouteTable', () => {
  const routes = new RouteTable();
  const handler = () => ({ json: {} });
  routes.get('/api/backends', handler);
  routes.post('/api/backends/:name/drain', handler);

  it('matches patterns and decodes parameters', () => {
    const m = routes.match('POST', '/api/backends/127.0.0.1%3A8081/drain');
    assert.deepEqual(m.params, { name: '127.0.0.1:8081' });
    assert.equal(routes.match('HEAD', '/api/backends').handler, handler);
  });

  it('404 for an unknown path, 405 for a known path with another method', () => {
    assert.throws(() => routes.match('GET', '/nope'), { code: 'SG_ADMIN_NOT_FOUND', status: 404 });
    assert.throws(() => routes.match('GET', '/api/backends/x/drain'), { code: 'SG_ADMIN_METHOD_NOT_ALLOWED', status: 405 });
  });

  it('refuses a route registered twice', () => {
    assert.throws(() => routes.get('/api/backends', handler));
  });
});
