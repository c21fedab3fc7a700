import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SQLITE_BATCH_ROWS } from '../../../server/import/customer-writer.js';
import { mb, pacedReads, postFile, rssOf, sampleRss } from '../bulk.js';
import { waitForQuiet } from '../cpu.js';
import { BENCH_DIR, emailFor, ensureDataset, REPO_ROOT, sampleRows, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import { type Child, spawnNode } from '../processes.js';
import { check, fmtInt, fmtNum, median } from '../report.js';
import { type BenchContext, pickedParts, type Section } from '../section.js';
import { CHILD_FLAGS, startCarly } from '../targets.js';
import { startReceiver } from './webhooks.js';

const SUMMARY = /^import: read=(\d+) inserted=(\d+) updated=(\d+) unchanged=(\d+) rejected=(\d+) in ([\d.]+)s \((\d+) rows\/s\), peak RSS (\d+) MB/;

/** Runs a node script to its end (bounded), returning its output lines; throws on a non-zero exit. */
async function runScript(name: string, args: string[], env: NodeJS.ProcessEnv, timeoutS: number): Promise<{ child: Child; lines: string[]; seconds: number }> {
  const started = performance.now();
  const child = spawnNode(name, args, { cwd: REPO_ROOT, env });
  child.stopping = true; // its exit is expected
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutS * 1000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${name} exited with code ${code} signal ${signal}:\n${child.tail.join('\n')}`);
  return { child, lines: child.tail, seconds };
}

/** The 1M-row export, generated once by the project's own generator and cached under .bench/exports/. */
async function ensureExport(ctx: BenchContext, rows: number): Promise<string> {
  const generator = path.join(REPO_ROOT, 'scripts/generate-export.ts');
  const hash = createHash('sha256').update(fs.readFileSync(generator)).digest('hex').slice(0, 12);
  const dir = path.join(BENCH_DIR, 'exports');
  const file = path.join(dir, `customers-${rows}-seed1-${hash}.json`);
  if (!ctx.options.rebuild && fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(dir)) if (name.startsWith(`customers-${rows}-`)) fs.rmSync(path.join(dir, name), { force: true });
  const tmp = `${file}.${process.pid}.tmp`;
  ctx.log(`  generating ${rows.toLocaleString('en-US')} rows: npm run generate-export -- --rows ${rows} --out ${path.relative(REPO_ROOT, file)}`);
  const gen = await runScript('generate-export', ['--import', 'tsx', generator, '--rows', String(rows), '--out', tmp], { ...process.env }, 600);
  fs.renameSync(tmp, file);
  ctx.log(`  generated in ${gen.seconds.toFixed(1)} s (${(fs.statSync(file).size / 1e6).toFixed(0)} MB)`);
  return file;
}

interface ImportRun {
  read: number;
  inserted: number;
  rejected: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  wallSeconds: number;
}

interface BareRun {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
}

async function settle(ctx: BenchContext) {
  if (ctx.options.settle <= 0) return;
  const quiet = await waitForQuiet(ctx.options.settle * 1000);
  if (quiet.waitedMs > 1500)
    ctx.log(`  (waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other processes to go quiet; now ${quiet.cores.toFixed(2)} cores busy)`);
}

export const importSection: Section = {
  name: 'import',
  description:
    'npm run import of a 1M-row export into a fresh SQLite DATA_DIR vs a bare better-sqlite3 insert of the same rows; ' +
    'POST /customers/import of --bulk-rows rows (per-row events) vs a bare insert of the rows and their events, with paced reads during it',
  byDefault: true,
  async run(ctx) {
    // The webhook part alone drains --bulk-rows deliveries: ~10 minutes at 1M.
    const wanted = pickedParts('BENCH_IMPORT_PARTS', ['cli', 'api', 'webhook']);
    if (wanted('cli')) await cliImport(ctx);
    if (wanted('api')) await apiImport(ctx);
    if (wanted('webhook')) await importWebhookFanout(ctx, await ensureExport(ctx, ctx.options.bulkRows), ctx.options.bulkRows);
  },
};

interface ApiRun {
  rowsPerSecond: number;
  rssGrowthMb: number;
  idleP99Ms: number;
  duringP99Ms: number;
  reads: number;
}

/**
 * Issue 20: POST /customers/import (a JSON array, streamed) of the export file into a server on a
 * copy of the 10k dataset, while 10 connections read existing customers at 200 requests/s in all;
 * the same reads on the idle server first. Floor: bare-import.ts --events, transactions of the
 * importer's SQLite batch size.
 */
async function apiImport(ctx: BenchContext) {
  const rows = ctx.options.bulkRows;
  const file = await ensureExport(ctx, rows);
  const base = await ensureDataset(10_000, { rebuild: ctx.options.rebuild });
  const paths = sampleRows(base.rows, 2000, 7).map((i) => `/customers/${encodeURIComponent(emailFor(i))}`);
  const goal = GOALS.importApi;
  const readSeconds = Math.max(10, ctx.options.duration);
  const bares: BareRun[] = [];
  const runs: ApiRun[] = [];
  for (let round = 1; round <= ctx.options.rounds; round++) {
    ctx.log(`  API import round ${round}/${ctx.options.rounds}`);
    await settle(ctx);
    // On a copy of the same dataset as the server imports into (same tables and index sizes at the start).
    const bareDir = workingCopy(base, ctx.runDir, `import-api-bare-${round}`);
    const bare = await runScript(
      'bare-import',
      [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench/bare-import.ts'), file, bareDir, '--events', String(SQLITE_BATCH_ROWS)],
      { ...process.env, DATABASE_URL: '' },
      3600,
    );
    fs.rmSync(bareDir, { recursive: true, force: true });
    const out = JSON.parse(bare.lines.find((l) => l.startsWith('{')) ?? 'null') as { rows: number; seconds: number; peakRssMb: number } | null;
    if (!out) throw new Error(`bare-import --events printed no result:\n${bare.lines.join('\n')}`);
    const b = { ...out, rowsPerSecond: out.rows / out.seconds };
    bares.push(b);
    ctx.log(`  ${`bare insert + events r${round}`.padEnd(28)} ${fmtInt(b.rowsPerSecond)} rows/s  (${fmtInt(b.rows)} rows in ${b.seconds.toFixed(1)} s)`);

    await settle(ctx);
    const carly = await startCarly({ dataDir: workingCopy(base, ctx.runDir, `import-api-${round}`) });
    try {
      const pid = carly.child.proc.pid!;
      const reads = { rate: goal.readRate, connections: goal.readConnections };
      // Warm the read path, then the idle reference.
      await pacedReads(carly.base, carly.headers, paths, { ...reads, maxSeconds: 3 });
      const idle = await pacedReads(carly.base, carly.headers, paths, { ...reads, maxSeconds: readSeconds });
      const idleRss = rssOf(pid);
      const sampler = sampleRss(pid);
      let importing = true;
      const during = pacedReads(carly.base, carly.headers, paths, { ...reads, maxSeconds: 3600, until: () => !importing });
      const posted = await postFile(`${carly.base}/customers/import`, carly.headers, file, 'application/json').finally(() => {
        importing = false;
      });
      const peak = sampler.stop();
      const busy = await during;
      const report = posted.body as { read?: number; inserted?: number; rejected?: number };
      if (posted.status !== 200 || report.inserted !== rows || report.rejected !== 0) {
        ctx.report.problem(`API import r${round}: status ${posted.status}, expected ${rows} rows inserted; got ${JSON.stringify(posted.body).slice(0, 300)}`);
      }
      for (const [what, r] of [
        ['idle', idle],
        ['during', busy],
      ] as const) {
        if (r.non2xx || r.errors)
          ctx.report.problem(`API import r${round}: reads ${what}: ${r.non2xx} non-2xx, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}`);
      }
      const run: ApiRun = {
        rowsPerSecond: rows / posted.seconds,
        rssGrowthMb: mb(peak - idleRss),
        idleP99Ms: idle.p99Ms,
        duringP99Ms: busy.p99Ms,
        reads: busy.requests,
      };
      runs.push(run);
      ctx.log(
        `  ${`POST /customers/import r${round}`.padEnd(28)} ${fmtInt(run.rowsPerSecond)} rows/s (${posted.seconds.toFixed(1)} s); server RSS +${fmtNum(run.rssGrowthMb, 1)} MiB over idle ${fmtNum(mb(idleRss), 0)} MiB; ` +
          `read p99 idle ${fmtNum(idle.p99Ms, 1)} ms, during ${fmtNum(busy.p99Ms, 1)} ms (${busy.requests} reads)`,
      );
    } finally {
      await carly.stop();
    }
  }
  const ratio = median(runs.map((r, i) => r.rowsPerSecond / bares[i]!.rowsPerSecond));
  const p99Ratio = median(runs.map((r) => r.duringP99Ms / r.idleP99Ms));
  ctx.report.add({
    section: 'import',
    variant: 'bare+events',
    label: `better-sqlite3 insert of the rows and their event rows, ${SQLITE_BATCH_ROWS}/transaction`,
    checks: [],
    note: `${fmtInt(median(bares.map((b) => b.rowsPerSecond)))} rows/s; ${fmtInt(rows)} rows`,
  });
  ctx.report.add({
    section: 'import',
    variant: 'api',
    label: 'POST /customers/import (JSON array, per-row events)',
    checks: [
      check('rows/s ratio', ratio, '>=', goal.rowsRatio),
      check('RSS growth MiB', Math.max(...runs.map((r) => r.rssGrowthMb)), '<=', goal.rssGrowthMb),
      check('read p99 during/idle', p99Ratio, '<=', goal.readP99Ratio),
    ],
    note: `${fmtInt(median(runs.map((r) => r.rowsPerSecond)))} rows/s; ratio api/bare ${fmtNum(ratio)}; read p99 idle ${fmtNum(median(runs.map((r) => r.idleP99Ms)), 1)} ms, during ${fmtNum(median(runs.map((r) => r.duringP99Ms)), 1)} ms (${goal.readConnections} conns, ${goal.readRate} req/s paced)`,
  });
}

/**
 * Issue 20: the webhook fan-out of an import. One receiver (answers 204 at once) subscribed to
 * `customer.created`; the import over the API, then every row's delivery awaited. Reported:
 * deliveries that arrived while the import ran, and deliveries/s from the import's start to the
 * last delivery (does the fan-out keep up with the import, or drain a backlog after it?).
 */
async function importWebhookFanout(ctx: BenchContext, file: string, rows: number) {
  await settle(ctx);
  const receiver = await startReceiver();
  const dataDir = fs.mkdtempSync(path.join(ctx.runDir, 'import-webhook-'));
  const carly = await startCarly({ dataDir, env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
  try {
    const hook = await fetch(`${carly.base}/webhooks`, {
      method: 'POST',
      headers: { ...carly.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiver.url}/import`, events: ['customer.created'] }),
    });
    if (!hook.ok) throw new Error(`POST /webhooks answered ${hook.status}: ${(await hook.text()).slice(0, 300)}`);
    const started = Date.now();
    const posted = await postFile(`${carly.base}/customers/import`, carly.headers, file, 'application/json');
    const importEnd = Date.now();
    const duringImport = receiver.arrivals.length;
    const deadline = importEnd + Math.max(120_000, rows * 5);
    let reported = Date.now();
    while (receiver.arrivals.length < rows && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      if (Date.now() - reported >= 60_000) {
        reported = Date.now();
        ctx.log(
          `  … ${fmtInt(receiver.arrivals.length)} of ${fmtInt(rows)} deliveries, ${((reported - importEnd) / 1000).toFixed(0)} s after the import's answer`,
        );
      }
    }
    const arrived = receiver.arrivals.length;
    const last = receiver.arrivals[arrived - 1]?.at ?? importEnd;
    if (posted.status !== 200) ctx.report.problem(`import webhook fan-out: POST /customers/import answered ${posted.status}`);
    if (arrived < rows) ctx.report.problem(`import webhook fan-out: ${arrived} of ${rows} deliveries arrived`);
    const perSecond = arrived / ((last - started) / 1000);
    const importRate = rows / ((importEnd - started) / 1000);
    ctx.log(
      `  ${'import + 1 webhook'.padEnd(28)} import ${fmtInt(importRate)} rows/s (${((importEnd - started) / 1000).toFixed(1)} s); ${fmtInt(duringImport)} of ${fmtInt(rows)} deliveries during it, ` +
        `the last ${((last - importEnd) / 1000).toFixed(1)} s after it; ${fmtInt(perSecond)} deliveries/s overall`,
    );
    ctx.report.add({
      section: 'import',
      variant: 'webhook',
      label: 'POST /customers/import with one webhook receiver (customer.created)',
      checks: [],
      note: `${fmtInt(perSecond)} deliveries/s from the import's start to the last delivery; ${fmtInt(duringImport)}/${fmtInt(rows)} delivered while it ran (import ${fmtInt(importRate)} rows/s); last delivery ${((last - importEnd) / 1000).toFixed(1)} s after the import's answer`,
    });
  } finally {
    await carly.stop();
    await receiver.close();
  }
}

