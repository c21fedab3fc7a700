import type { BenchOptions } from './args.js';
import { waitForQuiet } from './cpu.js';
import { describeLoad, driverBoundWarning, type LoadResult, runLoad } from './load.js';
import { type Check, median, type Report, type Row } from './report.js';
import type { Target } from './targets.js';

/** What every section gets from the runner. */
export interface BenchContext {
  options: BenchOptions;
  report: Report;
  /** A directory for this run's data copies and profiles; removed at the end unless --keep. */
  runDir: string;
  log: (message: string) => void;
}

/**
 * One benchmark section (one module in sections/). To add one: write sections/<name>.ts exporting
 * a Section, add it to SECTIONS in sections/index.ts; `--only <name>` then runs it alone, and its
 * rows land in the summary table.
 */
export interface Section {
  name: string;
  description: string;
  /** Runs when no --only is given. */
  byDefault: boolean;
  run(ctx: BenchContext): Promise<void>;
}

/**
 * The parts of a section that an environment variable picks (`BENCH_RUNTIME_PARTS=idle,paced`):
 * all of them when it is unset. A name that is not a part stops the run, rather than silently
 * measuring nothing.
 */
export function pickedParts<Part extends string>(variable: string, parts: readonly Part[]): (part: Part) => boolean {
  const raw = process.env[variable];
  if (!raw) return () => true;
  const picked = raw.split(',').map((p) => p.trim());
  const unknown = picked.filter((p) => !(parts as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`${variable}: no part named ${unknown.join(', ')} (parts: ${parts.join(', ')})`);
  return (part) => picked.includes(part);
}

/** One measured load run against a target, logged as it finishes; non-2xx answers are shouted at once. */
export async function measure(
  ctx: BenchContext,
  title: string,
  target: Target,
  paths: string[],
  {
    duration = ctx.options.duration,
    warmUp = false,
    connections = ctx.options.connections,
    dbPids,
    method,
    bodies,
    keys,
    headers,
  }: {
    duration?: number;
    warmUp?: boolean;
    connections?: number;
    dbPids?: () => Promise<number[]>;
    method?: 'GET' | 'POST' | 'PATCH';
    bodies?: string[];
    keys?: string[];
    /** Instead of the target's own (its bearer token). */
    headers?: Record<string, string>;
  } = {},
): Promise<LoadResult> {
  if (!warmUp && ctx.options.settle > 0) {
    // On a shared 2-core machine a neighbour's job skews everything: give it a moment to finish.
    const quiet = await waitForQuiet(ctx.options.settle * 1000);
    if (quiet.waitedMs > 1500)
      ctx.log(`  (waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other processes to go quiet; now ${quiet.cores.toFixed(2)} cores busy)`);
  }
  const dead = () =>
    target.child.exit &&
    new Error(`${target.name} is not running (exited with code ${target.child.exit.code}, signal ${target.child.exit.signal}); stopping this section`);
  const before = dead();
  if (before) throw before;
  const result = await runLoad({
    base: target.base,
    headers: headers ?? target.headers,
    pid: target.child.proc.pid,
    ...(method ? { method } : {}),
    ...(bodies ? { bodies } : {}),
    ...(keys ? { keys } : {}),
    ...(dbPids ? { dbPids } : {}),
    paths,
    connections,
    threads: ctx.options.driverThreads,
    duration,
    title,
  });
  ctx.log(`  ${title.padEnd(28)} ${describeLoad(result)}`);
  const during = dead();
  if (during) throw during;
  checkRun(ctx, title, result, warmUp);
  return result;
}

/** Shouts what makes a run's numbers wrong (non-2xx, errors) or doubtful (a busy machine, a driver-bound figure). */
export function checkRun(ctx: BenchContext, title: string, result: LoadResult, warmUp = false) {
  if (result.non2xx || result.errors) {
    ctx.report.problem(
      `${title}: ${result.non2xx} non-2xx, ${result.errors} errors; status codes ${JSON.stringify(result.statusCodes)}; e.g. ${result.samples[0] ?? '(no body captured)'}`,
    );
  }
  if (result.foreignCores > 0.25 && !warmUp) {
    ctx.report.warn(`${title}: other processes used ${result.foreignCores.toFixed(2)} of the machine's cores during the measurement; its numbers are noisy`);
  }
  if (result.driverBound && !warmUp) ctx.report.loud(driverBoundWarning(title, result));
}

/** A run that measured the real path: every answer 2xx, no connection errors. */
export const isValid = (r: LoadResult) => r.requests > 0 && r.non2xx === 0 && r.errors === 0;

/** Per-round ratio a/b, medianed over the rounds where both runs are valid (NaN when none is). */
export function medianRatio(a: LoadResult[], b: LoadResult[], value: (r: LoadResult) => number): number {
  return median(a.flatMap((r, i) => (isValid(r) && b[i] && isValid(b[i]!) ? [value(r) / value(b[i]!)] : [])));
}

/**
 * A summary row from the rounds of one variant: medians of req/s, latencies and CPU over the
 * valid runs only (an invalid run's zeros would pass a p99 target), sums of failures over all.
 */
export function summarise(section: string, variant: string, label: string, runs: LoadResult[], checks: Check[] = [], note?: string): Row {
  const valid = runs.filter(isValid);
  return {
    section,
    variant,
    label,
    rps: median(valid.map((r) => r.rps)),
    p50: median(valid.map((r) => r.p50)),
    p99: median(valid.map((r) => r.p99)),
    cpuUsPerReq: median(valid.map((r) => r.cpuUsPerReq)),
    dbCpuUsPerReq: median(valid.map((r) => r.dbCpuUsPerReq)),
    driverCpuUsPerReq: median(valid.map((r) => r.driverCpuUsPerReq)),
    driverBoundRuns: valid.filter((r) => r.driverBound).length,
    requests: runs.reduce((s, r) => s + r.requests, 0),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    checks,
    ...(note ? { note } : {}),
  };
}

/** GET a URL once and return status + parsed JSON; for preflight checks. */
export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, text };
}
