/**
 * `npm run bench -- --only events`: what the change-event log costs and how fast it delivers.
 *
 * (a) PATCH /customers/{email} throughput with the event log vs the same build without it
 *     (scripts/bench/events-server.ts, BENCH_RECORD_EVENTS=false: the one switch; both variants
 *     run that entry), rounds alternating; target ratio ≥ 0.85.
 * (b) 1,000 SSE subscribers (customers.onChange, raw HTTP like curl) on one instance while a
 *     writer PATCHes at a steady rate: commit → subscriber latency, measured per delivery as
 *     (arrival at the subscriber) − (the moment the writer had the PATCH's answer), both taken
 *     in this process (apart from the server) on one clock (performance.now()), matched by the
 *     event's customer email and version; target p99 ≤ 50 ms. (Issue 22: not against the
 *     event's occurredAt, a server clock reading taken before the commit.) A delivery that
 *     arrives before the writer read the answer counts as 0. Each phase's first second of
 *     events is sent and delivered but not counted (the first pushes to fresh subscriptions). And the server's RSS growth from
 *     before the subscribers connect to after the load; target ≤ 100 MB.
 * The PATCH load goes through wrk (load.ts), as every other section's: an in-process driver
 * competes with the servers for the same 2 cores. The SSE subscribers are its own raw HTTP clients.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { cpuSnapshot, cpuUsed } from '../cpu.js';
import { REPO_ROOT } from '../dataset.js';
import { runLoad } from '../load.js';
import { freePort, spawnNode, stopChild, waitForHttp } from '../processes.js';
import { check, fmtNum, median, type Row } from '../report.js';
import { type BenchContext, pickedParts, type Section } from '../section.js';
import { BENCH_ADMIN_EMAIL, BENCH_JWT_SECRET, CHILD_FLAGS, createCustomers, login, type Target } from '../targets.js';

/** Customers the PATCHes rotate over (created through the API at the start: self-contained, no cached dataset). */
const ROWS = 2_000;
const PATCH_CONNECTIONS = 10;
/**
 * Distinct PATCH requests formatted per measurement: more than any run sends (≈ 1,000/s × 8 s), so
 * no request repeats within a run, and each sets a company no earlier request set (a PATCH that
 * changes nothing writes nothing and records no event).
 */
const PATCH_REQUESTS_PER_RUN = 50_000;
const SUBSCRIBERS = 1_000;
/**
 * Write rates while 1,000 subscribers listen (events per second, for how long): a steady trickle,
 * and a busy 20/s (20,000 pushes a second from one process on a 2-core machine it shares with the
 * subscribers' own process and the writer).
 */
