/**
 * Loads a customer export into the configured database (same configuration as the server:
 * DATA_DIR, DATABASE_URL, ...):
 *   npm run import -- FILE.json [--rejects FILE] [--batch-size N]
 *
 * The file is a JSON array of customer create objects, each optionally with its original
 * `createdAt`. It is streamed (memory stays flat whatever its size), each row validated with the
 * API's schema and upserted by email in batched transactions. Rejected rows are listed, with
 * their index in the array and the reason, in a CSV report next to the input
 * (`customers.rejects.csv` for `customers.json`) or at --rejects FILE; the first few are also
 * printed. Accepted rows are kept whatever happens to the others.
 *
 * Exit codes: 0 the file was processed (even with rejected rows); 1 the file could not be read
 * or is not a well-formed JSON array (the complete rows before the problem are imported and
 * counted), or the database failed; 2 bad usage or configuration.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MikroORM } from '@mikro-orm/core';
import { ConfigError, loadConfig } from '../server/config.js';
import type { ImportSummary, RejectedRow } from '../server/import/importer.js';
import { createProgress } from './lib/progress.js';

const USAGE = `usage: npm run import -- FILE.json [--rejects FILE] [--batch-size N]

  FILE.json          a JSON array of customers (the API's create fields, optionally createdAt)
  --rejects FILE     where to write the rejected rows report (CSV: index,email,reason);
                     default: next to the input, FILE.rejects.csv
  --batch-size N     rows per transaction (default: 10000)

Uses the server's configuration: DATA_DIR (SQLite file DATA_DIR/carly.sqlite) or DATABASE_URL.`;

/** Rejected rows echoed to stderr; the report has them all. */
const SHOWN_REJECTS = 10;
/** Files this large are parsed on a worker thread (it takes a few hundred ms to start). */
const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

class UsageError extends Error {}

interface Args {
  file: string;
  rejects: string | undefined;
  batchSize: number | undefined;
}

