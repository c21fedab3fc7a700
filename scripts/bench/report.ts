/** What sections hand to the runner: measured rows, target checks and problems, printed at the end. */

export interface Check {
  /** What is compared, e.g. "ratio" or "p99 ms". */
  what: string;
  value: number;
  op: '>=' | '<=';
  target: number;
  ok: boolean;
}

export interface Row {
  section: string;
  variant: string;
  /** What was requested, e.g. "GET /customers/{email}". */
  label: string;
  /** Medians over the rounds. */
  rps?: number;
  p50?: number;
  /** Only where a section measures it (search). */
  p95?: number;
  p99?: number;
  /** Server CPU per request, µs (median over rounds). */
  cpuUsPerReq?: number;
  /** CPU of the server's database processes (PostgreSQL backends) per request, µs. */
  dbCpuUsPerReq?: number;
  /** The load generator's CPU per request, µs. */
  driverCpuUsPerReq?: number;
  /** Rounds in which the driver used more CPU than the server: req/s is then the driver's limit. */
  driverBoundRuns?: number;
  /** Summed over the rounds. */
  requests?: number;
  non2xx?: number;
  errors?: number;
  checks: Check[];
  note?: string;
}

export const check = (what: string, value: number, op: '>=' | '<=', target: number): Check => ({
  what,
  value,
  op,
  target,
  ok: Number.isFinite(value) && (op === '>=' ? value >= target : value <= target),
});

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

export const fmtInt = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));

export function fmtMs(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  // wrk measures latency in µs: two decimals of a millisecond below 10 ms.
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export const fmtNum = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

const fmtCheck = (c: Check) => `${c.what} ${fmtNum(c.value, c.what.includes('ms') ? 1 : 2)} (target ${c.op} ${c.target}) ${c.ok ? 'ok' : 'MISSED'}`;

/** Collects rows and problems across sections; prints one table at the end. */
export class Report {
  readonly rows: Row[] = [];
  readonly problems: string[] = [];
  readonly warnings: string[] = [];

  warn(message: string) {
    this.warnings.push(message);
    console.error(`  warning: ${message}`);
  }

  /** A warning printed as its own line, verbatim ("WARNING: ..."). */
  loud(line: string) {
    this.warnings.push(line);
    console.error(line);
  }

  add(row: Row) {
    this.rows.push(row);
    const bad = (row.non2xx ?? 0) + (row.errors ?? 0);
    if (bad > 0) {
      this.problem(
        `${row.section}/${row.variant}: ${fmtInt(row.non2xx)} non-2xx responses and ${fmtInt(row.errors)} errors/timeouts: these numbers do not measure the real path`,
      );
    }
  }

  problem(message: string) {
    this.problems.push(message);
    // Loud at once too, so it is seen while the bench is still running.
    console.error(`\n!!! ${message}\n`);
  }

  get missed(): Check[] {
    return this.rows.flatMap((r) => r.checks.filter((c) => !c.ok));
  }

  /** The rows of one section (or all) as aligned text lines. */
  lines(section?: string): string[] {
    const rows = this.rows.filter((r) => !section || r.section === section);
    const cells = rows.map((r) => [
      section ? '' : r.section,
      r.variant,
      r.label,
      r.rps === undefined ? '' : `${fmtInt(r.rps)} req/s`,
      r.p50 === undefined ? '' : `p50 ${fmtMs(r.p50)} ms`,
      r.p95 === undefined ? '' : `p95 ${fmtMs(r.p95)} ms`,
      r.p99 === undefined ? '' : `p99 ${fmtMs(r.p99)} ms`,
      r.cpuUsPerReq === undefined || !Number.isFinite(r.cpuUsPerReq) ? '' : `cpu ${fmtInt(r.cpuUsPerReq)} µs/req`,
      r.dbCpuUsPerReq === undefined || !Number.isFinite(r.dbCpuUsPerReq) ? '' : `db ${fmtInt(r.dbCpuUsPerReq)} µs/req`,
      r.driverCpuUsPerReq === undefined || !Number.isFinite(r.driverCpuUsPerReq)
        ? ''
        : `driver ${fmtInt(r.driverCpuUsPerReq)} µs/req${r.driverBoundRuns ? ` DRIVER-BOUND ×${r.driverBoundRuns}` : ''}`,
      r.non2xx === undefined
        ? ''
        : `non-2xx ${fmtInt(r.non2xx)}${(r.errors ?? 0) > 0 ? ` err ${fmtInt(r.errors)}` : ''}${(r.non2xx ?? 0) + (r.errors ?? 0) > 0 ? ' <<< INVALID' : ''}`,
      [...r.checks.map(fmtCheck), r.note ?? ''].filter(Boolean).join('  '),
    ]);
    const widths = cells[0]?.map((_, i) => Math.max(...cells.map((c) => c[i]!.length))) ?? [];
    const right = new Set([3, 7, 8]);
    return cells.map((c) =>
      c
        .map((cell, i) => (widths[i] === 0 ? null : right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .filter((cell) => cell !== null)
        .join('  ')
        .trimEnd(),
    );
  }

  print(title: string) {
    console.log(`\n=== ${title} ===`);
    for (const line of this.lines()) console.log(line);
    const missed = this.missed;
    if (missed.length) console.log(`\n${missed.length} target(s) missed.`);
    else if (this.rows.some((r) => r.checks.length)) console.log('\nAll targets met.');
    if (this.warnings.length) {
      console.log(`\nwarnings:`);
      for (const w of this.warnings) console.log(`  - ${w}`);
    }
    if (this.problems.length) {
      console.log('\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
      console.log('!!! INVALID MEASUREMENTS: fix these before trusting any number above');
      for (const p of this.problems) console.log(`!!! - ${p}`);
      console.log('!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!');
    }
  }
}
