import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { waitForQuiet } from '../cpu.js';
import { BENCH_DIR, REPO_ROOT } from '../dataset.js';
import { GOALS } from '../goals.js';
import { type Child, spawnNode } from '../processes.js';
import { check, fmtInt, fmtNum, median } from '../report.js';
import type { BenchContext, Section } from '../section.js';
import { CHILD_FLAGS } from '../targets.js';

const SUMMARY = /^import: read=(\d+) inserted=(\d+) updated=(\d+) rejected=(\d+) in ([\d.]+)s \((\d+) rows\/s\), peak RSS (\d+) MB/;

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
  description: 'npm run import of a 1M-row export into a fresh SQLite DATA_DIR vs a bare better-sqlite3 insert of the same rows',
  byDefault: true,
  async run(ctx) {
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
        rejected: Number(m[4]),
        seconds: Number(m[5]),
        rowsPerSecond: Number(m[6]),
        peakRssMb: Number(m[7]),
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
  },
};
