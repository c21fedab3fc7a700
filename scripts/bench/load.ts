import { cpuSnapshot, cpuUsed, foreignCores } from './cpu.js';
import { runWrk } from './wrk.js';

export interface LoadSpec {
  /** Target base URL, http://127.0.0.1:PORT (loopback only). */
  base: string;
  /** Every connection rotates through these paths, so the load spreads over many records. */
  paths: string[];
  headers?: Record<string, string>;
  connections: number;
  /** wrk threads (each an epoll loop on its own core at most). */
  threads: number;
  /** Seconds. */
  duration: number;
  title?: string;
  /** The server's pid, to account its CPU per request. */
  pid?: number;
  /**
   * Processes that serve the same requests beside the server (its PostgreSQL backends), listed
   * before and after the run; their CPU is reported as dbCpuUsPerReq.
   */
  dbPids?: () => Promise<number[]>;
  /** GET when absent. */
  method?: 'GET' | 'POST' | 'PATCH';
  /** POST bodies, rotated; sent with the spec's headers. */
  bodies?: string[];
  /** Idempotency-Key header values, rotated with the bodies (see wrk.ts). */
  keys?: string[];
  /** Seconds before a request counts as a timeout error (default 10). */
  timeout?: number;
  /** Count every status code (200 vs 429, say); costs the driver ~10% more CPU. */
  recordStatuses?: boolean;
}

