import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadGatewayConfig } from '../../../../gateway/config/load-config.js';
import { BenchUsageError, parseBenchArgs } from '../../../../scripts/bench/args.js';
import { gatewayConfig, nginxConfig } from '../../../../scripts/bench/configs.js';
import { cpuPercent, parseStatCpuTicks, parseStatusRss } from '../../../../scripts/bench/proc-stats.js';
import { commandsPerRequest, parseCommandStats, parseUsedMemory } from '../../../../scripts/bench/redis-stats.js';
import { roundOrder } from '../../../../scripts/bench/scenarios.js';
import { firstCookie } from '../../../../scripts/bench/sessions.js';

test('parseStatCpuTicks reads utime + stime after a comm with spaces and parentheses', () => {
  const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 1000 1000000 5000';
  assert.equal(parseStatCpuTicks(stat), 300);
});

test('parseStatusRss reads VmRSS in bytes', () => {
  assert.equal(parseStatusRss('Name:\tnode\nVmRSS:\t  123456 kB\nThreads: 7\n'), 123456 * 1024);
  assert.equal(parseStatusRss('Name:\tzombie\n'), 0);
});

test('cpuPercent is ticks over wall time, in % of a core', () => {
  assert.equal(cpuPercent({ cpuTicks: 100, rssBytes: 0, atMs: 0 }, { cpuTicks: 250, rssBytes: 0, atMs: 2000 }), 75);
});

test('commandstats are parsed and diffed per request, our own INFO excluded', () => {
  const before = parseCommandStats('# Commandstats\r\ncmdstat_evalsha:calls=10,usec=5\r\ncmdstat_info:calls=3,usec=1\r\n');
  const after = parseCommandStats('# Commandstats\r\ncmdstat_evalsha:calls=110,usec=50\r\ncmdstat_info:calls=9,usec=1\r\ncmdstat_client|setname:calls=1,usec=1\r\n');
  assert.deepEqual(after, { evalsha: 110, info: 9, 'client|setname': 1 });
  const usage = commandsPerRequest(before, after, 100);
  assert.equal(usage.total, 1.01);
  assert.deepEqual(usage.byCommand, { evalsha: 1, 'client|setname': 0.01 });
  assert.equal(commandsPerRequest(before, after, 0).total, 0);
  assert.equal(parseUsedMemory('used_memory:1024\r\nused_memory_human:1K'), 1024);
});

test('bench arguments: defaults, --quick, and usage errors', () => {
  const full = parseBenchArgs([]);
  assert.equal(full.rounds, 3);
  assert.equal(full.soakMinutes, 10);
  assert.equal(full.idleConnections, 10_000);
  assert.equal(full.sessions, 100_000);
  const quick = parseBenchArgs(['--quick', '--json', '--soak-minutes', '0', '--only', 'direct,gateway-redis']);
  assert.equal(quick.rounds, 1);
  assert.equal(quick.json, true);
  assert.equal(quick.soakMinutes, 0);
  assert.deepEqual(quick.only, ['direct', 'gateway-redis']);
  assert.throws(() => parseBenchArgs(['--rounds', '0']), BenchUsageError);
  assert.throws(() => parseBenchArgs(['--duration']), BenchUsageError);
  assert.throws(() => parseBenchArgs(['--bogus']), BenchUsageError);
});

test('generated configs point both proxies at the backend, the gateway with the larger session limit', () => {
  const gw = gatewayConfig({ listenPort: 1111, backendPort: 2222, sessionMaxBytes: '16k' });
  assert.match(gw, /listen 127\.0\.0\.1:1111;/);
  assert.match(gw, /server 127\.0\.0\.1:2222;/);
  assert.match(gw, /set \$session_max_bytes 16k;/);
  // The comparison rows run one process; the process-model rows name their workers.
  assert.match(gw, /^master_process off;$/m);
  assert.match(gatewayConfig({ listenPort: 1111, backendPort: 2222, workers: 2 }), /^worker_processes 2;$/m);
  assert.match(nginxConfig({ listenPort: 1111, backendPort: 2222, prefixDir: '/tmp/x', workers: 2 }), /^worker_processes 2;$/m);
  const ngx = nginxConfig({ listenPort: 1111, backendPort: 2222, prefixDir: '/tmp/x' });
  assert.match(ngx, /pid \/tmp\/x\/nginx\.pid;/);
  assert.match(ngx, /worker_processes 1;/);
  assert.doesNotMatch(ngx, /session_max_bytes/);
});

