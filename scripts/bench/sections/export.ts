import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mb, readStream, rssOf, sampleRss } from '../bulk.js';
import { waitForQuiet } from '../cpu.js';
import { ensureDataset, REPO_ROOT, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import { freePort, spawnNode, stopChild, waitForHttp } from '../processes.js';
import { check, fmtInt, fmtNum, median } from '../report.js';
import type { BenchContext, Section } from '../section.js';
import { CHILD_FLAGS, startCarly, type Target } from '../targets.js';
import { ensurePgDataset, withClient, withDb } from './postgres.js';

/** A floor server (`script` under scripts/bench/) with its database named in `env`. */
async function startBareExport(name: string, script: string, env: Record<string, string>): Promise<Target> {
  const port = await freePort();
  const child = spawnNode(name, [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench', script)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    echo: true,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health`, child);
  return { name, base, headers: {}, authenticated: false, child, stop: () => stopChild(child) };
}

interface ExportRun {
  rowsPerSecond: number;
  bytes: number;
  seconds: number;
  rssGrowthMb: number;
  rows: number;
}

/** One full export from `target` (NDJSON unless gzip), with the server's RSS sampled over it. */
async function timedExport(ctx: BenchContext, target: Target, url: string, headers: Record<string, string>, rows: number): Promise<ExportRun> {
  if (ctx.options.settle > 0) await waitForQuiet(ctx.options.settle * 1000);
  const pid = target.child.proc.pid!;
  const idle = rssOf(pid);
  const sampler = sampleRss(pid);
  const gzip = headers['accept-encoding'] === 'gzip';
  const r = await readStream(url, headers, { countLines: !gzip });
  const peak = sampler.stop();
  if (r.status !== 200) ctx.report.problem(`${target.name} ${url}: status ${r.status}`);
  // gzip bodies are not inflated here (that would take the driver's CPU from the server): the row count is the NDJSON run's.
  if (!gzip && r.lines !== rows) ctx.report.problem(`${target.name} ${url}: ${r.lines} lines, expected ${rows}`);
  return { rowsPerSecond: rows / r.seconds, bytes: r.bytes, seconds: r.seconds, rssGrowthMb: mb(peak - idle), rows: gzip ? rows : r.lines };
}

type Runs = Record<'bare' | 'ndjson' | 'gzip', ExportRun[]>;

/** Per round: the floor, then Carly's export as NDJSON, then gzip'd; each run logged as it ends. */
async function exportRounds(ctx: BenchContext, bare: Target, carly: Target, rows: number, prefix: string): Promise<Runs> {
  const runs: Runs = { bare: [], ndjson: [], gzip: [] };
  const log = (what: string, round: number, r: ExportRun) =>
    ctx.log(
      `  ${`${prefix}${what} r${round}`.padEnd(28)} ${fmtInt(r.rowsPerSecond)} rows/s  (${fmtInt(r.rows)} rows, ${fmtNum(mb(r.bytes), 0)} MiB in ${r.seconds.toFixed(1)} s; server RSS +${fmtNum(r.rssGrowthMb, 1)} MiB)`,
    );
  for (let round = 1; round <= ctx.options.rounds; round++) {
    const b = await timedExport(ctx, bare, `${bare.base}/export`, {}, rows);
    runs.bare.push(b);
    log('bare export', round, b);
    const n = await timedExport(ctx, carly, `${carly.base}/customers/export`, carly.headers, rows);
    runs.ndjson.push(n);
    log('carly export ndjson', round, n);
    const g = await timedExport(ctx, carly, `${carly.base}/customers/export`, { ...carly.headers, 'accept-encoding': 'gzip' }, rows);
    runs.gzip.push(g);
    log('carly export gzip', round, g);
  }
  return runs;
}

/**
 * The three report variants of one database's rounds: `prefix` names them ('' on SQLite, 'pg ' on
 * PostgreSQL, so the SQLite variants keep their names), `db` goes in the labels.
 */
function reportRounds(ctx: BenchContext, runs: Runs, rows: number, prefix: string, floor: string, db = '') {
  const ratio = (xs: ExportRun[]) => median(xs.map((x, i) => x.rowsPerSecond / runs.bare[i]!.rowsPerSecond));
  const maxGrowth = (xs: ExportRun[]) => Math.max(...xs.map((x) => x.rssGrowthMb));
  ctx.report.add({
    section: 'export',
    variant: `${prefix}bare`,
    label: floor,
    checks: [],
    note: `${fmtInt(median(runs.bare.map((r) => r.rowsPerSecond)))} rows/s; ${fmtInt(rows)} rows; RSS +${fmtNum(maxGrowth(runs.bare), 1)} MiB`,
  });
  ctx.report.add({
    section: 'export',
    variant: `${prefix}ndjson`,
    label: `GET /customers/export (NDJSON)${db}`,
    checks: [
      check('rows/s ratio', ratio(runs.ndjson), '>=', GOALS.export.rowsRatio),
      check('RSS growth MiB', maxGrowth(runs.ndjson), '<=', GOALS.export.rssGrowthMb),
    ],
    note: `${fmtInt(median(runs.ndjson.map((r) => r.rowsPerSecond)))} rows/s; ratio carly/bare ${fmtNum(ratio(runs.ndjson))}`,
  });
  ctx.report.add({
    section: 'export',
    variant: `${prefix}gzip`,
    label: `GET /customers/export (NDJSON, Accept-Encoding: gzip)${db}`,
    checks: [check('RSS growth MiB', maxGrowth(runs.gzip), '<=', GOALS.export.rssGrowthMb)],
    note: `${fmtInt(median(runs.gzip.map((r) => r.rowsPerSecond)))} rows/s; ratio to the bare (uncompressed) ${fmtNum(ratio(runs.gzip))}; ${fmtNum(mb(median(runs.gzip.map((r) => r.bytes))), 0)} MiB on the wire vs ${fmtNum(mb(median(runs.ndjson.map((r) => r.bytes))), 0)} MiB`,
  });
}

async function runSqlite(ctx: BenchContext, rows: number) {
  const dataset = await ensureDataset(rows, { rebuild: ctx.options.rebuild });
  const bare = await startBareExport('bare-export', 'bare-export-server.ts', {
    BENCH_DB: path.join(workingCopy(dataset, ctx.runDir, 'export-bare'), 'carly.sqlite'),
  });
  const carly = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'export-carly') });
  try {
    const runs = await exportRounds(ctx, bare, carly, rows, '');
    // A reader at 10 KB/s: the server must wait for it, not buffer the table.
    const pid = carly.child.proc.pid!;
    const idle = rssOf(pid);
    const sampler = sampleRss(pid);
    const seconds = Math.max(10, ctx.options.duration * 2);
    const slow = await readStream(`${carly.base}/customers/export`, carly.headers, { bytesPerSecond: 10 * 1024, maxSeconds: seconds });
    const slowGrowth = mb(sampler.stop() - idle);
    ctx.log(
      `  ${'carly export at 10 KB/s'.padEnd(28)} read ${fmtInt(slow.bytes)} bytes in ${slow.seconds.toFixed(1)} s, then hung up; server RSS +${fmtNum(slowGrowth, 1)} MiB`,
    );
    reportRounds(ctx, runs, rows, '', 'better-sqlite3 iterate + JSON.stringify + socket write');
    ctx.report.add({
      section: 'export',
      variant: 'slow reader',
      label: `GET /customers/export read at 10 KB/s for ${seconds} s`,
      checks: [check('RSS growth MiB', slowGrowth, '<=', GOALS.export.rssGrowthMb)],
      note: `${fmtInt(slow.bytes)} bytes read`,
    });
  } finally {
    await Promise.all([bare.stop(), carly.stop()]);
  }
}