function parseCommandLine(argv: string[]): Args | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        rejects: { type: 'string' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError('missing the file to import');
  if (positionals.length > 1) throw new UsageError(`expected one file, got ${positionals.length}: ${positionals.join(' ')}`);
  if (values.rejects === '') throw new UsageError('--rejects needs a file name');
  let batchSize: number | undefined;
  if (values['batch-size'] !== undefined) {
    batchSize = Number(values['batch-size']);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer, got '${values['batch-size']}'`);
  }
  return { file: positionals[0]!, rejects: values.rejects, batchSize };
}

/** The default report path: `dir/name.rejects.csv` next to `dir/name.json`. */
function defaultRejectsPath(file: string): string {
  const ext = path.extname(file);
  return path.join(path.dirname(file), `${path.basename(file, ext.toLowerCase() === '.json' ? ext : '')}.rejects.csv`);
}

const csvField = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** The rejected rows report, written as rows come (synchronously, in 64 KiB pieces: no memory build-up). */
class RejectsReport {
  private fd: number;
  private buffer = '';
  count = 0;

  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
    this.buffer = 'index,email,reason\n';
  }

  add(row: RejectedRow) {
    this.count++;
    this.buffer += `${row.index},${csvField(row.email)},${csvField(row.reason)}\n`;
    if (this.buffer.length >= 65536) this.flush();
  }

  private flush() {
    fs.writeSync(this.fd, this.buffer);
    this.buffer = '';
  }

  /** Writes the rest; with no rejected rows at all the (empty) report is removed. */
  close(): boolean {
    this.flush();
    fs.closeSync(this.fd);
    if (this.count === 0) {
      fs.rmSync(this.file, { force: true });
      return false;
    }
    return true;
  }
}

const peakRssMb = () => Math.round((process.resourceUsage().maxRSS * 1024) / 1e6);

function summaryLine(s: ImportSummary, seconds: number): string {
  const rate = seconds > 0 ? Math.round(s.read / seconds) : s.read;
  return `import: read=${s.read} inserted=${s.inserted} updated=${s.updated} unchanged=${s.unchanged} rejected=${s.rejected} in ${seconds.toFixed(1)}s (${rate} rows/s), peak RSS ${peakRssMb()} MB`;
}

const errorText = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'is a directory';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  return e instanceof Error ? e.message : String(err);
};

async function main(): Promise<number> {
  let args: Args;
  let config;
  try {
    const parsed = parseCommandLine(process.argv.slice(2));
    if (parsed === 'help') {
      console.log(USAGE);
      return 0;
    }
    args = parsed;
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`import: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }

  // The input first: a wrong path should not cost a database connection (or create a data dir).
  let size: number;
  try {
    const stat = fs.statSync(args.file);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    fs.accessSync(args.file, fs.constants.R_OK);
    size = stat.size;
  } catch (err) {
    console.error(`import: cannot read ${args.file}: ${errorText(err)}`);
    return 1;
  }

  const rejectsPath = path.resolve(args.rejects ?? defaultRejectsPath(args.file));
  let report: RejectsReport;
  try {
    report = new RejectsReport(rejectsPath);
  } catch (err) {
    console.error(`import: cannot write the rejects report ${rejectsPath}: ${errorText(err)} (choose another path with --rejects FILE)`);
    return 1;
  }

  // Loaded only now: a usage error or a wrong path answers at once.
  const [{ openDatabase }, { ImportFailedError, ImportInputError, emptySummary }, { runSystemImport }, { WalCheckpointer }] = await Promise.all([
    import('../server/db/orm.js'),
    import('../server/import/importer.js'),
    import('../server/import/system-import.js'),
    import('../server/db/wal-checkpointer.js'),
  ]);
  const shown: RejectedRow[] = [];
  const progress = createProgress(size, process.stdout);
  const started = performance.now();
  const input = fs.createReadStream(args.file, { highWaterMark: 64 * 1024 });
  let orm: MikroORM | undefined;
  let summary: ImportSummary = emptySummary();
  let failure: { message: string } | undefined;

  // As the server does (domain.ts): WAL checkpoints on a thread of their own, the importer having
  // turned the connection's own off while it writes.
  const checkpointer =
    config.database.kind === 'sqlite'
      ? new WalCheckpointer(config.database.file, {}, (message) => console.error(`import: the SQLite WAL checkpoint failed: ${message}`))
      : null;
  try {
    orm = await openDatabase(config.database);
    checkpointer?.start();
    summary = await runSystemImport(orm, input, {
      batchSize: args.batchSize,
      parseInWorker: size >= WORKER_THRESHOLD_BYTES,
      onRejected(row) {
        report.add(row);
        if (shown.length < SHOWN_REJECTS) shown.push(row);
      },
      onProgress(s) {
        progress.update({ bytes: input.bytesRead, rows: s.read, inserted: s.inserted, updated: s.updated, rejected: s.rejected });
      },
    });
  } catch (err) {
    if (err instanceof ImportInputError) {
      summary = err.summary;
      const what = (err.cause as NodeJS.ErrnoException).syscall ? `cannot read ${args.file}: ${errorText(err.cause)}` : `${args.file}: ${err.message}`;
      const kept =
        summary.read === 0
          ? 'nothing was imported'
          : `the ${summary.read} rows before it were processed and kept (inserted ${summary.inserted}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected})`;
      failure = { message: `import: ${what}\nimport: stopped there; ${kept}` };
    } else if (err instanceof ImportFailedError) {
      summary = err.committed;
      failure = {
        message: `import: failed: ${errorText(err.cause)}\nimport: the batch in progress was rolled back; the summary counts the batches committed before it`,
      };
    } else {
      failure = { message: `import: failed: ${errorText(err)}` };
    }
  } finally {
    progress.stop();
    input.destroy();
    await checkpointer?.stop();
    await orm?.close(true).catch(() => {});
  }
  const seconds = (performance.now() - started) / 1000;

  const wroteReport = report.close();
  if (shown.length > 0) {
    console.error(
      `import: ${summary.rejected} row${summary.rejected === 1 ? '' : 's'} rejected${summary.rejected > shown.length ? `, the first ${shown.length}` : ''}:`,
    );
    for (const r of shown) console.error(`  row ${r.index}${r.email !== null ? ` (${r.email})` : ''}: ${r.reason}`);
  }
  console.log(summaryLine(summary, seconds));
  if (wroteReport) console.log(`import: rejected rows report: ${rejectsPath}`);
  if (failure) {
    console.error(failure.message);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`import: failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