test('the wait_replicas row\'s gateway config is one the gateway loads, with its commits waiting for one replica', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-config-'));
  try {
    const file = join(dir, 'gateway.conf');
    writeFileSync(file, gatewayConfig({ listenPort: 1111, backendPort: 2222, waitReplicas: 1 }));
    const { settings, problems } = loadGatewayConfig(file);
    assert.deepEqual(problems, []);
    assert.equal(settings?.servers[0]?.locations[0]?.session.waitReplicas, 1);
    writeFileSync(file, gatewayConfig({ listenPort: 1111, backendPort: 2222 }));
    assert.equal(loadGatewayConfig(file).settings?.servers[0]?.locations[0]?.session.waitReplicas, 0, 'the other rows do not wait');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('roundOrder rotates the comparison group and keeps the sweeps after it', () => {
  const all = new Set(['backend', 'nginx', 'gateway-redis', 'gateway-embedded', 'express'] as const);
  const r0 = roundOrder(0, all).map((s) => s.id);
  const r1 = roundOrder(1, all).map((s) => s.id);
  assert.equal(r0[0], 'direct');
  assert.equal(r1[0], 'nginx');
  assert.equal(r1.at(-1), 'gateway-redis-rate');
  assert.ok(!roundOrder(0, new Set(['backend'] as const)).some((s) => s.target !== 'backend'));
});

test('roundOrder keeps the runs of a ratio target next to each other in every round, each side first in turn', () => {
  const all = new Set(['backend', 'nginx', 'gateway-redis', 'gateway-embedded', 'gateway-embedded-log', 'express', 'gateway-redis-wait'] as const);
  const firsts = new Set<string>();
  for (let round = 0; round < 12; round++) {
    const ids = roundOrder(round, all).map((s) => s.id);
    const gap = (a: string, b: string) => Math.abs(ids.indexOf(a as never) - ids.indexOf(b as never));
    assert.equal(gap('gateway-redis', 'express'), 1, `round ${round}: ${ids.join(' ')}`);
    assert.equal(gap('gateway-redis', 'gateway-embedded'), 1, `round ${round}: ${ids.join(' ')}`);
    assert.equal(gap('gateway-embedded', 'gateway-embedded-log'), 1, `round ${round}: ${ids.join(' ')}`);
    assert.equal(gap('gateway-redis', 'gateway-pass'), 2, `round ${round}: ${ids.join(' ')}`);
    assert.equal(new Set(ids).size, ids.length);
    firsts.add(ids.indexOf('express') < ids.indexOf('gateway-redis') ? 'express' : 'gateway-redis');
  }
  assert.deepEqual([...firsts].sort(), ['express', 'gateway-redis']);
  // Every comparison scenario still runs once a round.
  assert.equal(roundOrder(3, all).filter((s) => s.group === 'compare').length, 9);
});

test('firstCookie takes the name=value pair of the first Set-Cookie', () => {
  assert.equal(firstCookie(['gsid=abc.def; Path=/; HttpOnly', 'other=1']), 'gsid=abc.def');
  assert.equal(firstCookie('connect.sid=s%3Axyz; Path=/'), 'connect.sid=s%3Axyz');
  assert.equal(firstCookie(undefined), null);
});

test('a short soak is sampled more often than every 10 s', async () => {
  const { soakSampleSeconds } = await import('../../../../scripts/bench/soak.js');
  assert.equal(soakSampleSeconds(10), 10);
  assert.equal(soakSampleSeconds(0.5), 2);
  assert.equal(soakSampleSeconds(0.05), 1);
});
