import type { BackendsReport } from '../admin/backend-views.js';
import type { GatewayProcessReport } from '../process/process-report.js';
import { ADMIN_OPTIONS, adminClientFrom, parseArgs, printFailure } from './admin-args.js';
import type { CliCommand } from './commands.js';

const USAGE = `usage: session-gateway status [--admin URL] [--token T] [--json]
This gateway's processes (master or single, its workers, the configuration generation, the last reload), then
every backend of every upstream: admin state (READY, DRAINING, MAINT), health on this gateway and on every live
gateway sharing the store, in-flight requests and long-lived streams summed over the gateways, flags.
exit: 0 · 1 refused by the API · 2 usage · 3 admin API unreachable or not one
`;

/** `status`: this gateway's processes and configuration generation, then every backend's admin state, health, and
 * in-flight counts over every live gateway. */
export const statusCommand: CliCommand = {
  summary: 'status: generation, workers, last reload; backends with admin state, health and in-flight counts (all gateways)',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({ args, options: ADMIN_OPTIONS, allowPositionals: false });
    const client = adminClientFrom(values);
    try {
      const [report, processes] = await Promise.all([client.get<BackendsReport>('/api/backends'), client.get<GatewayProcessReport>('/api/gateway')]);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ ...report, process: processes })}\n`);
        return 0;
      }
      process.stdout.write(`${formatProcesses(processes)}${formatStatus(report)}`);
      return 0;
    } catch (err) {
      return printFailure(err, values.json, 'status');
    }
  },
};

export function formatStatus(report: BackendsReport): string {
  const header = ['BACKEND', 'UPSTREAM', 'STATE', 'HEALTH', 'EVERYWHERE', 'IN-FLIGHT', 'LONG-LIVED', 'FLAGS'];
  const rows = report.backends.map((b) => [
    b.name,
    b.upstreams.join(','),
    b.state,
    b.health,
    b.cluster.healthy ? 'healthy' : 'not-healthy',
    String(b.cluster.inFlight),
    String(b.cluster.longLived),
    [b.backup && 'backup', b.down && 'down', b.ejected && 'ejected', b.slowStart && 'slow-start', b.cluster.drained && 'drained'].filter(Boolean).join(',') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const meta = `store: ${report.store} · live gateways: ${report.gateways.length} · epoch ${report.epoch}${report.rolloutLock ? ` · rollout running (${report.rolloutLock})` : ''}`;
  return `${meta}\n${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The process lines: mode, pid, generation, workers, and the last reload (with its problems when it failed). */
export function formatProcesses(p: GatewayProcessReport): string {
  const workers = p.mode === 'master' ? ` · ${p.workers.filter((w) => w.state === 'serving').length} worker(s) serving${p.workers.some((w) => w.state !== 'serving') ? `, ${p.workers.filter((w) => w.state !== 'serving').length} finishing or starting` : ''} · restarted ${p.workerRestarts}` : '';
  const lines = [`gateway: ${p.mode} ${p.pid} (${p.version}) · config ${p.config} · generation ${p.generation}${workers}`];
  // After an upgrade and a reload the workers run the new build and the master its old one until a restart.
  const other = [...new Set(p.workers.map((w) => w.version).filter((v) => v !== null && v !== p.version))];
  if (other.length > 0) lines.push(`workers run version ${other.join(', ')} (the master runs ${p.version}; a restart upgrades it)`);
  const r = p.lastReload;
  if (r) {
    const at = new Date(r.at).toISOString();
    lines.push(r.ok ? `last reload: ok at ${at} (generation ${r.generation}, ${r.tookMs} ms)` : `last reload: FAILED at ${at}, generation ${p.generation} kept serving:`);
    if (!r.ok) for (const problem of r.problems) lines.push(`  ${problem}`);
  }
  return `${lines.join('\n')}\n`;
}
