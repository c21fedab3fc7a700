import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { defaultHashConcurrency } from '../../../server/config.js';
import { cpuSnapshot, foreignCores, waitForQuiet } from '../cpu.js';
import { emailFor, ensureDataset, REPO_ROOT, sampleRows, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import { describeLoad, type LoadResult, runLoad } from '../load.js';
import { spawnNode } from '../processes.js';
import { check, fmtInt, fmtNum, median, type Row } from '../report.js';
import { type BenchContext, checkRun, isValid, measure, type Section } from '../section.js';
import { CHILD_FLAGS, startCarly, type Target } from '../targets.js';
import { restPath } from './read.js';

/** The server's defaults (config.ts), set explicitly so an inherited environment cannot change them. */
const BCRYPT_COST = 12;
// The server's own default (whatever it is now), set explicitly.
const HASH_CONCURRENCY = defaultHashConcurrency();
/**
 * The floor's concurrency: as many compares in flight as the machine has cores, i.e. its whole
 * bcrypt capacity, whatever share of it the server chooses to use.
 */
const COMPARE_CONCURRENCY = os.availableParallelism();
const HASH_QUEUE_LIMIT = 64;
/**
 * (a) Enough connections to keep both hash slots busy while a finished login does its database
 * work and round trip, few enough that the queue (and the work left over when the load stops) is short.
 */
const LOGIN_CONNECTIONS = 8;
/**
 * (b) The floods: 50 connections (below HASH_QUEUE_LIMIT, 64: every login queues) and 200 (most
 * of the flood is refused with 429); BENCH_FLOOD_CONNECTIONS=50 (comma-separated) to change.
 */
const FLOOD_CONNECTIONS: number[] = process.env.BENCH_FLOOD_CONNECTIONS
  ? process.env.BENCH_FLOOD_CONNECTIONS.split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0)
  : [...GOALS.login.floodConnections];
const READ_CONNECTIONS = 10;
/**
 * Accounts the logins rotate over, so they look like many users signing in. The server runs the
 * password checks of one account one at a time, so the hash queue (HASH_QUEUE_LIMIT, 64) only
 * fills, and a flood only meets its 429s, when more accounts than that are in flight at once:
 * 100 accounts over 200 connections are; over 50, every login queues.
 */
const ACCOUNTS = 100;
/** Signups hash too: a few at a time keep the server's hash slots busy without meeting its 429. */
const SIGNUP_CONCURRENCY = 4;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** As measure() does before each run: wait (up to --settle s) for other processes to go quiet. */
async function settle(ctx: BenchContext) {
  if (ctx.options.settle <= 0) return;
  const quiet = await waitForQuiet(ctx.options.settle * 1000);
  if (quiet.waitedMs > 1500)
    ctx.log(`  (waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other processes to go quiet; now ${quiet.cores.toFixed(2)} cores busy)`);
}

interface CompareRun {
  rps: number;
  calls: number;
  seconds: number;
  foreignCores: number;
}

/** Raw bcrypt.compare throughput, COMPARE_CONCURRENCY at a time, in its own process. */
async function rawCompare(ctx: BenchContext, seconds: number, title: string): Promise<CompareRun> {
  const before = cpuSnapshot();
  const child = spawnNode(
    'bcrypt-compare',
    [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench/bcrypt-compare.ts'), String(BCRYPT_COST), String(COMPARE_CONCURRENCY), String(seconds)],
    {
      cwd: REPO_ROOT,
      env: { ...process.env },
    },
  );
  child.stopping = true; // its exit is expected
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), (seconds + 60) * 1000);
  const { code } = await child.exited;
  clearTimeout(timer);
  const after = cpuSnapshot();
  const line = child.tail.find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`bcrypt-compare exited with ${code}:\n${child.tail.join('\n')}`);
  const out = JSON.parse(line) as { calls: number; seconds: number; cpuTotalUs: number };
  const foreign = foreignCores(before, after, out.cpuTotalUs);
  const run = { rps: out.calls / out.seconds, calls: out.calls, seconds: out.seconds, foreignCores: foreign };
  ctx.log(
    `  ${title.padEnd(28)} ${fmtNum(run.rps, 2)} compares/s  (${out.calls} in ${out.seconds.toFixed(1)} s, ${COMPARE_CONCURRENCY} at a time, cost ${BCRYPT_COST})${foreign > 0.15 ? `  (other processes used ${foreign.toFixed(2)} cores meanwhile)` : ''}`,
  );
  if (foreign > 0.25)
    ctx.report.warn(`${title}: other processes used ${foreign.toFixed(2)} of the machine's cores during the measurement; its numbers are noisy`);
  return run;
}