const FANOUT_PHASES = [
  { rate: 5, seconds: 20 },
  { rate: 20, seconds: 15 },
];
const TARGETS = { ratio: 0.85, p99Ms: 50, rssMb: 100 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(ctx: BenchContext, name: string, recordEvents: boolean, dataDir: string, cpuProfDir?: string): Promise<Target> {
  const port = await freePort();
  const password = `Bench-${name}-${process.pid}-9!x`;
  const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const child = spawnNode(name, [...CHILD_FLAGS, ...profile, path.join(REPO_ROOT, 'scripts/bench/events-server.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      LOG_LEVEL: 'warn',
      SEED_SAMPLE_DATA: 'false',
      JWT_SECRET: BENCH_JWT_SECRET,
      ADMIN_EMAIL: BENCH_ADMIN_EMAIL,
      ADMIN_PASSWORD: password,
      BCRYPT_COST: '10',
      ACCESS_TOKEN_TTL_SECONDS: '86400',
      BENCH_RECORD_EVENTS: String(recordEvents),
    },
    echo: false,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/health`, child);
    const token = await login(base, BENCH_ADMIN_EMAIL, password);
    if (!token) throw new Error(`${name}: no login`);
    ctx.log(`  ${name}: ${base} (events ${recordEvents ? 'on' : 'off'})`);
    return { name, base, headers: { authorization: `Bearer ${token}` }, authenticated: true, child, stop: () => stopChild(child) };
  } catch (err) {
    await stopChild(child);
    throw err;
  }
}

interface PatchRun {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  cpuUsPerReq: number;
}

let patchRuns = 0;

async function patchLoad(ctx: BenchContext, target: Target, emails: string[], seconds: number, title: string): Promise<PatchRun> {
  const run = ++patchRuns;
  const paths: string[] = [];
  const bodies: string[] = [];
  for (let k = 0; k < PATCH_REQUESTS_PER_RUN; k++) {
    paths.push(`/customers/${encodeURIComponent(emails[k % emails.length]!)}`);
    bodies.push(JSON.stringify({ company: `Company ${run}-${k}` }));
  }
  const r = await runLoad({
    base: target.base,
    headers: { ...target.headers, 'content-type': 'application/json' },
    method: 'PATCH',
    paths,
    bodies,
    connections: PATCH_CONNECTIONS,
    threads: ctx.options.driverThreads,
    duration: seconds,
    title,
    ...(target.child.proc.pid === undefined ? {} : { pid: target.child.proc.pid }),
  });
  return { rps: r.rps, p50: r.p50, p99: r.p99, requests: r.requests, non2xx: r.non2xx, errors: r.errors, cpuUsPerReq: r.cpuUsPerReq };
}

const describe = (r: PatchRun) =>
  `${Math.round(r.rps).toLocaleString('en-US')} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  server ${Math.round(r.cpuUsPerReq)} µs CPU/req` +
  (r.non2xx || r.errors ? `  NON-2XX ${r.non2xx} ERRORS ${r.errors}` : '');

const valid = (r: PatchRun) => r.requests > 0 && r.non2xx === 0 && r.errors === 0;

/** A fresh data dir for one server. */
function dataDirFor(ctx: BenchContext, name: string): string {
  const dir = path.join(ctx.runDir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function patchThroughput(ctx: BenchContext, emails: string[]) {
  const on = await startServer(ctx, 'events-on', true, dataDirFor(ctx, 'events-on'));
  const off = await startServer(ctx, 'events-off', false, dataDirFor(ctx, 'events-off'));
  try {
    await Promise.all([createCustomers(on, emails, 'Bench'), createCustomers(off, emails, 'Bench')]);
    const { options } = ctx;
    if (options.warmup > 0) {
      for (const t of [on, off]) await patchLoad(ctx, t, emails, options.warmup, `warm-up ${t.name}`);
    }
    const runs: { on: PatchRun[]; off: PatchRun[] } = { on: [], off: [] };
    for (let round = 1; round <= options.rounds; round++) {
      // Alternate which goes first, so neither always gets the quieter moment.
      const order = round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const);
      for (const which of order) {
        const r = await patchLoad(ctx, which === 'on' ? on : off, emails, options.duration, `patch ${which} r${round}`);
        ctx.log(`  PATCH events ${which.padEnd(3)} r${round}  ${describe(r)}`);
        if (!valid(r)) ctx.report.problem(`events: PATCH (events ${which}) round ${round}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        runs[which].push(r);
      }
    }
    const ratios = runs.on.flatMap((r, i) => (valid(r) && valid(runs.off[i]!) ? [r.rps / runs.off[i]!.rps] : []));
    const cpuRatios = runs.on.flatMap((r, i) => (valid(r) && valid(runs.off[i]!) ? [runs.off[i]!.cpuUsPerReq / r.cpuUsPerReq] : []));
    const ratio = median(ratios);
    ctx.log(
      `  PATCH throughput with / without the event log: ${fmtNum(ratio)} (rounds: ${ratios.map((x) => fmtNum(x)).join(', ')}); by server CPU per request: ${fmtNum(median(cpuRatios))}`,
    );
    for (const which of ['off', 'on'] as const) {
      const ok = runs[which].filter(valid);
      const row: Row = {
        section: 'events',
        variant: which === 'on' ? 'with log' : 'without log',
        label: 'PATCH /customers/{email}',
        rps: median(ok.map((r) => r.rps)),
        p50: median(ok.map((r) => r.p50)),
        p99: median(ok.map((r) => r.p99)),
        cpuUsPerReq: median(ok.map((r) => r.cpuUsPerReq)),
        requests: runs[which].reduce((s, r) => s + r.requests, 0),
        non2xx: runs[which].reduce((s, r) => s + r.non2xx, 0),
        errors: runs[which].reduce((s, r) => s + r.errors, 0),
        checks: which === 'on' ? [check('ratio', ratio, '>=', TARGETS.ratio)] : [],
        ...(which === 'on' ? { note: `cpu-ratio ${fmtNum(median(cpuRatios))}` } : {}),
      };
      ctx.report.add(row);
    }
  } finally {
    await Promise.all([on.stop(), off.stop()]);
  }
}

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

/** Deliveries seen by the subscribers, per event (`email|version`): when each arrived (performance.now()). */
type Arrivals = Map<string, number[]>;

