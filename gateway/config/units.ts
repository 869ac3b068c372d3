/**
 * nginx value syntax for sizes and times (ngx_parse_size / ngx_parse_offset / ngx_parse_time).
 * Both return null for anything nginx would reject, so callers can report a problem instead of guessing.
 */

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 * 1024, g: 1024 * 1024 * 1024 };

/** `0`, `512`, `8k`, `1m`, `2g` (case-insensitive) → bytes. */
export function parseSize(text: string): number | null {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text);
  if (!m) return null;
  const bytes = Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** Units in the order nginx requires them (largest first); `M` is a 30-day month, `y` a 365-day year. */
const TIME_UNITS: Array<[unit: string, ms: number]> = [
  ['y', 365 * 86_400_000],
  ['M', 30 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * `500ms`, `30s`, `30m`, `24h`, `1h30m`, `"1h 30m"` → milliseconds. A number without a unit means seconds, as in
 * nginx, and may only come last. Units must go from largest to smallest, each at most once (nginx rejects `30m1h`).
 */
export function parseTimeMs(text: string): number | null {
  const re = /(\d+)(ms|[yMwdhms])?\s*/y;
  let pos = 0;
  let total = 0;
  let lastRank = -1;
  let sawBare = false;
  const trimmed = text.trim();
  if (trimmed === '') return null;
  while (pos < trimmed.length) {
    if (sawBare) return null;
    re.lastIndex = pos;
    const m = re.exec(trimmed);
    if (!m) return null;
    pos = re.lastIndex;
    const unit = m[2] ?? 's';
    if (m[2] === undefined) sawBare = true;
    const rank = TIME_UNITS.findIndex(([u]) => u === unit);
    if (rank <= lastRank) return null;
    lastRank = rank;
    total += Number(m[1]) * TIME_UNITS[rank]![1];
  }
  return Number.isSafeInteger(total) ? total : null;
}

/** A non-negative decimal integer, as nginx's ngx_atoi accepts it. */
export function parseCount(text: string): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}
