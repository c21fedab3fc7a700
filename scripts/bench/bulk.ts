/**
 * Helpers of the export and import sections (issue 20): a server's RSS sampled from /proc while a
 * bulk transfer runs, an export read as fast as possible or at a fixed byte rate, a file POSTed
 * as a stream, and paced reads (a fixed request rate over a few connections, latency measured from
 * each request's scheduled start, so a stalled server is not hidden by the client waiting for it).
 */
import fs from 'node:fs';
import http from 'node:http';

/** Resident set size of a process in bytes (VmRSS), or 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; answers the peak. */
export function sampleRss(pid: number, everyMs = 100): { stop: () => number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid));
    },
  };
}

export const mb = (bytes: number) => bytes / (1024 * 1024);

export interface StreamResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  /** Newlines seen (NDJSON: rows); not counted for a gzip body. */
  lines: number;
  seconds: number;
}

const NEWLINE = 0x0a;

/**
 * GETs `url` and reads the body to its end, counting bytes and lines; with `bytesPerSecond`, reads
 * at that rate (the socket's buffers fill and the server must wait), for at most `maxSeconds`,
 * then drops the connection.
 */
export function readStream(
  url: string,
  headers: Record<string, string>,
  { bytesPerSecond, maxSeconds = 3600, countLines = true }: { bytesPerSecond?: number; maxSeconds?: number; countLines?: boolean } = {},
): Promise<StreamResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let bytes = 0;
      let lines = 0;
      const done = () => {
        clearTimeout(limit);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, lines, seconds: (performance.now() - started) / 1000 });
      };
      const limit = setTimeout(() => {
        res.destroy();
        done();
      }, maxSeconds * 1000);
      if (bytesPerSecond) {
        // 10 reads a second of a tenth of the rate each; the rest stays in the socket.
        res.pause();
        const slice = Math.max(1, Math.round(bytesPerSecond / 10));
        const tick = setInterval(() => {
          const chunk = res.read(Math.min(slice, res.readableLength || slice)) as Buffer | null;
          if (chunk) bytes += chunk.length;
        }, 100);
        res.on('end', () => {
          clearInterval(tick);
          done();
        });
        res.on('close', () => clearInterval(tick));
        return;
      }
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (!countLines) return;
        for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      });
      res.on('end', done);
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** POSTs a file as a stream; answers the status, the parsed JSON answer and the seconds from first byte sent to the answer's end. */
export function postFile(
  url: string,
  headers: Record<string, string>,
  file: string,
  contentType: string,
): Promise<{ status: number; body: unknown; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...headers, 'content-type': contentType }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: kept as text */
        }
        resolve({ status: res.statusCode ?? 0, body, seconds: (performance.now() - started) / 1000 });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: 1 << 20 })
      .on('error', reject)
      .pipe(req);
  });
}

export interface PacedResult {
  requests: number;
  non2xx: number;
  errors: number;
  /** The first connection error's message, if any. */
  firstError?: string;
  p50Ms: number;
  p99Ms: number;
}

const quantile = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN);

export interface PacedOptions {
  rate: number;
  connections: number;
  maxSeconds: number;
  until?: () => boolean;
  /** Requests due in the first `warmSeconds` are sent but not counted: every connection is open and has answered before the count starts. */
  warmSeconds?: number;
}

/** GETs `paths` in turn, paced (pacedRequests). */
export function pacedReads(base: string, headers: Record<string, string>, paths: string[], options: PacedOptions): Promise<PacedResult> {
  return pacedRequests(base, headers, 'GET', paths, [], options);
}

/**
 * Sends `paths` in turn (with `bodies[k % bodies.length]` when there are bodies) at `rate`
 * requests per second in all over `connections` keep-alive connections, until `until()` says stop
 * (checked before each request) or `maxSeconds` pass. Request k is due at start + k / rate; its
 * latency runs from then to its answer's end, so a stalled server is not hidden by the client
 * waiting for it (an open loop, unlike wrk's closed one).
 */
export async function pacedRequests(
  base: string,
  headers: Record<string, string>,
  method: 'GET' | 'POST' | 'PATCH',
  paths: string[],
  bodies: string[],
  { rate, connections, maxSeconds, until = () => false, warmSeconds = 0 }: PacedOptions,
): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  const send = (path: string, body: string | undefined) =>
    new Promise<number>((resolve) => {
      const req = http.request(
        `${base}${path}`,
        { method, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) }, agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', (err) => {
            firstError ??= err.message;
            resolve(0);
          });
        },
      );
      req.on('error', (err) => {
        firstError ??= err.message;
        resolve(0);
      });
      req.end(body);
    });
  const worker = async () => {
    for (;;) {
      const k = next++;
      const due = t0 + (k * 1000) / rate;
      if (until() || due - t0 > (warmSeconds + maxSeconds) * 1000) return;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const status = await send(paths[k % paths.length]!, bodies.length ? bodies[k % bodies.length] : undefined);
      if (status === 0) errors++;
      else if (status < 200 || status >= 300) non2xx++;
      if (due - t0 >= warmSeconds * 1000) latencies.push(performance.now() - due);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    non2xx,
    errors,
    ...(firstError ? { firstError } : {}),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
  };
}