/** A raw SSE subscriber (node:http, its own socket): records when each event arrived. */
function openSubscriber(base: string, headers: Record<string, string>, arrivals: Arrivals, counts: number[], index: number) {
  let connected!: () => void;
  let failed!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    connected = resolve;
    failed = reject;
  });
  const req = http.get(`${base}/trpc/customers.onChange`, { headers: { ...headers, accept: 'text/event-stream' }, agent: false }, (res) => {
    if (res.statusCode !== 200) return failed(new Error(`subscriber ${index}: HTTP ${res.statusCode}`));
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      const now = performance.now();
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        // tRPC ends each message with an extra newline: skip the blank lines between messages.
        const block = buffer.slice(0, end).replace(/^\n+/, '');
        buffer = buffer.slice(end + 2);
        if (block.startsWith('event: connected')) connected();
        else if (block.startsWith('event: serialized-error')) failed(new Error(`subscriber ${index}: ${block}`));
        else if (block.startsWith('data: ')) {
          const email = /"email":"([^"]+)"/.exec(block);
          const version = /"version":(\d+)/.exec(block);
          if (email && version) {
            const key = `${email[1]}|${version[1]}`;
            let seen = arrivals.get(key);
            if (!seen) arrivals.set(key, (seen = []));
            seen.push(now);
            counts[index]!++;
          }
        }
      }
    });
  });
  req.on('error', (err) => failed(err));
  return { ready, close: () => req.destroy() };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

