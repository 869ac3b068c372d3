import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { RequestSlot } from '../../../gateway/request-slot.js';

describe('request slots (values kept with a request)', () => {
  it('keeps a value per request, separate per slot, invisible to the request\'s own fields', () => {
    const a = new IncomingMessage(new Socket());
    const b = new IncomingMessage(new Socket());
    const route = new RequestSlot<string | null, IncomingMessage>('route');
    const other = new RequestSlot<string | null, IncomingMessage>('route');
    assert.equal(route.get(a), undefined);
    route.set(a, '/api');
    route.set(b, null);
    assert.equal(route.get(a), '/api');
    assert.equal(route.get(b), null, 'null is a value, not "unset"');
    assert.equal(other.get(a), undefined, 'two slots of the same name are still two');
    assert.ok(!Object.keys(a).some((k) => k.includes('route')));
    assert.ok(!JSON.stringify(Object.entries(a)).includes('/api'));
  });
});