/** Successful logins per second of the load's duration. */
const okRate = (r: LoadResult) => (r.seconds > 0 ? r.ok2xx / r.seconds : NaN);

function loginLoad(ctx: BenchContext, target: Target, bodies: string[], connections: number, duration: number, title: string, timeout: number) {
  return runLoad({
    base: target.base,
    headers: { 'content-type': 'application/json' },
    method: 'POST',
    paths: ['/auth/login'],
    bodies,
    // 200 vs 429 matters here, and at a few logins per second the callback's cost is nothing.
    recordStatuses: true,
    connections,
    threads: ctx.options.driverThreads,
    duration,
    timeout,
    title,
    pid: target.child.proc.pid,
  });
}

/**
 * One more login, answered only once the hash queue (FIFO) has drained: the logins wrk
 * abandoned when it stopped are still being hashed, and would otherwise load the next measurement.
 * Right after a flood larger than the hash queue this login may get 429, and one that waits
 * longer than the server's request timeout (30 s) has its connection closed: retry (bounded)
 * until one answers 200.
 */
async function drain(target: Target, body: string) {
  const deadline = Date.now() + 180_000;
  let last = '';
  while (Date.now() < deadline) {
    let status: number;
    try {
      const res = await fetch(`${target.base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(120_000),
      });
      status = res.status;
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      if (target.child.exit) throw new Error(`${target.name} exited while draining its login queue`);
      last = `${err instanceof Error ? err.message : String(err)}${err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : ''}`;
      await sleep(1000);
      continue;
    }
    if (status === 200) return;
    if (status !== 429) break;
    await sleep(1000);
  }
  throw new Error(`drain login answered ${last}`);
}

export const loginSection: Section = {
  name: 'login',
  description: `POST /auth/login (bcrypt cost ${BCRYPT_COST}) vs raw bcrypt.compare with ${COMPARE_CONCURRENCY} (= cores) in flight; GET p99 during ${FLOOD_CONNECTIONS.join('- and ')}-connection login floods vs idle`,
  byDefault: true,
  async run(ctx) {
    const { options } = ctx;
    const dataset = await ensureDataset(options.rows, { rebuild: options.rebuild });
    const emails = sampleRows(options.rows, 20_000).map(emailFor);
    const carly = await startCarly({
      dataDir: workingCopy(dataset, ctx.runDir, 'login-carly'),
      name: 'carly-login',
      env: { BCRYPT_COST: String(BCRYPT_COST), HASH_CONCURRENCY: String(HASH_CONCURRENCY), HASH_QUEUE_LIMIT: String(HASH_QUEUE_LIMIT) },
    });
    try {
      if (!carly.authenticated) throw new Error('POST /auth/login answered 404: no login to measure');
      // Accounts made the way users make them; only their correct passwords are ever sent.
      const run = randomBytes(4).toString('hex');
      const bodies: string[] = Array.from({ length: ACCOUNTS }, (_, i) =>
        JSON.stringify({ email: `bench-login-${run}-${i}@example.com`, password: `Bench-${randomBytes(10).toString('hex')}-login!` }),
      );
      let next = 0;
      const signUp = async () => {
        for (let i = next++; i < ACCOUNTS; i = next++) {
          const { email, password } = JSON.parse(bodies[i]!) as { email: string; password: string };
          const res = await fetch(`${carly.base}/auth/signup`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email, firstName: 'Bench', lastName: `Login ${i}`, password }),
            signal: AbortSignal.timeout(60_000),
          });
          const text = await res.text();
          if (res.status !== 200 && res.status !== 201) throw new Error(`POST /auth/signup answered ${res.status}: ${text.slice(0, 300)}`);
        }
      };
      await Promise.all(Array.from({ length: SIGNUP_CONCURRENCY }, signUp));
      await drain(carly, bodies[0]!); // preflight: a correct login answers 200
      const readPaths = emails.map(restPath);
      const loginSeconds = Math.max(options.duration, 10);
      ctx.log(
        `  ${ACCOUNTS} accounts signed up; login load ${LOGIN_CONNECTIONS} connections for ${loginSeconds} s; floods of ${FLOOD_CONNECTIONS.join(', ')} connections; reads ${READ_CONNECTIONS} connections`,
      );

      if (options.warmup > 0) {
        await measure(ctx, 'warm-up read', carly, readPaths, { duration: options.warmup, warmUp: true, connections: READ_CONNECTIONS });
        const w = await loginLoad(ctx, carly, bodies, LOGIN_CONNECTIONS, options.warmup, 'warm-up login', 30);
        ctx.log(`  ${'warm-up login'.padEnd(28)} ${describeLoad(w)}`);
        await drain(carly, bodies[0]!);
      }

      const compares: CompareRun[] = [];
      const logins: LoadResult[] = [];
      const idle: LoadResult[] = [];
      const flooded = new Map<number, LoadResult[]>(FLOOD_CONNECTIONS.map((c) => [c, []]));
      const floods = new Map<number, LoadResult[]>(FLOOD_CONNECTIONS.map((c) => [c, []]));
      for (let round = 1; round <= options.rounds; round++) {
        ctx.log(`  round ${round}/${options.rounds}`);
        // (a) the floor and the server, back to back.
        await settle(ctx);
        compares.push(await rawCompare(ctx, loginSeconds, `bcrypt.compare r${round}`));
        await settle(ctx);
        const login = await loginLoad(ctx, carly, bodies, LOGIN_CONNECTIONS, loginSeconds, `login r${round}`, 30);
        ctx.log(`  ${`login r${round}`.padEnd(28)} ${fmtNum(okRate(login), 2)} logins/s (200s)  ${describeLoad(login)}`);
        checkRun(ctx, `login r${round}`, login);
        logins.push(login);
        await drain(carly, bodies[0]!);

        // (b) read p99 idle, then during each flood.
        idle.push(await measure(ctx, `read idle r${round}`, carly, readPaths, { connections: READ_CONNECTIONS }));
        for (const conns of FLOOD_CONNECTIONS) {
          await settle(ctx);
          const floodDone = loginLoad(ctx, carly, bodies, conns, options.duration + 2, `flood ${conns} r${round}`, 60);
          await sleep(1000); // let the hash queue fill first
          const reads = await runLoad({
            base: carly.base,
            headers: carly.headers,
            paths: readPaths,
            connections: READ_CONNECTIONS,
            threads: options.driverThreads,
            duration: options.duration,
            title: `read flood ${conns} r${round}`,
            pid: carly.child.proc.pid,
          });
          const flood = await floodDone;
          ctx.log(`  ${`read during flood ${conns} r${round}`.padEnd(28)} ${describeLoad(reads)}`);
          ctx.log(`  ${`flood ${conns} r${round}`.padEnd(28)} ${fmtNum(okRate(flood), 2)} logins/s (200s)  ${describeLoad(flood)}`);
          // The flood's 429s and timeouts are its point; only the reads must all succeed.
          if (reads.non2xx || reads.errors)
            ctx.report.problem(
              `read during flood ${conns} r${round}: ${reads.non2xx} non-2xx, ${reads.errors} errors; ${JSON.stringify(reads.statusCodes)}; e.g. ${reads.samples[0] ?? ''}`,
            );
          flooded.get(conns)!.push(reads);
          floods.get(conns)!.push(flood);
          await drain(carly, bodies[0]!);
        }
      }

      const loginRatio = median(logins.map((l, i) => (isValid(l) ? okRate(l) / compares[i]!.rps : NaN)));
      const validLogins = logins.filter(isValid);
      const add = (row: Row) => ctx.report.add(row);
      add({
        section: 'login',
        variant: 'compare',
        label: `bcrypt.compare, ${COMPARE_CONCURRENCY} at a time (own process)`,
        rps: median(compares.map((c) => c.rps)),
        checks: [],
        note: `${fmtNum(median(compares.map((c) => c.rps)), 2)} compares/s at cost ${BCRYPT_COST}: ${COMPARE_CONCURRENCY} in flight = the machine's cores`,
      });
      add({
        section: 'login',
        variant: 'login',
        label: 'POST /auth/login (correct password)',
        rps: median(validLogins.map(okRate)),
        p50: median(validLogins.map((r) => r.p50)),
        p99: median(validLogins.map((r) => r.p99)),
        cpuUsPerReq: median(validLogins.map((r) => r.cpuUsPerReq)),
        requests: logins.reduce((s, r) => s + r.requests, 0),
        non2xx: logins.reduce((s, r) => s + r.non2xx, 0),
        errors: logins.reduce((s, r) => s + r.errors, 0),
        checks: [check('ratio login/compare', loginRatio, '>=', GOALS.login.loginRatio)],
        note: `${fmtNum(median(validLogins.map(okRate)), 2)} logins/s (200s / s); cost ${BCRYPT_COST}, HASH_CONCURRENCY ${HASH_CONCURRENCY}, ${LOGIN_CONNECTIONS} conns, ${ACCOUNTS} accounts`,
      });
      const readRow = (variant: string, runs: LoadResult[], checks: Row['checks'], note: string): Row => {
        const valid = runs.filter(isValid);
        return {
          section: 'login',
          variant,
          label: 'GET /customers/{email}',
          rps: median(valid.map((r) => r.rps)),
          p50: median(valid.map((r) => r.p50)),
          p99: median(valid.map((r) => r.p99)),
          cpuUsPerReq: median(valid.map((r) => r.cpuUsPerReq)),
          requests: runs.reduce((s, r) => s + r.requests, 0),
          non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
          errors: runs.reduce((s, r) => s + r.errors, 0),
          checks,
          note,
        };
      };
      add(readRow('read-idle', idle, [], `${READ_CONNECTIONS} conns, no other load`));
      for (const conns of FLOOD_CONNECTIONS) {
        const reads = flooded.get(conns)!;
        const its = floods.get(conns)!;
        const p99Ratio = median(reads.map((f, i) => (isValid(f) && isValid(idle[i]!) ? f.p99 / idle[i]!.p99 : NaN)));
        const floodCodes: Record<string, number> = {};
        for (const f of its) for (const [code, n] of Object.entries(f.statusCodes)) floodCodes[code] = (floodCodes[code] ?? 0) + n;
        add(
          readRow(
            `read-flood-${conns}`,
            reads,
            [check('p99 ratio flood/idle', p99Ratio, '<=', GOALS.login.floodP99Ratio)],
            `${READ_CONNECTIONS} conns during a ${conns}-conn login flood: ` +
              `${fmtNum(median(its.map(okRate)), 2)} logins/s, status ${JSON.stringify(floodCodes)}, ${fmtInt(its.reduce((s, f) => s + f.errors, 0))} timeouts/errors`,
          ),
        );
      }
    } finally {
      await carly.stop();
    }
  },
};