async function fanOut(ctx: BenchContext, emails: string[]) {
  // BENCH_EVENTS_CPU_PROF=DIR: the fan-out server writes a V8 CPU profile there when it stops
  // (read it with scripts/bench/cpuprofile.ts); its figures are then not comparable.
  const profileDir = process.env.BENCH_EVENTS_CPU_PROF || undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const server = await startServer(ctx, 'events-fanout', true, dataDirFor(ctx, 'events-fanout'), profileDir);
  const subscribers: { close: () => void }[] = [];
  try {
    await createCustomers(server, emails, 'Bench');
    const pid = server.child.proc.pid!;
    // Warm the write path, then let the heap settle before the baseline.
    await patchLoad(ctx, server, emails, Math.max(2, ctx.options.warmup), 'warm-up fanout');
    await sleep(2000);
    const rssBefore = rssMb(pid);
    const arrivals: Arrivals = new Map();
    const counts = Array<number>(SUBSCRIBERS).fill(0);
    const started = Date.now();
    for (let i = 0; i < SUBSCRIBERS; i += 50) {
      const batch = Array.from({ length: Math.min(50, SUBSCRIBERS - i) }, (_, j) => openSubscriber(server.base, server.headers, arrivals, counts, i + j));
      subscribers.push(...batch);
      await Promise.all(batch.map((s) => s.ready));
    }
    ctx.log(`  ${SUBSCRIBERS} subscribers connected in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await sleep(2000);
    const rssConnected = rssMb(pid);

    let rssAfter = rssConnected;
    let written = 0;
    for (const { rate, seconds } of FANOUT_PHASES) {
      // The writer: `rate` PATCHes a second, one at a time, each its own committed event.
      // The first second's events are not counted: the first pushes after 1,000 fresh
      // subscriptions were each phase's slowest (a loaded-box run: events #0, #1, #3 of 100).
      const warm = rate;
      const total = rate * seconds + warm;
      arrivals.clear();
      /** When the writer had each counted PATCH's answer, by the event it recorded (`email|version`). */
      const answered = new Map<string, number>();
      const warmUp = new Set<string>();
      let failures = 0;
      const t0 = Date.now();
      const before = cpuSnapshot([pid]);
      // The subscribers' side too: all 1,000 are this process, so its CPU per delivery says whether
      // the measurement itself is what bounds the last arrivals of a burst.
      const ownBefore = process.cpuUsage();
      for (let k = 0; k < total; k++) {
        const due = t0 + (k * 1000) / rate;
        if (due > Date.now()) await sleep(due - Date.now());
        const res = await fetch(`${server.base}/customers/${encodeURIComponent(emails[(written + k) % emails.length]!)}`, {
          method: 'PATCH',
          headers: { ...server.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ company: `Fan-out ${written + k}` }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = await res.text();
        const at = performance.now();
        if (res.status !== 200) failures++;
        else {
          const customer = JSON.parse(body) as { email: string; version: number };
          const key = `${customer.email}|${customer.version}`;
          if (k < warm) warmUp.add(key);
          else answered.set(key, at);
        }
      }
      written += total;
      const deadline = Date.now() + 30_000;
      while (counts.some((c) => c < written) && Date.now() < deadline) await sleep(100);
      const cpu = { targetUs: cpuUsed(before, cpuSnapshot([pid])) };
      const own = process.cpuUsage(ownBefore);
      rssAfter = Math.max(rssAfter, rssMb(pid));
      const missing = counts.reduce((s, c) => s + Math.max(0, written - c), 0);
      const extra = counts.reduce((s, c) => s + Math.max(0, c - written), 0);
      if (failures) ctx.report.problem(`events fan-out at ${rate}/s: ${failures} PATCHes failed`);
      if (missing || extra)
        ctx.report.problem(`events fan-out at ${rate}/s: ${missing} deliveries missing, ${extra} extra (of ${written} events × ${SUBSCRIBERS} subscribers)`);
      const lags: number[] = [];
      /** Per event, in write order: its slowest delivery, to tell one stalled event from a broad tail. */
      const slowest: { k: number; ms: number }[] = [];
      const order = new Map([...answered.keys()].map((key, k) => [key, k]));
      let unmatched = 0;
      for (const [key, times] of arrivals) {
        if (warmUp.has(key)) continue;
        const at = answered.get(key);
        if (at === undefined) unmatched += times.length;
        else {
          let worst = 0;
          for (const t of times) {
            const lag = Math.max(0, Math.round(t - at));
            lags.push(lag);
            worst = Math.max(worst, lag);
          }
          slowest.push({ k: order.get(key)!, ms: worst });
        }
      }
      slowest.sort((a, b) => b.ms - a.ms);
      ctx.log(
        `  ${rate} events/s: slowest events (write order k of ${total - warm} counted: last delivery ms): ${slowest
          .slice(0, 5)
          .map((e) => `#${e.k}: ${e.ms}`)
          .join(', ')}`,
      );
      if (unmatched) ctx.report.problem(`events fan-out at ${rate}/s: ${unmatched} deliveries of events no PATCH of this phase answered`);
      const sorted = lags.sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      const cpuUs = cpu.targetUs / Math.max(1, total * SUBSCRIBERS); // every delivery, the warm-up second's too
      ctx.log(
        `  ${rate} events/s × ${SUBSCRIBERS} subscribers, ${lags.length.toLocaleString('en-US')} deliveries: commit→subscriber p50 ${p50} ms, p99 ${p99} ms, max ${sorted[sorted.length - 1]} ms; ` +
          `server ${(cpu.targetUs / 1e6 / (seconds + 1)).toFixed(2)} cores, ${cpuUs.toFixed(0)} µs CPU per delivery (PATCH included); ` +
          `the subscribers' process ${((own.user + own.system) / Math.max(1, total * SUBSCRIBERS)).toFixed(0)} µs per delivery (the writer included)`,
      );
      ctx.report.add({
        section: 'events',
        variant: `${SUBSCRIBERS} SSE subscribers`,
        label: `${rate} PATCH/s for ${seconds} s, commit→subscriber`,
        p50,
        p99,
        cpuUsPerReq: cpuUs,
        requests: lags.length,
        non2xx: failures,
        errors: missing + extra,
        checks: [check('p99 ms', p99, '<=', TARGETS.p99Ms)],
      });
      await sleep(1000);
    }
    const growth = Math.max(rssConnected, rssAfter) - rssBefore;
    ctx.log(
      `  server RSS: ${rssBefore.toFixed(0)} MB before, ${rssConnected.toFixed(0)} MB with ${SUBSCRIBERS} connected, ${rssAfter.toFixed(0)} MB at most after the load: +${growth.toFixed(0)} MB`,
    );
    ctx.report.add({
      section: 'events',
      variant: `${SUBSCRIBERS} SSE subscribers`,
      label: 'server RSS growth',
      checks: [check('RSS growth MB', growth, '<=', TARGETS.rssMb)],
      note: `${rssBefore.toFixed(0)} MB before, +${growth.toFixed(0)} MB`,
    });
  } finally {
    for (const s of subscribers) s.close();
    await server.stop();
  }
}

export const eventsSection: Section = {
  name: 'events',
  description: 'change events: PATCH throughput with vs without the event log; commit→subscriber latency and RSS with 1,000 SSE subscribers',
  byDefault: false,
  async run(ctx) {
    const emails = Array.from({ length: ROWS }, (_, i) => `bench.events.${i}@example.com`);
    const runs = pickedParts('BENCH_EVENTS_PARTS', ['throughput', 'fanout'] as const);
    if (runs('throughput')) await patchThroughput(ctx, emails);
    if (runs('fanout')) await fanOut(ctx, emails);
  },
};
