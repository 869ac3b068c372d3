import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MasterMessage, StoreReply, WorkerMessage } from '../../../gateway/process/ipc-messages.js';
import { IpcSessionStore, type IpcChannel } from '../../../gateway/process/ipc-store.js';
import { StoreServer } from '../../../gateway/process/store-server.js';
import { TickBatch } from '../../../gateway/process/tick-batch.js';
import { MemorySessionStore } from '../../../gateway/session/memory-store.js';

/**
 * The IPC store's batching (docs/architecture.md §12): the calls of one event-loop turn travel as one message and
 * their answers as one, each answer reaching its own call; calls of later turns travel in later messages. The
 * channel here is an in-process pair wired to a real MemorySessionStore; the cross-process path is covered by the
 * lifecycle integration tests (workers, reloads under load).
 */

function channelPair(store: MemorySessionStore): { channel: IpcChannel; sent: WorkerMessage[]; answered: StoreReply[][] } {
  const sent: WorkerMessage[] = [];
  const answered: StoreReply[][] = [];
  const listeners: Array<(m: unknown) => void> = [];
  const deliver = (m: MasterMessage) => setImmediate(() => listeners.forEach((l) => l(m)));
  const server = new StoreServer(store, (replies) => {
    answered.push(replies);
    deliver({ sg: 'store-reply', replies });
  });
  const channel: IpcChannel = {
    connected: true,
    send(m) {
      sent.push(m);
      if (m.sg === 'store') setImmediate(() => server.answer(m.calls));
      return true;
    },
    on(event: 'message' | 'disconnect', listener: ((m: unknown) => void) | (() => void)) {
      if (event === 'message') listeners.push(listener as (m: unknown) => void);
      return channel;
    },
  };
  return { channel, sent, answered };
}

describe('IPC store batching', () => {
  it('TickBatch hands over what was pushed in one turn together, and a later turn separately', async () => {
    const flushed: number[][] = [];
    const batch = new TickBatch<number>((items) => flushed.push(items));
    batch.push(1);
    batch.push(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    batch.push(3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(flushed, [[1, 2], [3]]);
  });

  it('calls of one turn go as one message, answers come back as one, each to its own call', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 0 });
    const { channel, sent, answered } = channelPair(store);
    const ipc = new IpcSessionStore(channel);
    const now = Date.now();
    const results = await Promise.all([ipc.ping(), ipc.stats(now), ipc.listByPrincipal('nobody', now), ipc.destroyByHandle('no-such-handle')]);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.sg === 'store' && sent[0]!.calls.map((c) => c[1]), ['ping', 'stats', 'listByPrincipal', 'destroyByHandle']);
    assert.equal(answered.length, 1);
    assert.equal(answered[0]!.length, 4);
    assert.deepEqual(results[0], undefined);
    assert.deepEqual(results[1], await store.stats(now));
    assert.deepEqual(results[2], []);
    assert.equal(results[3], false);
    await ipc.ping();
    assert.equal(sent.length, 2, 'a call of a later turn travels in its own message');
    await store.close();
  });

  it('an unknown call is answered with SG_STORE_UNAVAILABLE, and the others of its batch still succeed', async () => {
    const store = new MemorySessionStore({ sweepIntervalMs: 0 });
    const replies: StoreReply[] = [];
    let bothAnswered!: () => void;
    const answered = new Promise<void>((resolve) => (bothAnswered = resolve));
    const server = new StoreServer(store, (r) => {
      replies.push(...r);
      if (replies.length >= 2) bothAnswered();
    });
    server.answer([[1, 'ping', []], [2, 'flushall' as never, []]]);
    await answered;
    assert.deepEqual(replies.sort((a, b) => a[0] - b[0]), [[1, true, undefined], [2, false, 'SG_STORE_UNAVAILABLE', 'unknown store call "flushall"']]);
    await store.close();
  });
});
