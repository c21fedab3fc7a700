import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../../../server/db/orm.js';
import { dictionaryEntries, wordsOf } from '../../../server/search/search-keys.js';
import { cpuSnapshot, cpuUsed, waitForQuiet } from '../cpu.js';
import { datasetKey, emailFor, ROW_COLUMNS, rowFor, sampleRows } from '../dataset.js';
import { GOALS } from '../goals.js';
import { describeLoad, type LoadResult, runLoad } from '../load.js';
import { check, fmtInt, fmtMs, fmtNum, median } from '../report.js';
import { type BenchContext, checkRun, getJson, isValid, measure, medianRatio, type Section, summarise } from '../section.js';
import { startBarePg, startCarly, type Target } from '../targets.js';
import { restPath } from './read.js';

const POOL_MAX = 10;

async function settle(ctx: BenchContext) {
  if (ctx.options.settle <= 0) return;
  const quiet = await waitForQuiet(ctx.options.settle * 1000);
  if (quiet.waitedMs > 1500)
    ctx.log(`  (waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other processes to go quiet; now ${quiet.cores.toFixed(2)} cores busy)`);
}
const LIST_PATH = '/customers?limit=50';

export const withDb = (adminUrl: string, db: string) => {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
};

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * The PostgreSQL twin of ensureDataset: database carly_bench_<rows>_<hash of migrations+generator>,
 * schema by the app's migrations, the same deterministic rows, ANALYZE'd; marked complete with a
 * COMMENT so a half-built one is rebuilt. Kept across runs; each run measures a TEMPLATE copy.
 */
