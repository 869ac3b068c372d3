import { ADMIN_OPTIONS, adminClientFrom, exitCodeFor, parseArgs } from './admin-args.js';
import type { CliCommand } from './commands.js';

const USAGE = `usage: session-gateway rolling-restart --exec CMD [--drain-timeout S] [--ready-timeout S] [--settle S]
                                       [--admin URL] [--token T] [--json]
  --exec CMD           restart command for one backend, run through /bin/sh; {name} {host} {port} are replaced
                       (e.g. "systemctl restart app@{port}", "pm2 reload app-{port}", "docker restart app-{port}")
  --drain-timeout S    wait at most S seconds for a backend to drain; then it is restarted anyway (reported) [30]
  --ready-timeout S    abort when a restarted backend is not healthy within S seconds (it stays in MAINT) [60]
  --settle S           wait S seconds after a backend is READY before the next one [2]
exit: 0 done · 1 aborted (see the reason) · 2 usage · 3 admin API unreachable · 4 refused (nothing changed)
`;

/** `rolling-restart` (docs/architecture.md §7): the CLI drives the rollout through the admin API; see rollout/orchestrator.ts. */
export const rollingRestartCommand: CliCommand = {
  summary: 'rolling-restart --exec CMD: drain, restart and readmit every backend, one at a time',
  usage: USAGE,
  async run(args) {
    const { values } = parseArgs({
      args,
      options: { ...ADMIN_OPTIONS, exec: { type: 'string' }, 'drain-timeout': { type: 'string' }, 'ready-timeout': { type: 'string' }, settle: { type: 'string' } },
      allowPositionals: false,
    });
    if (!values.exec) {
      process.stderr.write(`session-gateway rolling-restart: --exec CMD is required (how to restart one backend; there is no default)\n\n${USAGE}`);
      return 2;
    }
    const seconds = (flag: string, text: string | undefined, fallback: number): number | null => {
      if (text === undefined) return fallback * 1000;
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0) {
        process.stderr.write(`session-gateway rolling-restart: --${flag} must be a number of seconds\n`);
        return null;
      }
      return Math.round(n * 1000);
    };
    const drainTimeoutMs = seconds('drain-timeout', values['drain-timeout'], 30);
    const readyTimeoutMs = seconds('ready-timeout', values['ready-timeout'], 60);
    const settleMs = seconds('settle', values.settle, 2);
    if (drainTimeoutMs === null || readyTimeoutMs === null || settleMs === null) return 2;
    const out = values.json ? process.stderr : process.stdout;
    const [{ RolloutOrchestrator }, { createProgress }] = await Promise.all([import('../rollout/orchestrator.js'), import('../rollout/progress.js')]);
    const progress = createProgress(out, !values.json && process.stdout.isTTY === true);
    const orchestrator = new RolloutOrchestrator(adminClientFrom(values), { exec: values.exec, drainTimeoutMs, readyTimeoutMs, settleMs }, progress);
    const result = await orchestrator.run();
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) {
      const forced = result.backends.filter((b) => b.forced).length;
      process.stdout.write(`rolling restart done: ${result.backends.length} backend(s)${forced > 0 ? `, ${forced} drain(s) FORCED at the drain timeout` : ', every drain completed'}\n`);
      for (const b of result.backends) {
        process.stdout.write(`  ${b.name}: drained ${(b.drainMs / 1000).toFixed(1)}s${b.forced ? ` (forced: ${b.leftInFlight} in flight, ${b.leftLongLived} streams)` : ''}, restart ${(b.restartMs / 1000).toFixed(1)}s, healthy ${(b.readyMs / 1000).toFixed(1)}s, out of service ${(b.outOfServiceMs / 1000).toFixed(1)}s\n`);
      }
    } else {
      const e = result.error!;
      process.stderr.write(`session-gateway rolling-restart: ${e.outcome === 'refused' ? 'REFUSED' : 'ABORTED'}: ${e.message} (${e.code})\n`);
      if (e.outcome === 'aborted' && e.backend) process.stderr.write(`  ${e.backend} is left in MAINT; the other backends are untouched. Fix it, then: session-gateway ready ${e.backend}\n`);
    }
    if (result.ok) return 0;
    const code = exitCodeFor(result.error?.code ?? 'SG_ERROR');
    return code === 3 ? 3 : result.error?.outcome === 'refused' ? 4 : 1;
  },
};
