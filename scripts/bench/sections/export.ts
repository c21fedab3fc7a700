import path from 'node:path';
import { mb, readStream, rssOf, sampleRss } from '../bulk.js';
import { waitForQuiet } from '../cpu.js';
import { ensureDataset, REPO_ROOT, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import { freePort, spawnNode, stopChild, waitForHttp } from '../processes.js';
import { check, fmtInt, fmtNum, median } from '../report.js';
import type { BenchContext, Section } from '../section.js';
import { CHILD_FLAGS, startCarly, type Target } from '../targets.js';

async function startBareExport(dbFile: string): Promise<Target> {
  const port = await freePort();
  const child = spawnNode('bare-export', [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench/bare-export-server.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_DB: dbFile, PORT: String(port) },
    echo: true,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/health`, child);
  return { name: 'bare-export', base, headers: {}, authenticated: false, child, stop: () => stopChild(child) };
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

export const exportSection: Section = {
  name: 'export',
  description:
    'GET /customers/export (NDJSON, gzip, a 10 KB/s reader) of --bulk-rows customers vs a bare better-sqlite3 iterate + JSON.stringify + socket write',
  byDefault: false,
  async run(ctx) {
    const rows = ctx.options.bulkRows;
    const dataset = await ensureDataset(rows, { rebuild: ctx.options.rebuild });
    const bare = await startBareExport(path.join(workingCopy(dataset, ctx.runDir, 'export-bare'), 'carly.sqlite'));
    const carly = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'export-carly') });
    const runs = { bare: [] as ExportRun[], ndjson: [] as ExportRun[], gzip: [] as ExportRun[] };
    const log = (what: string, round: number, r: ExportRun) =>
      ctx.log(
        `  ${`${what} r${round}`.padEnd(28)} ${fmtInt(r.rowsPerSecond)} rows/s  (${fmtInt(r.rows)} rows, ${fmtNum(mb(r.bytes), 0)} MiB in ${r.seconds.toFixed(1)} s; server RSS +${fmtNum(r.rssGrowthMb, 1)} MiB)`,
      );
    try {
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

      const ratio = (xs: ExportRun[]) => median(xs.map((x, i) => x.rowsPerSecond / runs.bare[i]!.rowsPerSecond));
      const maxGrowth = (xs: ExportRun[]) => Math.max(...xs.map((x) => x.rssGrowthMb));
      ctx.report.add({
        section: 'export',
        variant: 'bare',
        label: 'better-sqlite3 iterate + JSON.stringify + socket write',
        checks: [],
        note: `${fmtInt(median(runs.bare.map((r) => r.rowsPerSecond)))} rows/s; ${fmtInt(rows)} rows; RSS +${fmtNum(maxGrowth(runs.bare), 1)} MiB`,
      });
      ctx.report.add({
        section: 'export',
        variant: 'ndjson',
        label: 'GET /customers/export (NDJSON)',
        checks: [
          check('rows/s ratio', ratio(runs.ndjson), '>=', GOALS.export.rowsRatio),
          check('RSS growth MiB', maxGrowth(runs.ndjson), '<=', GOALS.export.rssGrowthMb),
        ],
        note: `${fmtInt(median(runs.ndjson.map((r) => r.rowsPerSecond)))} rows/s; ratio carly/bare ${fmtNum(ratio(runs.ndjson))}`,
      });
      ctx.report.add({
        section: 'export',
        variant: 'gzip',
        label: 'GET /customers/export (NDJSON, Accept-Encoding: gzip)',
        checks: [check('RSS growth MiB', maxGrowth(runs.gzip), '<=', GOALS.export.rssGrowthMb)],
        note: `${fmtInt(median(runs.gzip.map((r) => r.rowsPerSecond)))} rows/s; ratio to the bare (uncompressed) ${fmtNum(ratio(runs.gzip))}; ${fmtNum(mb(median(runs.gzip.map((r) => r.bytes))), 0)} MiB on the wire vs ${fmtNum(mb(median(runs.ndjson.map((r) => r.bytes))), 0)} MiB`,
      });
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
  },
};