export async function ensurePgDataset(ctx: Pick<BenchContext, 'log' | 'options'>, adminUrl: string, rows: number): Promise<string> {
  const name = `carly_bench_${rows}_${datasetKey(rows, 'postgresql').split('-').pop()}`;
  const ready = await withClient(adminUrl, async (c) => {
    const r = await c.query("select shobj_description(oid, 'pg_database') as note from pg_database where datname = $1", [name]);
    return r.rows[0]?.note === 'carly-bench complete';
  });
  if (ready && !ctx.options.rebuild) return name;
  const started = Date.now();
  ctx.log(`  building PostgreSQL database ${name} (${rows.toLocaleString('en-US')} rows)`);
  await withClient(adminUrl, async (c) => {
    const old = await c.query('select datname from pg_database where datname like $1', [`carly_bench_${rows}_%`]);
    for (const { datname } of old.rows) await c.query(`drop database if exists "${datname}" with (force)`);
    await c.query(`create database "${name}"`);
  });
  const url = withDb(adminUrl, name);
  const orm = await openDatabase({ kind: 'postgresql', url });
  await orm.close(true);
  await withClient(url, async (c) => {
    const cols = ROW_COLUMNS;
    const CHUNK = 2000;
    await c.query('begin');
    // The loader writes the typo dictionary itself (below), as an import batch does: its rows skip
    // the search indexer's queue (search_pending).
    await c.query("select set_config('carly.search_direct', 'on', true)");
    // Bulk load without the secondary indexes (the trigram GIN ones are slow to grow row by row),
    // then recreate them from their own definitions: same schema, much faster.
    const indexes = (
      await c.query<{ name: string; def: string }>(
        `select i.indexname as name, i.indexdef as def from pg_indexes i
          where i.tablename in ('customers', 'search_words') and i.schemaname = current_schema()
            and not exists (select 1 from pg_constraint k where k.conname = i.indexname)`,
      )
    ).rows;
    for (const ix of indexes) await c.query(`drop index "${ix.name}"`);
    for (let from = 0; from < rows; from += CHUNK) {
      const to = Math.min(rows, from + CHUNK);
      const values: unknown[] = [];
      const tuples: string[] = [];
      for (let i = from; i < to; i++) {
        const r = rowFor(i) as Record<string, unknown>;
        const base = values.length;
        tuples.push(`(${cols.map((_, k) => `$${base + k + 1}`).join(',')})`);
        for (const col of cols) values.push(col === 'created_at' || col === 'updated_at' ? new Date(r[col] as number) : r[col]);
      }
      await c.query(`insert into customers (${cols.join(',')}) values ${tuples.join(',')}`, values);
    }
    // The typo dictionary, as the app's writers fill it (search/dictionary.ts).
    const words = new Set<string>();
    for (let i = 0; i < rows; i++) for (const w of wordsOf(rowFor(i).search_words)) words.add(w);
    const entries = dictionaryEntries(words);
    for (const [table, column, values] of [
      ['search_words', 'word', entries.words],
      ['search_alphabet', 'ch', entries.chars],
    ] as const) {
      for (let from = 0; from < values.length; from += 5000) {
        const part = values.slice(from, from + 5000);
        await c.query(`insert into ${table} (${column}) values ${part.map((_, k) => `($${k + 1})`).join(',')} on conflict do nothing`, part);
      }
    }
    await c.query("select setval(pg_get_serial_sequence('customers', 'id'), (select max(id) from customers))");
    await c.query("set maintenance_work_mem = '256MB'");
    for (const ix of indexes) await c.query(ix.def);
    await c.query('commit');
    await c.query('analyze customers');
    await c.query('analyze search_words');
  });
  await withClient(adminUrl, (c) => c.query(`comment on database "${name}" is 'carly-bench complete'`));
  ctx.log(`  built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return name;
}

/** Load on one or more instances at once, connections split evenly; req/s summed. */
async function loadOn(
  ctx: BenchContext,
  title: string,
  targets: Target[],
  paths: string[],
  dbPids?: () => Promise<number[]>,
): Promise<{ rps: number; p99: number[]; runs: LoadResult[] }> {
  const per = Math.max(1, Math.floor(ctx.options.connections / targets.length));
  const dbBefore = cpuSnapshot(dbPids ? await dbPids() : []);
  const runs = await Promise.all(
    targets.map((t) =>
      runLoad({
        base: t.base,
        headers: t.headers,
        paths,
        connections: per,
        threads: ctx.options.driverThreads,
        duration: ctx.options.duration,
        title,
        pid: t.child.proc.pid,
      }),
    ),
  );
  const dbAfter = cpuSnapshot(dbPids ? await dbPids() : []);
  const dbCores = cpuUsed(dbBefore, dbAfter) / ((dbAfter.at - dbBefore.at) * 1000);
  // Each run sees its siblings (the other instance, its wrk, the database) as "other processes":
  // take them out, so a warning means a real neighbour.
  const cores = (r: LoadResult) => (r.toUs > r.fromUs ? r.serverCores + (r.driverCpuUsPerReq * r.requests) / (r.toUs - r.fromUs) : 0);
  const own = runs.map(cores);
  for (const [i, r] of runs.entries()) r.foreignCores = Math.max(0, r.foreignCores - dbCores - own.reduce((s, c, j) => (j === i ? s : s + c), 0));
  runs.forEach((r, i) => {
    ctx.log(`  ${`${title} [${targets[i]!.name}]`.padEnd(34)} ${describeLoad(r)}`);
    checkRun(ctx, `${title} [${targets[i]!.name}]`, r);
  });
  return { rps: runs.reduce((s, r) => s + r.rps, 0), p99: runs.map((r) => r.p99), runs };
}

/** The bare server must answer what Carly answers, or the ratio compares different work. */
async function preflightBare(ctx: BenchContext, bare: Target, carly: Target, emails: string[]) {
  for (const email of emails) {
    const b = await getJson(bare.base + restPath(email));
    const c = await getJson(carly.base + restPath(email), carly.headers);
    if (b.status !== 200 || c.status !== 200)
      throw new Error(
        `preflight: GET ${restPath(email)} answered ${b.status} (bare-pg) and ${c.status} (carly): ${b.text.slice(0, 200)} ${c.text.slice(0, 200)}`,
      );
    // Key order may differ (jsonb sorts keys); the values must not.
    if (!isDeepStrictEqual(b.body, c.body))
      ctx.report.problem(`postgres preflight: bare-pg body differs from Carly's for ${email}:\n  bare  ${b.text}\n  carly ${c.text}`);
  }
}

