/**
 * The harness's flags. Defaults give the full run (< 5 min on 2 cores); --quick is the
 * CI smoke (< 60 s). The rest exist so the harness can be pointed at one proxy while
 * profiling it, e.g. `--only haplab --skip tcp,micro,check --rounds 1 --duration 10
 * --haplab-node-args=--cpu-prof`.
 */
export const TARGET_IDS = ['haproxy', 'haplab', 'plain', 'http-proxy', 'direct'] as const;
export type TargetId = (typeof TARGET_IDS)[number];
export const PARTS = ['http', 'tcp', 'micro', 'check'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  /** Seconds per HTTP point, and per TCP point. */
  seconds: number;
  tcpSeconds: number;
  warmupSeconds: number;
  connections: number[];
  tcpConnections: number[];
  backends: number;
  only: TargetId[];
  skip: Part[];
  haplabNodeArgs: string[];
  checkTimeoutS: number;
  microRuns: number;
  microPicks: number;
  /** Base name of the result files in bench/results (latest, or quick for --quick). */
  outName: string;
  /** Write bench/README-table.md (full runs of every part only, unless forced). */
  readme: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [options]
  --quick                 CI smoke: 1 round, 1 s points, 10 and 100 connections, no check timing (< 60 s)
  --rounds N              rounds of interleaved points, medians taken (default 3)
  --duration S            seconds per HTTP point (default 3)
  --tcp-duration S        seconds per TCP point (default 2)
  --connections LIST      HTTP connection levels (default 1,10,100)
  --only LIST             targets: ${TARGET_IDS.join(',')} (default all)
  --skip LIST             parts to skip: ${PARTS.join(',')}
  --haplab-node-args STR  extra node flags for haplab's proxy, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  --check-timeout S       bound on each 'haplab check ep09' run (default 60)
  --out NAME              result file base name in bench/results (default latest, quick for --quick)`;

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} expects a positive integer (got '${value}')`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchOptions | 'help' {
  const quick = argv.includes('--quick');
  const o: BenchOptions = {
    quick,
    rounds: quick ? 1 : 3,
    seconds: quick ? 1 : 3,
    tcpSeconds: quick ? 1 : 2,
    warmupSeconds: quick ? 1 : 2,
    connections: quick ? [10, 100] : [1, 10, 100],
    tcpConnections: quick ? [100] : [10, 100],
    backends: 3,
    only: [...TARGET_IDS],
    skip: quick ? ['check'] : [],
    haplabNodeArgs: [],
    checkTimeoutS: 60,
    microRuns: quick ? 3 : 7,
    microPicks: quick ? 50_000 : 200_000,
    outName: quick ? 'quick' : 'latest',
    readme: !quick,
  };
  let customised = false;
  for (let k = 0; k < argv.length; k++) {
    const [flag, inline] = argv[k]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--quick') continue;
    if (flag === '--help' || flag === '-h') return 'help';
    const value = inline ?? argv[++k];
    if (value === undefined) throw new Error(`${flag} expects a value`);
    // Flags that change what is measured keep the run out of the README table.
    if (flag !== '--out' && flag !== '--check-timeout') customised = true;
    switch (flag) {
      case '--rounds': o.rounds = positiveInt(flag, value); break;
      case '--duration': o.seconds = positiveInt(flag, value); break;
      case '--tcp-duration': o.tcpSeconds = positiveInt(flag, value); break;
      case '--connections': o.connections = list(value).map((v) => positiveInt(flag, v)); break;
      case '--check-timeout': o.checkTimeoutS = positiveInt(flag, value); break;
      case '--out': o.outName = value; break;
      case '--haplab-node-args': o.haplabNodeArgs = value.split(/\s+/).filter(Boolean); break;
      case '--only': {
        const ids = list(value);
        const bad = ids.find((id) => !(TARGET_IDS as readonly string[]).includes(id));
        if (bad) throw new Error(`--only: unknown target '${bad}' (use ${TARGET_IDS.join(', ')})`);
        o.only = ids as TargetId[];
        break;
      }
      case '--skip': {
        const parts = list(value);
        const bad = parts.find((p) => !(PARTS as readonly string[]).includes(p));
        if (bad) throw new Error(`--skip: unknown part '${bad}' (use ${PARTS.join(', ')})`);
        o.skip = [...new Set([...o.skip, ...(parts as Part[])])];
        break;
      }
      default:
        throw new Error(`unknown flag '${flag}'\n${USAGE}`);
    }
  }
  // The README table only ever shows a complete, default-shaped run.
  if (customised) o.readme = false;
  return o;
}
