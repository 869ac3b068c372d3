/** Parsing and diffing of Redis `INFO commandstats` — how the bench counts Redis commands per request. */

export type CommandCounts = Record<string, number>;

/** `cmdstat_get:calls=12,usec=...` lines → { get: 12 }. Sub-commands (`cmdstat_client|setname`) keep their full name. */
export function parseCommandStats(info: string): CommandCounts {
  const out: CommandCounts = {};
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match) out[(match[1] as string).toLowerCase()] = Number(match[2]);
  }
  return out;
}

/** Commands we issue ourselves while measuring; never charged to the system under test. */
const OWN_COMMANDS = new Set(['info', 'ping', 'config|get', 'config|set', 'dbsize', 'memory|usage']);

/** Per-command calls between two snapshots, divided by `requests`; our own sampling commands excluded. */
export function commandsPerRequest(before: CommandCounts, after: CommandCounts, requests: number): { total: number; byCommand: CommandCounts } {
  const byCommand: CommandCounts = {};
  let total = 0;
  if (requests <= 0) return { total: 0, byCommand };
  for (const [name, calls] of Object.entries(after)) {
    if (OWN_COMMANDS.has(name)) continue;
    const delta = calls - (before[name] ?? 0);
    if (delta <= 0) continue;
    byCommand[name] = delta / requests;
    total += delta;
  }
  return { total: total / requests, byCommand };
}

/** `used_memory:12345` from INFO memory. */
export function parseUsedMemory(info: string): number | null {
  const match = /^used_memory:(\d+)/m.exec(info);
  return match ? Number(match[1]) : null;
}
