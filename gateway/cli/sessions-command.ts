import type { SessionStatsView, SessionView } from '../admin/session-routes.js';
import { ADMIN_OPTIONS, adminClientFrom, parseArgs, printFailure } from './admin-args.js';
import type { CliCommand } from './commands.js';

const USAGE = `usage: session-gateway sessions list --principal P [--admin URL] [--token T] [--json]
       session-gateway sessions kill (--principal P | --sid SID) [--admin URL] [--token T] [--json]
       session-gateway sessions stats [--admin URL] [--token T] [--json]
  list    a principal's live sessions: sid, created, last access, size, backend (oldest first)
  kill    end every session of a principal, or one session by sid, on every gateway sharing the store;
          the browser's next request is anonymous
  stats   counters (created, destroyed, expired, duplicate logins), live sessions, size distribution
exit: 0 done · 1 refused or failed (e.g. SG_SESSION_NOT_FOUND) · 2 usage · 3 admin API unreachable or not one
`;

/** `sessions list | kill | stats` (docs/architecture.md §8): force logout and session numbers through the admin API. */
export const sessionsCommand: CliCommand = {
  summary: 'sessions list --principal P | kill --principal P | --sid SID | stats: force logout',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...ADMIN_OPTIONS, principal: { type: 'string' }, sid: { type: 'string' } },
      allowPositionals: true,
    });
    const action = positionals[0];
    const usageError = (message: string): number => {
      process.stderr.write(`session-gateway sessions: ${message}\n\n${USAGE}`);
      return 2;
    };
    if (positionals.length !== 1 || (action !== 'list' && action !== 'kill' && action !== 'stats')) return usageError('one action is required: list, kill or stats');
    const client = adminClientFrom(values);
    const principalQuery = values.principal !== undefined ? `?principal=${encodeURIComponent(values.principal)}` : null;
    try {
      if (action === 'list') {
        if (principalQuery === null || values.principal === '') return usageError('list needs --principal P');
        const result = await client.get<{ principal: string; count: number; sessions: SessionView[] }>(`/api/sessions${principalQuery}`);
        process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatSessions(result.principal, result.sessions));
        return 0;
      }
      if (action === 'kill') {
        if ((principalQuery === null) === (values.sid === undefined)) return usageError('kill needs exactly one of --principal P or --sid SID');
        const path = principalQuery !== null ? `/api/sessions${principalQuery}` : `/api/sessions/${encodeURIComponent(values.sid!)}`;
        const result = await client.delete<{ count: number; killed: string[] }>(path);
        if (values.json) process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
        else process.stdout.write(`${result.count} session(s) ended${values.principal !== undefined ? ` for ${values.principal}` : ''}${result.count > 0 ? `: ${result.killed.join(', ')}` : ''}\n`);
        return 0;
      }
      const stats = await client.get<SessionStatsView>('/api/sessions/stats');
      process.stdout.write(values.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
      return 0;
    } catch (err) {
      return printFailure(err, values.json, `sessions ${action}`);
    }
  },
};

export function formatSessions(principal: string, sessions: SessionView[]): string {
  if (sessions.length === 0) return `no live sessions for ${principal}\n`;
  const header = ['SID', 'CREATED', 'LAST ACCESS', 'SIZE', 'BACKEND'];
  const rows = sessions.map((s) => [s.sid, new Date(s.createdAt).toISOString(), new Date(s.lastAccessAt).toISOString(), `${s.size} B`, s.backend ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return `${sessions.length} live session(s) for ${principal}\n${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function formatStats(s: SessionStatsView): string {
  const c = s.counters;
  const rate = s.perSecond ? ` (last ${s.perSecond.overSeconds.toFixed(0)} s: ${s.perSecond.created.toFixed(2)}/s created, ${s.perSecond.destroyed.toFixed(2)}/s destroyed, ${s.perSecond.expired.toFixed(2)}/s expired)` : '';
  const sizes = sizeRanges(s.sizeBuckets).map((r) => `${r.range}: ${r.count}`).join(' · ');
  return [
    `store: ${s.store} (${s.counterScope === 'global' ? 'counters shared by every gateway' : 'counters of this gateway only'})`,
    `active: ${s.active}${s.pendingExpiry > 0 ? ` (+${s.pendingExpiry} past their deadline, not swept yet)` : ''}${rate}`,
    `created: ${c.created} · logins: ${c.logins} · duplicate logins: ${c.duplicateLogins} · rejected logins: ${c.loginRejected}`,
    `destroyed: logout ${c.destroyedLogout} · kill ${c.destroyedKill} · evicted ${c.destroyedEvicted}`,
    `expired: idle ${c.expiredIdle} · absolute ${c.expiredAbsolute}${c.expiredLapsed > 0 ? ` · lapsed ${c.expiredLapsed}` : ''}`,
    `sizes: ${sizes}`,
    '',
  ].join('\n');
}

/** A byte count as an operator reads it: 256 B, 1 KiB, 16 KiB. */
function bytes(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`;
}

/**
 * The store's size distribution is cumulative (each bucket counts every session of at most `le` bytes, as a
 * Prometheus histogram does); a person reads ranges: one 300-byte session is "1 KiB or less: 1", not a count in every
 * bucket from 1 KiB up.
 */
export function sizeRanges(buckets: SessionStatsView['sizeBuckets']): Array<{ range: string; count: number }> {
  let below = 0;
  let lower: number | null = null;
  return buckets.map((b) => {
    const range = b.le === null ? `over ${bytes(lower ?? 0)}` : lower === null ? `up to ${bytes(b.le)}` : `${bytes(lower)}–${bytes(b.le)}`;
    const count = b.count - below;
    below = b.count;
    lower = b.le;
    return { range, count };
  });
}
