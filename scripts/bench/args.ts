import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Section names to run, in the order given; empty means the default set. */
  only: string[];
  /** Seconds of load per measurement. */
  duration: number;
  /** Rounds of alternating variants; each round measures every variant once. */
  rounds: number;
  connections: number;
  /** wrk threads driving each load. */
  driverThreads: number;
  /** Seconds of warm-up load per target before the first round (JIT, page cache). */
  warmup: number;
  /** Rows in the read benchmark's database. */
  rows: number;
  /** Row counts the list benchmark compares (small, large). */
  listRows: [number, number];
  /** Rows in the import section's export file. */
  importRows: number;
  /** Customers in the export section's database and rows the import section sends over the API (issue 20). */
  bulkRows: number;
  /** PostgreSQL admin URL for the postgres section (else TEST_DATABASE_URL); the section is skipped without one. */
  pgUrl: string | undefined;
  /** Seconds to wait, before each measurement, for other processes to leave the CPU alone. */
  settle: number;
  /** Exit non-zero when a target is missed, not only when a measurement is invalid. */
  strict: boolean;
  /** Keep the per-run data directories and CPU profiles instead of deleting them. */
  keep: boolean;
  /** Rebuild cached databases even when a matching one exists. */
  rebuild: boolean;
  help: boolean;
}

export const USAGE = `npm run bench -- [flags]

  --only a,b         sections to run (see the list below); repeatable; default: the default set
  --duration S       seconds of load per measurement (default 8)
  --rounds N         rounds alternating the variants (default 3)
  --connections N    concurrent connections (default 50)
  --driver-threads N wrk threads per load (default 1: one core for wrk, one for the server)
  --warmup S         seconds of warm-up load per variant before round 1 (default 5; tRPC needs it)
  --rows N           customers in the read benchmark's database (default 100000)
  --list-rows A,B    row counts the list benchmark compares (default 10000,1000000)
  --import-rows N    rows in the import section's export file (default 1000000)
  --bulk-rows N      customers the export section exports and the import section imports over the
                     API (default 1000000)
  --pg-url URL       PostgreSQL admin URL for the postgres section (default: $TEST_DATABASE_URL;
                     the section is skipped when neither is set)
  --settle S         before each measurement, wait up to S s for other processes to go quiet
                     (default 15; 0 = don't wait); busy neighbours are reported as warnings
  --strict           exit 1 when a target is missed (always exit 1 on non-2xx or errors)
  --keep             keep the per-run data dirs (under .bench/runs/); CPU profiles are always
                     kept in .bench/profiles/, results in .bench/results/
  --rebuild          rebuild cached databases under .bench/db/
  --help`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', multiple: true },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      'driver-threads': { type: 'string' },
      warmup: { type: 'string' },
      rows: { type: 'string' },
      'list-rows': { type: 'string' },
      'import-rows': { type: 'string' },
      'bulk-rows': { type: 'string' },
      'pg-url': { type: 'string' },
      settle: { type: 'string' },
      strict: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const only = (values.only ?? [])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  const listRows = (values['list-rows'] ?? '10000,1000000').split(',').map((s) => positiveInt('list-rows', s, 0));
  if (listRows.length !== 2) throw new Error('--list-rows takes two row counts: small,large');
  const warmupRaw = values.warmup;
  return {
    only,
    duration: positiveInt('duration', values.duration, 8),
    rounds: Math.round(positiveInt('rounds', values.rounds, 3)),
    connections: Math.round(positiveInt('connections', values.connections, 50)),
    driverThreads: Math.round(positiveInt('driver-threads', values['driver-threads'], 1)),
    warmup: warmupRaw === '0' ? 0 : positiveInt('warmup', warmupRaw, 5),
    rows: Math.round(positiveInt('rows', values.rows, 100_000)),
    listRows: [Math.round(listRows[0]!), Math.round(listRows[1]!)],
    importRows: Math.round(positiveInt('import-rows', values['import-rows'], 1_000_000)),
    bulkRows: Math.round(positiveInt('bulk-rows', values['bulk-rows'], 1_000_000)),
    pgUrl: values['pg-url'] || process.env.TEST_DATABASE_URL || undefined,
    settle: values.settle === '0' ? 0 : positiveInt('settle', values.settle, 15),
    strict: values.strict ?? false,
    keep: values.keep ?? false,
    rebuild: values.rebuild ?? false,
    help: values.help ?? false,
  };
}
