/**
 * `npm run bench`: load-tests Carly against a bare node:http + better-sqlite3 floor, on
 * 127.0.0.1 only, every server in its own child process; prints a summary table at the end.
 * See `npm run bench -- --help`. Exits 1 when a measurement is invalid (non-2xx answers,
 * errors, a crashed server) and, with --strict, when a target is missed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BenchOptions, parseBenchArgs, USAGE } from './args.js';
import { BENCH_DIR, isAlive } from './dataset.js';
import { installExitHandlers } from './processes.js';
import { Report } from './report.js';
import type { BenchContext } from './section.js';
import { SECTIONS } from './sections/index.js';

function sectionsToRun(options: BenchOptions) {
  if (options.only.length === 0) return SECTIONS.filter((s) => s.byDefault);
  return options.only.map((name) => {
    const section = SECTIONS.find((s) => s.name === name);
    if (!section) throw new Error(`unknown section "${name}"; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
    return section;
  });
}

/** Data copies left by a bench that was killed outright (SIGKILL): their owner's pid is gone. */
function removeStaleRunDirs() {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = /^carly-bench-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : err}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(`${USAGE}\n\nsections:\n${SECTIONS.map((s) => `  ${s.name.padEnd(10)} ${s.byDefault ? '(default) ' : ''}${s.description}`).join('\n')}`);
    return 0;
  }
  let sections;
  try {
    sections = sectionsToRun(options);
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    return 2;
  }
  installExitHandlers();

  // Stop by itself whatever happens: a generous bound on the planned load time plus setup.
  const perMeasure = options.duration + options.settle + 1.5;
  const plannedS = sections.length * ((options.rounds + 1) * 4 * perMeasure + 4 * options.warmup);
  // The bulk sections move --bulk-rows rows several times (export rounds; import, its floor and the webhook drain): ~3 ms a row.
  const bulkS = sections.some((s) => s.name === 'import' || s.name === 'export') ? options.bulkRows * 0.003 : 0;
  const watchdogMs = (plannedS + bulkS + 20 * 60) * 1000;
  const watchdog = setTimeout(() => {
    console.error(`\nbench: still running after ${Math.round(watchdogMs / 60_000)} min; giving up`);
    process.exit(1);
  }, watchdogMs);
  watchdog.unref();

  const runDir = options.keep
    ? path.join(BENCH_DIR, 'runs', new Date().toISOString().replace(/[:.]/g, '-'))
    : fs.mkdtempSync(path.join(os.tmpdir(), `carly-bench-${process.pid}-`));
  removeStaleRunDirs();
  fs.mkdirSync(runDir, { recursive: true });
  const cleanup = () => {
    if (!options.keep) fs.rmSync(runDir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);

  const report = new Report();
  const ctx: BenchContext = { options, report, runDir, log: (m) => console.log(m) };
  console.log(
    `bench: ${sections.map((s) => s.name).join(', ')}; ${options.connections} connections, ${options.duration} s per measurement, ${options.rounds} rounds, ` +
      `${os.cpus().length} CPUs, node ${process.version}`,
  );
  for (const section of sections) {
    console.log(`\n## ${section.name}: ${section.description}`);
    const started = Date.now();
    try {
      await section.run(ctx);
    } catch (err) {
      report.problem(`section ${section.name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    console.log(`## ${section.name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  report.print(
    `summary (medians over ${options.rounds} round(s) of ${options.duration} s at ${options.connections} connections; ratios per round, then medianed)`,
  );
  const resultsDir = path.join(BENCH_DIR, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const resultsFile = path.join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(resultsFile, JSON.stringify({ options, rows: report.rows, problems: report.problems }, null, 2));
  console.log(`\nresults: ${path.relative(process.cwd(), resultsFile)}${options.keep ? `; run dir kept: ${path.relative(process.cwd(), runDir)}` : ''}`);
  if (report.problems.length) return 1;
  if (options.strict && report.missed.length) return 1;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
