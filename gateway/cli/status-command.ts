import type { BackendsReport } from '../admin/backend-views.js';
import { ADMIN_OPTIONS, adminClientFrom, parseArgs, printFailure } from './admin-args.js';
import type { CliCommand } from './commands.js';

const USAGE = `usage: session-gateway status [--admin URL] [--token T] [--json]
Every backend of every upstream: admin state (READY, DRAINING, MAINT), health on this gateway and on every live
gateway sharing the store, in-flight requests and long-lived streams summed over the gateways, flags.
exit: 0 · 1 refused by the API · 2 usage · 3 admin API unreachable or not one
`;

/** `status`: every backend's admin state, health, and in-flight counts over every live gateway. */
export const statusCommand: CliCommand = {
  summary: 'status: backends with admin state, health and in-flight counts (all gateways)',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({ args, options: ADMIN_OPTIONS, allowPositionals: false });
    const client = adminClientFrom(values);
    try {
      const report = await client.get<BackendsReport>('/api/backends');
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return 0;
      }
      process.stdout.write(formatStatus(report));
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
