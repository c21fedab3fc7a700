import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ts from 'typescript';
import { cpuSnapshot, cpuUsed } from '../cpu.js';
import { emailFor, ensureDataset, REPO_ROOT, sampleRows, workingCopy } from '../dataset.js';
import { type Child, freePort, spawnNode, stopChild, waitForHttp } from '../processes.js';
import { check, fmtNum, median } from '../report.js';
import { type BenchContext, pickedParts, type Section } from '../section.js';
import { BENCH_ADMIN_EMAIL, BENCH_JWT_SECRET, startBare, startBareWrites, startCarly, type Target } from '../targets.js';
import { runWrk } from '../wrk.js';
import { restPath } from './read.js';

/** Issue 22's runtime targets. */
const IDLE_RSS_MB = 100;
const FIRST_ANSWER_MS = 300;
/** How long an idle server is left alone before its RSS is read: past the bcrypt workers' 30 s idle end and an idle-trim tick. */
const SETTLE_MS = 45_000;
/** New connections opened at once against a saturated server. */
const NEW_CONNECTIONS = 50;

interface Memory {
  rssMb: number;
  threads: number;
}

function memoryOf(pid: number): Memory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: field('VmRSS') / 1024, threads: field('Threads') };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Both servers started the way `npm start` starts Carly: plain `node --enable-source-maps` on
 * compiled JavaScript (no tsx loader, which holds esbuild and its own threads). Carly from dist/
 * (`npm run build`), the bare floor transpiled to .bench/ with the module it shares with the other
 * floors (so both resolve better-sqlite3 from the repository's node_modules).
 */
function compileBare(): string {
  const transpile = (from: string, to: string) => {
    const source = fs.readFileSync(path.join(REPO_ROOT, 'scripts/bench', from), 'utf8');
    const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    const file = path.join(REPO_ROOT, '.bench', to);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, out.outputText);
    return file;
  };
  // bare-server.ts imports './bare-rows.js' (the package is "type": "module", so .bench/*.js is ESM).
  transpile('bare-rows.ts', 'bare-rows.js');
  return transpile('bare-server.ts', 'bare-server.mjs');
}

async function idleMemory(ctx: BenchContext) {
  ctx.log('  building dist/ (npm run build, npm run build:console), as npm start does');
  execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'pipe' });
  execFileSync('npm', ['run', 'build:console'], { cwd: REPO_ROOT, stdio: 'pipe' });
  const dataset = await ensureDataset(ctx.options.rows, { rebuild: ctx.options.rebuild });
  const bareFile = compileBare();
  const dataDir = workingCopy(dataset, ctx.runDir, 'idle-carly');
  const bareDb = path.join(workingCopy(dataset, ctx.runDir, 'idle-bare'), 'carly.sqlite');
  const barePort = await freePort();
  const carlyPort = await freePort();
  const children: Child[] = [];
  try {
    const bare = spawnNode('idle-bare', ['--enable-source-maps', bareFile], {
      cwd: REPO_ROOT,
      env: { ...process.env, BENCH_DB: bareDb, PORT: String(barePort) },
    });
    children.push(bare);
    // npm start's settings: production, the default log level.
    const startCarly = (name: string) =>
      spawnNode(name, ['--enable-source-maps', path.join(REPO_ROOT, 'dist/server/main.js')], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: String(carlyPort),
          DATA_DIR: dataDir,
          DATABASE_URL: '',
          SEED_SAMPLE_DATA: 'false',
          JWT_SECRET: BENCH_JWT_SECRET,
          ADMIN_EMAIL: BENCH_ADMIN_EMAIL,
          ADMIN_PASSWORD: 'Idle-bench-password-not-used-9!',
        },
      });
    // The dataset has no account for ADMIN_EMAIL: a first start creates it (a bcrypt hash, the
    // common-password check, an audit entry), as only a deployment's very first start does. The
    // measured start is the next one, a restart whose admin exists.
    const first = startCarly('idle-carly-first');
    await waitForHttp(`http://127.0.0.1:${carlyPort}/health`, first);
    await stopChild(first);
    const carly = startCarly('idle-carly');
    children.push(carly);
    await waitForHttp(`http://127.0.0.1:${barePort}/health`, bare);
    await waitForHttp(`http://127.0.0.1:${carlyPort}/health`, carly);
    await sleep(2000);
    const early = { bare: memoryOf(bare.proc.pid!), carly: memoryOf(carly.proc.pid!) };
    ctx.log(
      `  2 s after start: Carly ${fmtNum(early.carly.rssMb, 1)} MB in ${early.carly.threads} threads, bare ${fmtNum(early.bare.rssMb, 1)} MB in ${early.bare.threads}`,
    );
    await sleep(SETTLE_MS - 2000);
    const settled = { bare: memoryOf(bare.proc.pid!), carly: memoryOf(carly.proc.pid!) };
    ctx.log(
      `  ${SETTLE_MS / 1000} s after start: Carly ${fmtNum(settled.carly.rssMb, 1)} MB in ${settled.carly.threads} threads, bare ${fmtNum(settled.bare.rssMb, 1)} MB in ${settled.bare.threads}`,
    );
    ctx.report.add({
      section: 'runtime',
      variant: 'idle bare',
      label: 'idle RSS, node:http + better-sqlite3',
      checks: [],
      note: `${fmtNum(settled.bare.rssMb, 1)} MB, ${settled.bare.threads} threads (2 s after start: ${fmtNum(early.bare.rssMb, 1)} MB)`,
    });
    ctx.report.add({
      section: 'runtime',
      variant: 'idle carly',
      label: 'idle RSS, npm start settings, no traffic',
      checks: [check('idle RSS MB', settled.carly.rssMb, '<=', IDLE_RSS_MB)],
      note: `${fmtNum(settled.carly.rssMb, 1)} MB, ${settled.carly.threads} threads, ${fmtNum(settled.carly.rssMb / settled.bare.rssMb, 2)}× bare (2 s after start: ${fmtNum(early.carly.rssMb, 1)} MB, ${early.carly.threads} threads)`,
    });
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
  }
}