/** The same rounds on a TEMPLATE copy of the PostgreSQL dataset, beside a bare pg cursor; the copy is dropped after, whatever happened. */
async function runPostgres(ctx: BenchContext, adminUrl: string, rows: number) {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(adminUrl).hostname))
    throw new Error('bench targets loopback only: the PostgreSQL URL must point at 127.0.0.1');
  const template = await ensurePgDataset(ctx, adminUrl, rows);
  const runDb = `carly_bench_run_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`create database "${runDb}" template "${template}"`));
  const dbUrl = withDb(adminUrl, runDb);
  const dataDir = path.join(ctx.runDir, 'export-pg');
  fs.mkdirSync(dataDir, { recursive: true });
  const started: Target[] = [];
  try {
    const bare = await startBareExport('bare-pg-export', 'bare-pg-export-server.ts', { BENCH_PG_URL: dbUrl });
    started.push(bare);
    const carly = await startCarly({ dataDir, name: 'carly-pg', env: { DATABASE_URL: dbUrl } });
    started.push(carly);
    const runs = await exportRounds(ctx, bare, carly, rows, 'pg ');
    reportRounds(ctx, runs, rows, 'pg ', 'pg REPEATABLE READ cursor, FETCH 200 + JSON.stringify + socket write', ' on PostgreSQL');
  } finally {
    await Promise.all(started.map((t) => t.stop()));
    await withClient(adminUrl, (c) => c.query(`drop database if exists "${runDb}" with (force)`)).catch((err) =>
      ctx.report.warn(`could not drop ${runDb}: ${err}`),
    );
  }
}

export const exportSection: Section = {
  name: 'export',
  description:
    'GET /customers/export (NDJSON, gzip, a 10 KB/s reader) of --bulk-rows customers vs a bare better-sqlite3 iterate + JSON.stringify + socket write; then on PostgreSQL (with TEST_DATABASE_URL or --pg-url) NDJSON and gzip vs a bare pg cursor; BENCH_EXPORT_DB=sqlite|postgresql runs one',
  byDefault: false,
  async run(ctx) {
    const rows = ctx.options.bulkRows;
    const only = process.env.BENCH_EXPORT_DB;
    if (only !== 'postgresql') await runSqlite(ctx, rows);
    if (only === 'sqlite') return;
    const adminUrl = ctx.options.pgUrl;
    if (!adminUrl) {
      ctx.log('  PostgreSQL skipped: set TEST_DATABASE_URL (or --pg-url) to a PostgreSQL admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
      return;
    }
    await runPostgres(ctx, adminUrl, rows);
  },
};