export const postgresSection: Section = {
  name: 'postgres',
  description:
    'PostgreSQL: REST read vs bare node:http + pg (same prepared query, same database); read and list with one Carly instance vs two (needs TEST_DATABASE_URL or --pg-url)',
  byDefault: true,
  async run(ctx) {
    const adminUrl = ctx.options.pgUrl;
    if (!adminUrl) {
      ctx.log('  skipped: set TEST_DATABASE_URL (or --pg-url) to a PostgreSQL admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
      return;
    }
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(adminUrl).hostname))
      throw new Error('bench targets loopback only: the PostgreSQL URL must point at 127.0.0.1');
    const rows = ctx.options.rows;
    const template = await ensurePgDataset(ctx, adminUrl, rows);
    const runDb = `carly_bench_run_${process.pid}_${randomBytes(3).toString('hex')}`;
    await withClient(adminUrl, (c) => c.query(`create database "${runDb}" template "${template}"`));
    const dbUrl = withDb(adminUrl, runDb);
    const emails = sampleRows(rows, 20_000).map(emailFor);
    const readPaths = emails.map(restPath);
    const adminPassword = `Bench-${randomBytes(12).toString('hex')}-9!`;
    const env = { DATABASE_URL: dbUrl, DB_POOL_MAX: String(POOL_MAX) };
    const dir = (n: string) => {
      const d = path.join(ctx.runDir, n);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    const started: Target[] = [];
    try {
      const bare = await startBarePg(dbUrl);
      started.push(bare);
      const a = await startCarly({ dataDir: dir('pg-a'), name: 'carly-pg-a', env, adminPassword });
      started.push(a);
      const b = await startCarly({ dataDir: dir('pg-b'), name: 'carly-pg-b', env, adminPassword });
      started.push(b);
      // One token for both: same JWT_SECRET, sessions in the shared database.
      b.headers = a.headers;
      for (const t of [a, b]) {
        for (const p of [readPaths[0]!, LIST_PATH]) {
          const res = await getJson(t.base + p, t.headers);
          if (res.status !== 200) throw new Error(`preflight ${t.name} GET ${p}: ${res.status} ${res.text.slice(0, 300)}`);
        }
      }
      await preflightBare(ctx, bare, a, [emails[0]!, emailFor(3), emailFor(rows - 1)]);
      // The backends serving this run's database: their CPU is part of each request's cost.
      const dbPids = () =>
        withClient(adminUrl, async (c) =>
          (await c.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [runDb])).rows.map((r) => r.pid),
        );
      if (ctx.options.warmup > 0) {
        await measure(ctx, 'warm-up bare-pg', bare, readPaths, { duration: ctx.options.warmup, warmUp: true });
        for (const t of [a, b])
          for (const [k, p] of [
            ['read', readPaths],
            ['list', [LIST_PATH]],
          ] as [string, string[]][])
            await measure(ctx, `warm-up ${k} ${t.name}`, t, p, { duration: ctx.options.warmup, warmUp: true });
      }
      const bareRuns: LoadResult[] = [];
      const res: Record<'read' | 'list', { one: LoadResult[]; two: LoadResult[][]; ratio: number[] }> = {
        read: { one: [], two: [], ratio: [] },
        list: { one: [], two: [], ratio: [] },
      };
      for (let round = 1; round <= ctx.options.rounds; round++) {
        ctx.log(`  round ${round}/${ctx.options.rounds}`);
        // The floor, then Carly: alone, each with its database backends' CPU; then two Carly instances.
        bareRuns.push(await measure(ctx, `bare-pg read r${round}`, bare, readPaths, { dbPids }));
        for (const [kind, paths] of [
          ['read', readPaths],
          ['list', [LIST_PATH]],
        ] as const) {
          const one = await measure(ctx, `pg ${kind} one r${round}`, a, [...paths], { dbPids });
          await settle(ctx);
          const two = await loadOn(ctx, `pg ${kind} two r${round}`, [a, b], [...paths], dbPids);
          res[kind].one.push(one);
          res[kind].two.push(two.runs);
          if (isValid(one) && two.runs.every(isValid)) res[kind].ratio.push(two.rps / one.rps);
        }
      }
      // Server + its PostgreSQL backends: on one machine, that is what a request costs.
      const systemUs = (r: LoadResult) => r.cpuUsPerReq + r.dbCpuUsPerReq;
      const carlyRuns = res.read.one;
      const cpuRatio = medianRatio(bareRuns, carlyRuns, systemUs);
      const serverRatio = medianRatio(bareRuns, carlyRuns, (r) => r.cpuUsPerReq);
      const rpsRatio = medianRatio(carlyRuns, bareRuns, (r) => r.rps);
      ctx.report.add(
        summarise(
          'postgres',
          'bare-pg',
          'GET /customers/{email} (node:http + pg)',
          bareRuns,
          [],
          `${ctx.options.connections} conns; named prepared statement, pool of 4`,
        ),
      );
      for (const kind of ['read', 'list'] as const) {
        const label = kind === 'read' ? 'GET /customers/{email}' : `GET ${LIST_PATH}`;
        const r = res[kind];
        const oneNote = `1 instance, ${ctx.options.connections} conns, DB_POOL_MAX ${POOL_MAX}`;
        if (kind === 'read') {
          ctx.report.add(
            summarise(
              'postgres',
              'read-one',
              label,
              r.one,
              [check('cpu ratio (server+db)', cpuRatio, '>=', GOALS.postgres.readRatio), check('req/s ratio', rpsRatio, '>=', GOALS.postgres.readRatio)],
              `server-only cpu ratio ${fmtNum(serverRatio)}; goal ≈ ${fmtInt(median(bareRuns.filter(isValid).map(systemUs)) / GOALS.postgres.readRatio)} µs/req server+db; ${oneNote}`,
            ),
          );
        } else {
          ctx.report.add(summarise('postgres', 'list-one', label, r.one, [], oneNote));
        }
        const sums = r.two.filter((x) => x.every(isValid)).map((x) => x[0]!.rps + x[1]!.rps);
        const p99a = median(
          r.two
            .map((x) => x[0]!)
            .filter(isValid)
            .map((x) => x.p99),
        );
        const p99b = median(
          r.two
            .map((x) => x[1]!)
            .filter(isValid)
            .map((x) => x.p99),
        );
        ctx.report.add({
          section: 'postgres',
          variant: `${kind}-two`,
          label,
          rps: median(sums),
          requests: r.two.flat().reduce((s, x) => s + x.requests, 0),
          non2xx: r.two.flat().reduce((s, x) => s + x.non2xx, 0),
          errors: r.two.flat().reduce((s, x) => s + x.errors, 0),
          checks: [],
          note: `2 instances × ${Math.floor(ctx.options.connections / 2)} conns, req/s summed; p99 A ${fmtMs(p99a)} ms, B ${fmtMs(p99b)} ms; ratio two/one ${fmtNum(median(r.ratio))}`,
        });
      }
      ctx.log('  note: both instances, PostgreSQL and the load generator share the same 2 cores');
    } finally {
      await Promise.all(started.map((t) => t.stop()));
      await withClient(adminUrl, (c) => c.query(`drop database if exists "${runDb}" with (force)`)).catch((err) =>
        ctx.report.warn(`could not drop ${runDb}: ${err}`),
      );
    }
  },
};