/**
 * Opens `count` TCP connections at once, each sending one GET /health, and returns the time from
 * the connect call to the first byte of its answer, ms (Infinity for one that got none in 10 s).
 */
function firstAnswers(port: number, count: number): Promise<number[]> {
  const one = () =>
    new Promise<number>((resolve) => {
      const started = process.hrtime.bigint();
      const socket = net.connect({ host: '127.0.0.1', port });
      const done = (ms: number) => {
        socket.destroy();
        resolve(ms);
      };
      const timer = setTimeout(() => done(Number.POSITIVE_INFINITY), 10_000);
      socket.once('connect', () => socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
      socket.once('data', () => {
        clearTimeout(timer);
        done(Number(process.hrtime.bigint() - started) / 1e6);
      });
      socket.once('error', () => {
        clearTimeout(timer);
        done(Number.POSITIVE_INFINITY);
      });
    });
  return Promise.all(Array.from({ length: count }, one));
}

/** Saturates `target` with keep-alive reads from wrk, and meanwhile opens bursts of new connections. */
async function newConnectionsUnderLoad(ctx: BenchContext, target: Target, paths: string[], bursts: number): Promise<number[]> {
  const port = Number(new URL(target.base).port);
  const duration = 4 + bursts * 3;
  const load = runWrk({
    base: target.base,
    paths,
    method: 'GET',
    headers: target.headers,
    connections: ctx.options.connections,
    threads: ctx.options.driverThreads,
    duration,
    timeout: 10,
    recordStatuses: false,
  });
  const worst: number[] = [];
  await sleep(3000);
  for (let i = 0; i < bursts; i++) {
    const times = await firstAnswers(port, NEW_CONNECTIONS);
    worst.push(Math.max(...times));
    ctx.log(
      `  ${target.name}: ${NEW_CONNECTIONS} new connections under load: first answer p50 ${fmtNum(median(times), 1)} ms, slowest ${fmtNum(Math.max(...times), 1)} ms`,
    );
    await sleep(2000);
  }
  const result = await load;
  if (result.statusErrors || result.connectErrors || result.readErrors || result.timeouts)
    ctx.report.problem(`runtime/${target.name}: the saturating load had errors: ${JSON.stringify(result)}`);
  return worst;
}

async function newConnections(ctx: BenchContext) {
  const dataset = await ensureDataset(ctx.options.rows, { rebuild: ctx.options.rebuild });
  const emails = sampleRows(ctx.options.rows, 5_000).map(emailFor);
  const bare = await startBare(path.join(workingCopy(dataset, ctx.runDir, 'conn-bare'), 'carly.sqlite'), 'conn-bare');
  const carly = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'conn-carly'), name: 'conn-carly', env: { LOG_LEVEL: 'info' } });
  try {
    const bursts = Math.max(3, ctx.options.rounds);
    const bareWorst = await newConnectionsUnderLoad(ctx, bare, emails.map(restPath), bursts);
    const carlyWorst = await newConnectionsUnderLoad(ctx, carly, emails.map(restPath), bursts);
    ctx.report.add({
      section: 'runtime',
      variant: 'accept bare',
      label: `${NEW_CONNECTIONS} new connections, saturated`,
      checks: [],
      note: `slowest first answer per burst: ${bareWorst.map((w) => fmtNum(w, 0)).join(', ')} ms`,
    });
    ctx.report.add({
      section: 'runtime',
      variant: 'accept carly',
      label: `${NEW_CONNECTIONS} new connections, saturated`,
      checks: [check('slowest first answer ms', median(carlyWorst), '<=', FIRST_ANSWER_MS)],
      note: `slowest first answer per burst: ${carlyWorst.map((w) => fmtNum(w, 0)).join(', ')} ms (bare: median ${fmtNum(median(bareWorst), 0)} ms); ${ctx.options.connections} keep-alive connections of GET /customers/{email}`,
    });
  } finally {
    await Promise.all([bare.stop(), carly.stop()]);
  }
}

