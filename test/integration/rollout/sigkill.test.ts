import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { startDemoBackend, type DemoBackend } from '../../helpers/backend-process.js';
import { startGateway, type GatewayUnderTest } from '../../helpers/gateway-process.js';
import { waitFor } from '../../helpers/wait-for.js';

interface Status {
  backends: Array<{ name: string; health: string; serving: boolean; ejected: boolean }>;
}

describe('a backend killed with SIGKILL under load (no drain)', () => {
  let backends: DemoBackend[];
  let gateway: GatewayUnderTest;
  const agent = new Agent({ connections: 16 });

  before(async () => {
    backends = await Promise.all([startDemoBackend(), startDemoBackend(), startDemoBackend()]);
    gateway = await startGateway({ backends: backends.map((b) => b.name), serverExtra: 'set $health_check_interval 500ms; set $slow_start 1s;' });
  });

  after(async () => {
    await agent.close();
    await gateway?.process.stop();
    await Promise.all((backends ?? []).map((b) => b.process.stop()));
  });

  const backendState = async (name: string) => {
    const res = await request(`${gateway.adminUrl}/api/backends`);
    return ((await res.body.json()) as Status).backends.find((b) => b.name === name)!;
  };

  it('costs no failed GET; the backend is ejected, then readmitted once it answers again', { timeout: 60_000 }, async () => {
    const failures: string[] = [];
    const seenBy = new Map<string, number>();
    let requests = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        requests++;
        try {
          const res = await request(`${gateway.url}/api/whoami`, { dispatcher: agent });
          await res.body.dump();
          const backend = String(res.headers['x-backend']);
          seenBy.set(backend, (seenBy.get(backend) ?? 0) + 1);
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, worker));
    const victim = backends[0]!;
    await waitFor(() => (seenBy.get(victim.name) ?? 0) > 20, { what: 'load on the victim' });
    await victim.process.stop('SIGKILL');
    await waitFor(async () => (await backendState(victim.name)).health === 'UNHEALTHY', { what: 'the killed backend to be marked UNHEALTHY' });
    const servedBefore = seenBy.get(victim.name) ?? 0;
    assert.equal((await backendState(victim.name)).serving, false);

    backends[0] = await startDemoBackend({ port: victim.port });
    await waitFor(async () => (await backendState(victim.name)).health === 'HEALTHY', { what: 'readmission after rise checks', timeoutMs: 15_000 });
    await waitFor(() => (seenBy.get(victim.name) ?? 0) > servedBefore, { what: 'requests on the readmitted backend', timeoutMs: 15_000 });
    stop = true;
    await load;
    process.stderr.write(`sigkill: ${requests} GETs, ${failures.length} failed, per backend ${JSON.stringify(Object.fromEntries(seenBy))}\n`);
    assert.deepEqual(failures, []);
  });
});