/** `npm run import -- FILE` of --import-rows rows vs bare-import.ts (no events, 50k/transaction). */
async function cliImport(ctx: BenchContext) {
  const rows = ctx.options.importRows;
  const file = await ensureExport(ctx, rows);
  const imports: ImportRun[] = [];
  const bares: BareRun[] = [];
  for (let round = 1; round <= ctx.options.rounds; round++) {
    ctx.log(`  round ${round}/${ctx.options.rounds}`);
    await settle(ctx);
    const bareDir = fs.mkdtempSync(path.join(ctx.runDir, 'import-bare-'));
    const bare = await runScript(
      'bare-import',
      [...CHILD_FLAGS, path.join(REPO_ROOT, 'scripts/bench/bare-import.ts'), file, bareDir],
      { ...process.env, DATABASE_URL: '' },
      900,
    );
    const out = JSON.parse(bare.lines.find((l) => l.startsWith('{')) ?? 'null') as { rows: number; seconds: number; peakRssMb: number } | null;
    if (!out) throw new Error(`bare-import printed no result:\n${bare.lines.join('\n')}`);
    const b = { ...out, rowsPerSecond: out.rows / out.seconds };
    bares.push(b);
    ctx.log(
      `  ${`bare insert r${round}`.padEnd(28)} ${fmtInt(b.rowsPerSecond)} rows/s  (${fmtInt(b.rows)} rows in ${b.seconds.toFixed(1)} s, peak RSS ${b.peakRssMb} MB)`,
    );
    fs.rmSync(bareDir, { recursive: true, force: true });

    await settle(ctx);
    // `npm run import -- FILE` is `tsx scripts/import-customers.ts FILE`; run the same without npm in between.
    const dataDir = fs.mkdtempSync(path.join(ctx.runDir, 'import-carly-'));
    const imp = await runScript(
      'import',
      ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/import-customers.ts'), file, '--rejects', path.join(dataDir, 'rejects.csv')],
      { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'warn', NODE_ENV: 'production', SEED_SAMPLE_DATA: 'false' },
      900,
    );
    const line = imp.lines.find((l) => SUMMARY.test(l));
    const m = line ? SUMMARY.exec(line) : null;
    if (!m) throw new Error(`npm run import printed no summary line:\n${imp.lines.join('\n')}`);
    const run: ImportRun = {
      read: Number(m[1]),
      inserted: Number(m[2]),
      rejected: Number(m[5]),
      seconds: Number(m[6]),
      rowsPerSecond: Number(m[7]),
      peakRssMb: Number(m[8]),
      wallSeconds: imp.seconds,
    };
    imports.push(run);
    ctx.log(`  ${`import r${round}`.padEnd(28)} ${line}  [process wall ${imp.seconds.toFixed(1)} s]`);
    if (run.read !== rows || run.inserted !== rows || run.rejected !== 0) {
      ctx.report.problem(`import r${round}: expected ${rows} rows read and inserted, none rejected; got ${line}`);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const ratio = median(imports.map((r, i) => r.rowsPerSecond / bares[i]!.rowsPerSecond));
  const bareRate = median(bares.map((b) => b.rowsPerSecond));
  ctx.report.add({
    section: 'import',
    variant: 'bare',
    label: 'better-sqlite3 insert of the same rows',
    checks: [],
    note: `${fmtInt(bareRate)} rows/s; peak RSS ${fmtInt(median(bares.map((b) => b.peakRssMb)))} MB; ${fmtInt(rows)} rows, no validation, 50k/transaction, the importer's pragmas`,
  });
  ctx.report.add({
    section: 'import',
    variant: 'import',
    label: 'npm run import -- FILE (fresh SQLite)',
    checks: [
      check('rows/s', median(imports.map((r) => r.rowsPerSecond)), '>=', GOALS.import.rowsPerSecond),
      check('peak RSS MB', Math.max(...imports.map((r) => r.peakRssMb)), '<=', GOALS.import.peakRssMb),
    ],
    note: `${fmtInt(median(imports.map((r) => r.rowsPerSecond)))} rows/s (its own summary, median); ratio import/bare ${fmtNum(ratio)}; peak RSS max ${Math.max(...imports.map((r) => r.peakRssMb))} MB`,
  });
}