/** Issue 22: a paced change may cost at most this many times a saturated one in server CPU. */
const PACED_RATIO = 1.5;
const PACED_RATE = 100;
/** Seconds of paced changes per round (BENCH_PACED_SECONDS; longer runs average out a noisy machine). */
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 10);
if (!(PACED_SECONDS > 0)) throw new Error(`BENCH_PACED_SECONDS must be a positive number of seconds (got ${process.env.BENCH_PACED_SECONDS})`);

/**
 * Server CPU per change (utime + stime of the server from /proc, all threads, including what runs
 * after the answers: chaining, fan-out, timers; read 1 s after the last answer) at PACED_RATE
 * PATCH/s sent one at a time, and with 16 connections of wrk as fast as the server goes, one round
 * after the other.
 */
async function pacedVsSaturated(ctx: BenchContext, target: Target, emails: readonly string[]): Promise<{ paced: number[]; saturated: number[] }> {
  const pid = target.child.proc.pid!;
  let n = 0;
  /** PATCHes at PACED_RATE/s, one at a time, for `seconds`. */
  const pacedRun = async (seconds: number) => {
    const total = PACED_RATE * seconds;
    const t0 = Date.now();
    for (let k = 0; k < total; k++) {
      const due = t0 + (k * 1000) / PACED_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const res = await fetch(`${target.base}/customers/${encodeURIComponent(emails[k % emails.length]!)}`, {
        method: 'PATCH',
        headers: { ...target.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ company: `Paced ${n++}` }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) ctx.report.problem(`runtime paced (${target.name}): PATCH answered ${res.status}`);
    }
    return total;
  };
  /** `seconds` of PATCHes from 16 wrk connections as fast as the target goes; the requests it answered. */
  const saturatedRun = async (seconds: number) => {
    const requests = PACED_RATE * seconds * 20;
    const w = await runWrk({
      base: target.base,
      paths: Array.from({ length: requests }, (_, k) => `/customers/${encodeURIComponent(emails[k % emails.length]!)}`),
      bodies: Array.from({ length: requests }, () => JSON.stringify({ company: `Saturated ${n++}` })),
      method: 'PATCH',
      headers: { ...target.headers, 'content-type': 'application/json' },
      connections: 16,
      threads: ctx.options.driverThreads,
      duration: seconds,
      timeout: 10,
      recordStatuses: false,
    });
    if (w.statusErrors || w.connectErrors || w.readErrors || w.timeouts)
      ctx.report.problem(`runtime saturated PATCH (${target.name}): errors ${JSON.stringify(w)}`);
    return w.requests;
  };
  // Both loads once before the rounds, so that round 1 measures the steady state rather than the
  // JIT's warm-up. A paced warm-up alone left it to round 1's saturated load to make the write
  // path hot: V8 compiled it on its helper threads during round 1's paced load, ~700 µs per change
  // more than in round 2 (a per-thread probe, 2026-12-07), and round 1 alone missed the target.
  if (ctx.options.warmup > 0) {
    await saturatedRun(ctx.options.warmup);
    await pacedRun(ctx.options.warmup);
  }
  const paced: number[] = [];
  const saturated: number[] = [];
  for (let round = 1; round <= ctx.options.rounds; round++) {
    const before = cpuSnapshot([pid]);
    const total = await pacedRun(PACED_SECONDS);
    await sleep(1000);
    paced.push(cpuUsed(before, cpuSnapshot([pid])) / total);
    const start = cpuSnapshot([pid]);
    const answered = await saturatedRun(ctx.options.duration);
    await sleep(1000);
    saturated.push(cpuUsed(start, cpuSnapshot([pid])) / Math.max(1, answered));
    ctx.log(
      `  ${target.name} round ${round}: paced ${PACED_RATE}/s ${fmtNum(paced.at(-1)!, 0)} µs/change; saturated ${fmtNum(answered / ctx.options.duration, 0)}/s ${fmtNum(saturated.at(-1)!, 0)} µs/change`,
    );
  }
  return { paced, saturated };
}

/**
 * Issue 22's paced target, beside the same measure of the write floor (bare-write-server.ts: the
 * same durable work per PATCH, statements prepared once, no framework), each on its own copy of
 * the dataset, PATCHing the same customers: the floor's ratio is what pacing costs on this machine
 * with no framework at all (a sleeping vCPU's cold caches, the wake-ups of each answer's write).
 */
async function pacedWrites(ctx: BenchContext) {
  const dataset = await ensureDataset(ctx.options.rows, { rebuild: ctx.options.rebuild });
  const emails = sampleRows(ctx.options.rows, 200, 11).map(emailFor);
  const floor = await startBareWrites(path.join(workingCopy(dataset, ctx.runDir, 'paced-floor'), 'carly.sqlite'), 'paced-floor');
  const carly = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'paced-carly'), name: 'paced-carly' });
  try {
    const ratioOf = (r: { paced: number[]; saturated: number[] }) => median(r.paced.map((p, i) => p / r.saturated[i]!));
    const perChange = (r: { paced: number[]; saturated: number[] }) =>
      `paced ${r.paced.map((x) => fmtNum(x, 0)).join(', ')}; saturated ${r.saturated.map((x) => fmtNum(x, 0)).join(', ')}`;
    const floorRuns = await pacedVsSaturated(ctx, floor, emails);
    const carlyRuns = await pacedVsSaturated(ctx, carly, emails);
    ctx.report.add({
      section: 'runtime',
      variant: 'paced PATCH floor',
      label: `${PACED_RATE} PATCH/s vs 16 conns as fast as possible, the write floor`,
      cpuUsPerReq: median(floorRuns.paced),
      checks: [],
      note: `floor paced ÷ saturated CPU ${fmtNum(ratioOf(floorRuns), 2)}; server µs per change: ${perChange(floorRuns)}`,
    });
    ctx.report.add({
      section: 'runtime',
      variant: 'paced PATCH',
      label: `${PACED_RATE} PATCH/s vs 16 conns as fast as possible`,
      cpuUsPerReq: median(carlyRuns.paced),
      checks: [check('paced ÷ saturated CPU', ratioOf(carlyRuns), '<=', PACED_RATIO)],
      note: `server µs per change: ${perChange(carlyRuns)}; the floor's ratio ${fmtNum(ratioOf(floorRuns), 2)} in the same run`,
    });
  } finally {
    await Promise.all([floor.stop(), carly.stop()]);
  }
}

export const runtimeSection: Section = {
  name: 'runtime',
  description:
    'idle RSS after start (npm start settings) vs bare; first answer of 50 new connections to a saturated server vs bare; server CPU per PATCH paced vs saturated',
  byDefault: false,
  async run(ctx) {
    const wanted = pickedParts('BENCH_RUNTIME_PARTS', ['idle', 'accept', 'paced']);
    if (wanted('idle')) await idleMemory(ctx);
    if (wanted('accept')) await newConnections(ctx);
    if (wanted('paced')) await pacedWrites(ctx);
  },
};
