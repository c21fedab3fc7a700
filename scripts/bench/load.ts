import autocannon from 'autocannon';
import { cpuDelta, cpuSnapshot } from './cpu.js';

export interface LoadSpec {
  /** Target base URL, http://127.0.0.1:PORT (loopback only). */
  base: string;
  /** Each call returns the path of the next request, so the load rotates over many records. */
  nextPath: () => string;
  headers?: Record<string, string>;
  connections: number;
  /** Seconds. */
  duration: number;
  title?: string;
  /** The server's pid, to account its CPU per request. */
  pid?: number;
  /** GET when absent. */
  method?: 'GET' | 'POST';
  /** Each call returns the body of the next request (POST); sent with the spec's headers. */
  nextBody?: () => string;
  /** Seconds before a request counts as a timeout error (default 10). */
  timeout?: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  /** The first few non-2xx answers, as "status body". */
  samples: string[];
  /** Server CPU (user + system) per completed request, µs; NaN when unknown. */
  cpuUsPerReq: number;
  /** Cores' worth of CPU other processes used meanwhile (noise from neighbours). */
  foreignCores: number;
  /** When the load ran, in µs of the monotonic clock (process.hrtime; V8 CPU profiles use the same). */
  fromUs: number;
  toUs: number;
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** One autocannon run: `connections` keep-alive connections for `duration` s, every request a new path. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const url = new URL(spec.base);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`bench targets loopback only, not ${url.hostname}`);
  const samples: string[] = [];
  const before = cpuSnapshot(spec.pid);
  const fromUs = monotonicUs();
  const result = await autocannon({
    url: spec.base,
    connections: spec.connections,
    duration: spec.duration,
    timeout: spec.timeout ?? 10,
    headers: spec.headers ?? {},
    title: spec.title,
    requests: [
      {
        method: spec.method ?? 'GET',
        setupRequest: (request) => ({ ...request, path: spec.nextPath(), ...(spec.nextBody ? { body: spec.nextBody() } : {}) }),
        onResponse: (status, body) => {
          if ((status < 200 || status >= 300) && samples.length < 3) samples.push(`${status} ${String(body).slice(0, 300)}`);
        },
      },
    ],
  });
  const toUs = monotonicUs();
  const cpu = cpuDelta(before, cpuSnapshot(spec.pid));
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count: number }).count;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
    samples,
    cpuUsPerReq: result.requests.total > 0 ? cpu.targetUs / result.requests.total : NaN,
    foreignCores: cpu.foreignCores,
    fromUs,
    toUs,
  };
}

export const describeLoad = (r: LoadResult) =>
  `${Math.round(r.rps).toLocaleString('en-US')} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ${r.requests.toLocaleString('en-US')} requests` +
  (Number.isFinite(r.cpuUsPerReq) ? `  server ${Math.round(r.cpuUsPerReq)} µs CPU/req` : '') +
  (r.foreignCores > 0.15 ? `  (other processes used ${r.foreignCores.toFixed(2)} cores meanwhile)` : '') +
  (r.non2xx || r.errors ? `  NON-2XX ${r.non2xx} ERRORS ${r.errors} ${JSON.stringify(r.statusCodes)}` : '');
