/** Self time per function from a V8 .cpuprofile (what `node --cpu-prof` writes). Pure: parsed JSON in, rows out. */

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  /** `name file:line`, with paths shortened to the part after node_modules/ or the repository folders. */
  frame: string;
  selfMs: number;
  percent: number;
}

export function shortenUrl(url: string): string {
  const match = /(?:^|\/)(node_modules\/.*|gateway\/.*|scripts\/.*|backends\/.*)$/.exec(url.replace(/^file:\/\//, ''));
  return match?.[1] ?? url;
}

/** Rows by descending self time; `(idle)` and `(program)` kept, since they say how busy the process was. */
export function selfTimes(profile: CpuProfile, top = 25): SelfTimeRow[] {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const perFrame = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node || delta <= 0) return;
    const cf = node.callFrame;
    const frame = cf.url ? `${cf.functionName || '(anonymous)'} ${shortenUrl(cf.url)}:${cf.lineNumber + 1}` : cf.functionName || '(anonymous)';
    perFrame.set(frame, (perFrame.get(frame) ?? 0) + delta);
    totalUs += delta;
  });
  return [...perFrame]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, percent: totalUs === 0 ? 0 : (us / totalUs) * 100 }));
}
