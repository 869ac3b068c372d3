/** Command-line options of `npm run bench` (scripts/bench.ts). Pure: parse, never exit. */
export interface BenchOptions {
  quick: boolean;
  json: boolean;
  rounds: number;
  durationS: number;
  connections: number;
  fixedRate: number;
  /** Connections of the fixed-rate runs: few, so the p99 is the latency the proxy adds, not queueing behind other requests. */
  rateConnections: number;
  soakMinutes: number;
  idleConnections: number;
  sessions: number;
  /** Report folder; null = bench/reports of the repository. */
  outDir: string | null;
  /** Run only these scenario ids (comma list); empty = all. */
  only: string[];
  skipMemory: boolean;
  /** Run the gateways under `node --cpu-prof`, profiles into this folder; null = no profiling. */
  cpuProfDir: string | null;
  help: boolean;
}

export class BenchUsageError extends Error {
  readonly code = 'SG_BENCH_USAGE';
}

export const USAGE = `usage: npm run bench -- [options]
  --quick               about a minute: 1 round, short runs, smaller memory scenarios, 0.5 min soak
  --json                print the report as JSON on stdout (progress goes to stderr)
  --rounds N            interleaved rounds (default 3; quick 1)
  --duration S          seconds per scenario run (default 10; quick 2)
  --connections N       default connection count (default 100)
  --rate N              fixed rate for the p99-added runs, req/s (default 1000)
  --rate-connections N  connections of the fixed-rate runs (default 2)
  --soak-minutes N      soak length on the main path (default 10; quick 0.5; 0 = skip)
  --idle-connections N  idle keep-alive connections for the memory scenario (default 10000; quick 2000)
  --sessions N          sessions created for the memory scenario (default 100000; quick 10000)
  --only a,b            run only these scenarios (ids as in the report)
  --skip-memory         skip the idle-connection and session-count scenarios
  --out DIR             report folder (default bench/reports)
  --cpu-prof DIR        run the gateways under node --cpu-prof; profiles are written to DIR when they stop`;

function positive(flag: string, raw: string | undefined, allowZero = false): number {
  const value = Number(raw);
  if (raw === undefined || raw.startsWith('--') || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new BenchUsageError(`${flag} needs a ${allowZero ? 'non-negative' : 'positive'} number, got ${raw ?? 'nothing'}`);
  }
  return value;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const options: BenchOptions = {
    quick,
    json: false,
    rounds: quick ? 1 : 3,
    durationS: quick ? 2 : 10,
    connections: 100,
    fixedRate: 1000,
    rateConnections: 2,
    soakMinutes: quick ? 0.5 : 10,
    idleConnections: quick ? 2000 : 10_000,
    sessions: quick ? 10_000 : 100_000,
    outDir: null,
    only: [],
    skipMemory: false,
    cpuProfDir: null,
    help: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const next = () => argv[++i];
    switch (arg) {
      case '--quick':
        break;
      case '--json':
        options.json = true;
        break;
      case '--rounds':
        options.rounds = Math.floor(positive(arg, next()));
        break;
      case '--duration':
        options.durationS = positive(arg, next());
        break;
      case '--connections':
        options.connections = Math.floor(positive(arg, next()));
        break;
      case '--rate':
        options.fixedRate = Math.floor(positive(arg, next()));
        break;
      case '--rate-connections':
        options.rateConnections = Math.floor(positive(arg, next()));
        break;
      case '--soak-minutes':
        options.soakMinutes = positive(arg, next(), true);
        break;
      case '--idle-connections':
        options.idleConnections = Math.floor(positive(arg, next(), true));
        break;
      case '--sessions':
        options.sessions = Math.floor(positive(arg, next(), true));
        break;
      case '--only': {
        const list = next();
        if (!list || list.startsWith('--')) throw new BenchUsageError('--only needs a comma-separated list of scenario ids');
        options.only = list.split(',').map((s) => s.trim()).filter(Boolean);
        break;
      }
      case '--skip-memory':
        options.skipMemory = true;
        break;
      case '--out': {
        const dir = next();
        if (!dir || dir.startsWith('--')) throw new BenchUsageError('--out needs a folder');
        options.outDir = dir;
        break;
      }
      case '--cpu-prof': {
        const dir = next();
        if (!dir || dir.startsWith('--')) throw new BenchUsageError('--cpu-prof needs a folder for the .cpuprofile files');
        options.cpuProfDir = dir;
        break;
      }
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new BenchUsageError(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return options;
}
