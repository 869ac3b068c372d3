import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux we run on (sysconf(_SC_CLK_TCK)). */
export const CLOCK_TICKS = 100;

/** utime + stime in ticks from the text of /proc/<pid>/stat. The comm field may contain spaces and ')' — split after the last ')'. */
export function parseStatCpuTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unparseable /proc stat line');
  return utime + stime;
}

/** VmRSS in bytes from the text of /proc/<pid>/status; 0 when absent (a zombie). */
export function parseStatusRss(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** A process and its direct children (nginx: the master and its worker). */
export function processTree(pid: number): number[] {
  const pids = [pid];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (children) pids.push(...children.split(/\s+/).map(Number));
    }
  } catch {
    // The process is gone or the kernel lacks CONFIG_PROC_CHILDREN: the main pid alone.
  }
  return pids;
}

export interface ProcSnapshot {
  cpuTicks: number;
  rssBytes: number;
  atMs: number;
}

export function snapshot(pid: number): ProcSnapshot {
  let cpuTicks = 0;
  let rssBytes = 0;
  for (const p of processTree(pid)) {
    try {
      cpuTicks += parseStatCpuTicks(readFileSync(`/proc/${p}/stat`, 'utf8'));
      rssBytes += parseStatusRss(readFileSync(`/proc/${p}/status`, 'utf8'));
    } catch {
      // A child that exited between the listing and the read.
    }
  }
  return { cpuTicks, rssBytes, atMs: performance.now() };
}

/** CPU used between two snapshots, in % of one core. */
export function cpuPercent(from: ProcSnapshot, to: ProcSnapshot): number {
  const wallS = (to.atMs - from.atMs) / 1000;
  if (wallS <= 0) return 0;
  return ((to.cpuTicks - from.cpuTicks) / CLOCK_TICKS / wallS) * 100;
}

/** Samples a process while a run lasts: peak RSS every 250 ms, CPU from first to last snapshot. */
export class ProcessSampler {
  readonly #pid: number;
  #first: ProcSnapshot | null = null;
  #peakRss = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(pid: number) {
    this.#pid = pid;
  }

  start(): void {
    this.#first = snapshot(this.#pid);
    this.#peakRss = this.#first.rssBytes;
    this.#timer = setInterval(() => {
      this.#peakRss = Math.max(this.#peakRss, snapshot(this.#pid).rssBytes);
    }, 250);
  }

  stop(): { rssMaxBytes: number; rssEndBytes: number; cpuPercent: number } {
    if (this.#timer) clearInterval(this.#timer);
    const last = snapshot(this.#pid);
    const first = this.#first ?? last;
    return { rssMaxBytes: Math.max(this.#peakRss, last.rssBytes), rssEndBytes: last.rssBytes, cpuPercent: cpuPercent(first, last) };
  }
}