export interface LoadResult {
  rps: number;
  /** How long the load ran, as wrk timed it. */
  seconds: number;
  /** Milliseconds, latency of answered requests. */
  p50: number;
  p95: number;
  p99: number;
  requests: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Per status code with recordStatuses; otherwise "<400" and ">=400" counts. */
  statusCodes: Record<string, number>;
  /** The first few non-2xx answers, as "status body". */
  samples: string[];
  /** Server CPU (user + system, all threads) per answered request, µs; NaN when unknown. */
  cpuUsPerReq: number;
  /** Cores' worth of CPU the server used during the run (1.0 = one core flat out). */
  serverCores: number;
  /** CPU of dbPids per answered request, µs; NaN without dbPids. */
  dbCpuUsPerReq: number;
  /** The load generator's own CPU per answered request, µs. */
  driverCpuUsPerReq: number;
  /** The driver used more CPU than the server (+ its database) it measured: req/s may be the driver's limit. */
  driverBound: boolean;
  /** Cores' worth of CPU other processes used meanwhile (noise from neighbours). */
  foreignCores: number;
  /** When the load ran, in µs of the monotonic clock (process.hrtime; V8 CPU profiles use the same). */
  fromUs: number;
  toUs: number;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * After a run with failures and no status record: ask the first paths again, one by one, to show
 * what a failing answer looks like (a 401's body says more than its count).
 */
async function sampleFailures(spec: LoadSpec): Promise<string[]> {
  const samples: string[] = [];
  for (let i = 0; i < Math.min(20, spec.paths.length) && samples.length < 3; i++) {
    try {
      const res = await fetch(spec.base + spec.paths[i], {
        method: spec.method ?? 'GET',
        headers: spec.headers,
        body: spec.bodies?.[i % spec.bodies.length],
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      if (!res.ok) samples.push(`${res.status} ${text.slice(0, 300)} (asked again after the run)`);
    } catch (err) {
      samples.push(`${err instanceof Error ? err.message : String(err)} (asked again after the run)`);
    }
  }
  return samples;
}

/** One wrk run: `connections` keep-alive connections for `duration` s, rotating over the paths. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.base);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`bench targets loopback only, not ${url.hostname}`);
  const serverPids = spec.pid ? [spec.pid] : [];
  const dbBefore = cpuSnapshot(spec.dbPids ? await spec.dbPids() : []);
  const before = cpuSnapshot(serverPids);
  const fromUs = monotonicUs();
  const timeout = spec.timeout ?? 10;
  const w = await runWrk({
    base: spec.base,
    paths: spec.paths,
    ...(spec.bodies ? { bodies: spec.bodies } : {}),
    ...(spec.keys ? { keys: spec.keys } : {}),
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    connections: spec.connections,
    threads: spec.threads,
    duration: spec.duration,
    timeout,
    recordStatuses: spec.recordStatuses ?? false,
  });
  const toUs = monotonicUs();
  const after = cpuSnapshot(serverPids);
  const dbAfter = cpuSnapshot(spec.dbPids ? await spec.dbPids() : []);
  const serverUs = spec.pid ? (after.pids.get(spec.pid) ?? NaN) - (before.pids.get(spec.pid) ?? NaN) : NaN;
  const dbUs = spec.dbPids ? cpuUsed(dbBefore, dbAfter) : NaN;
  const perReq = (us: number) => (w.requests > 0 ? us / w.requests : NaN);

  let statusCodes: Record<string, number>;
  let ok2xx: number;
  if (spec.recordStatuses) {
    statusCodes = w.statusCodes;
    ok2xx = Object.entries(statusCodes).reduce((s, [code, n]) => s + (Number(code) >= 200 && Number(code) < 300 ? n : 0), 0);
  } else {
    // wrk itself counts answers >= 400; none of the bench's servers redirects (3xx would pass here).
    statusCodes = { '<400': w.requests - w.statusErrors, '>=400': w.statusErrors };
    ok2xx = w.requests - w.statusErrors;
  }
  const non2xx = w.requests - ok2xx;
  const errors = w.connectErrors + w.readErrors + w.writeErrors + w.timeouts;
  const samples = w.samples.length || (non2xx === 0 && errors === 0) ? w.samples : await sampleFailures(spec);
  const cpuUsPerReq = perReq(serverUs);
  const dbCpuUsPerReq = perReq(dbUs);
  const driverCpuUsPerReq = perReq(w.cpuUs);
  const measuredUs = (Number.isFinite(serverUs) ? serverUs : 0) + (Number.isFinite(dbUs) ? dbUs : 0);
  return {
    rps: w.durationUs > 0 ? w.requests / (w.durationUs / 1e6) : 0,
    seconds: w.durationUs / 1e6,
    p50: w.p50Us / 1000,
    p95: w.p95Us / 1000,
    p99: w.p99Us / 1000,
    requests: w.requests,
    ok2xx,
    non2xx,
    errors,
    statusCodes,
    samples,
    cpuUsPerReq,
    serverCores: serverUs / ((after.at - before.at) * 1000),
    dbCpuUsPerReq,
    driverCpuUsPerReq,
    driverBound: Number.isFinite(serverUs) && w.cpuUs > measuredUs,
    foreignCores: foreignCores(before, after, measuredUs + w.cpuUs),
    fromUs,
    toUs,
  };
}

export const describeLoad = (r: LoadResult) =>
  `${Math.round(r.rps).toLocaleString('en-US')} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  ${r.requests.toLocaleString('en-US')} requests` +
  (Number.isFinite(r.cpuUsPerReq) ? `  server ${Math.round(r.cpuUsPerReq)} µs CPU/req (${r.serverCores.toFixed(2)} cores)` : '') +
  (Number.isFinite(r.dbCpuUsPerReq) ? `  db ${Math.round(r.dbCpuUsPerReq)} µs/req` : '') +
  `  driver ${Math.round(r.driverCpuUsPerReq)} µs/req` +
  (r.foreignCores > 0.15 ? `  (other processes used ${r.foreignCores.toFixed(2)} cores meanwhile)` : '') +
  (r.non2xx || r.errors ? `  NON-2XX ${r.non2xx} ERRORS ${r.errors} ${JSON.stringify(r.statusCodes)}` : '');

/** The line printed when a figure may be the driver's limit rather than the server's. */
export const driverBoundWarning = (title: string, r: LoadResult) =>
  `WARNING: ${title}: the load generator used more CPU (${Math.round(r.driverCpuUsPerReq)} µs/req) than the server it measured ` +
  `(${Math.round(r.cpuUsPerReq + (Number.isFinite(r.dbCpuUsPerReq) ? r.dbCpuUsPerReq : 0))} µs/req): its req/s is driver-bound; compare CPU per request instead`;
