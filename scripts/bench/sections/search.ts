import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/knex';
import Database from 'better-sqlite3';
import { CustomerSearchInput } from '../../../client-sdk/src/schemas/search.js';
import { CursorCodec } from '../../../server/customers/cursor.js';
import { openDatabase } from '../../../server/db/orm.js';
import { CustomerSearch, DEFAULT_WALK_ROWS, type SearchStatement } from '../../../server/search/customer-search.js';
import { emailFor, ensureDataset, rowFor, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import type { LoadResult } from '../load.js';
import { check, fmtInt, fmtMs, fmtNum, median } from '../report.js';
import { type BenchContext, getJson, isValid, measure, medianRatio, pickedParts, type Section, summarise } from '../section.js';
import { startCarly, type Target } from '../targets.js';
import { ensurePgDataset, withClient, withDb } from './postgres.js';

/** Rows of the search dataset: BENCH_SEARCH_ROWS (default 1,000,000; smaller for a quick check that it runs). */
const searchRows = () => Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000);

/** The server's SEARCH_WALK_ROWS (the bench passes its environment on): the plans are taken with the same budget. */
const walkRows = () => Number(process.env.SEARCH_WALK_ROWS || DEFAULT_WALK_ROWS);

const LIMIT = 50;
const path_ = (params: Record<string, string>) => `/customers/search?${new URLSearchParams({ ...params, limit: String(LIMIT) }).toString()}`;

interface Shape {
  key: string;
  /** The issue's kind: field equals, `~` contains, q prefix, q with a typo, a combined query, or the baseline. */
  kind: string;
  params: { query?: string; q?: string };
}

/**
 * The issue's shapes over the bench generator's rows (names with accents and non-Latin scripts,
 * phones, companies, cities, plans), beside a full-scan baseline: `country~gbr` (country has no
 * trigram index, so every row is read and compared; 3 letters on a 2-letter code never match).
 */
const shapes = (rows: number): Shape[] => [
  { key: 'equals-email', kind: 'field equals', params: { query: `email:${emailFor(Math.floor(rows / 3))}` } },
  { key: 'equals-name-folded', kind: 'field equals', params: { query: 'name:"zoe muller"' } },
  { key: 'metadata-equals', kind: 'field equals', params: { query: 'metadata["plan"]:team' } },
  { key: 'date-range', kind: 'field range', params: { query: 'created>=2019-01-02 created<2019-01-03' } },
  { key: 'name-contains', kind: '~ contains', params: { query: 'name~ovela' } },
  { key: 'phone-contains', kind: '~ contains', params: { query: 'phone~7946004' } },
  { key: 'q-1-word', kind: 'q prefix', params: { q: 'lovelace' } },
  { key: 'q-2-words', kind: 'q prefix', params: { q: 'ada love' } },
  { key: 'q-folded', kind: 'q prefix', params: { q: 'nguyen lukasz' } },
  { key: 'q-1-word-typo', kind: 'q typo', params: { q: 'lovelase' } },
  { key: 'q-2-words-typo', kind: 'q typo', params: { q: 'ada lovelase' } },
  { key: 'boolean-4', kind: 'combined', params: { query: '(name~ada country:GB -company~bell) OR city:oslo' } },
  { key: 'query-and-q', kind: 'combined', params: { query: 'company~bletchley', q: 'hoper' } },
  { key: 'full-scan-baseline', kind: 'baseline', params: { query: 'country~gbr' } },
];

type Dialect = 'sqlite' | 'postgresql';

/** What the database did for one shape's first page: its plan, and the customers rows it read. */
interface PlanFacts {
  /** PostgreSQL: rows of customers read by every scan node (returned + removed by filter or recheck), × loops. SQLite: NaN (no per-node counters). */
  rowsTouched: number;
  /** The ids the shape matches (before the page's limit). */
  matched: number;
  /** The way the first page was made (walk, sort), then each statement's steps on customers, condensed. */
  steps: string[];
  /** A sequential scan of customers (SQLite: a SCAN other than the walk's bounded one of the created_at index). */
  scans: boolean;
}

interface PgPlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PgPlanNode[];
}

async function planFacts(em: EntityManager, dialect: Dialect, shape: Shape, walkRows: number): Promise<PlanFacts> {
  const input = CustomerSearchInput.parse({ ...shape.params, limit: LIMIT });
  // The first page as the server runs it (walked or sorted), each statement recorded, then explained.
  const ran: SearchStatement[] = [];
  const search = new CustomerSearch(() => em.fork() as EntityManager, new CursorCodec(Buffer.alloc(32, 1)), {
    walkRows,
    onStatement: (s) => {
      ran.push(s);
    },
  });
  await search.search(input);
  const { text: matchedText, params: matchedParams } = await search.matchedStatement(input);
  const counted = await em.execute<{ n: number | string }[]>(`select count(*) as n from (${matchedText}) as counted`, matchedParams);
  const matched = Number(counted[0]?.n ?? NaN);
  const way = ran.some((s) => s.kind === 'sort') ? (ran.some((s) => s.kind === 'walk') ? 'walk, then sort' : 'sort') : 'walk';
  const walkedRows = ran.filter((s) => s.kind === 'walk').reduce((sum, s) => sum + Number(s.params[s.params.length - 1]), 0);
  const steps: string[] = [`${way}${walkedRows ? ` (walk reads of ${fmtInt(walkedRows)} rows at most)` : ''}`];
  let rowsTouched = dialect === 'sqlite' ? NaN : 0;
  let scans = false;
  for (const { kind, text, params } of ran) {
    if (dialect === 'sqlite') {
      const plan = await em.execute<{ detail: string }[]>(`explain query plan ${text}`, params);
      const own = [...new Set(plan.map((r) => r.detail).filter((d) => /^(SEARCH|SCAN)/.test(d)))];
      steps.push(`${kind}: ${own.join(', ')}`);
      // An AUTOMATIC index is built for the statement from a scan of every row.
      scans ||= own.some(
        (d) => (/^SCAN (c|customers)\b/.test(d) && !d.includes('customers_created_at_id_index')) || /^SEARCH (c|customers) USING AUTOMATIC\b/.test(d),
      );
      continue;
    }
    const [row] = await em.execute<{ 'QUERY PLAN': unknown }[]>(`explain (analyze, format json) ${text}`, params);
    const raw = row!['QUERY PLAN'];
    const root = ((typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PgPlanNode }[])[0]!.Plan;
    const own: string[] = [];
    const walk = (n: PgPlanNode) => {
      if (n['Relation Name'] === 'customers') {
        const loops = n['Actual Loops'] ?? 1;
        const read = ((n['Actual Rows'] ?? 0) + (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)) * loops;
        rowsTouched += read;
        own.push(`${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''} (${fmtInt(read)})`);
        scans ||= n['Node Type'] === 'Seq Scan';
      } else if (n['Index Name']?.startsWith('customers')) {
        own.push(`${n['Node Type']} ${n['Index Name']}`);
      }
      for (const c of n.Plans ?? []) walk(c);
    };
    walk(root);
    steps.push(`${kind}: ${own.join(', ')}`);
  }
  return { rowsTouched, matched, steps, scans };
}

/** POST /customers bodies with the generator's names (accents included), unique emails per variant and round. */
function createBodies(tag: string, count: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < count; k++) {
    const r = rowFor(k);
    out.push(
      JSON.stringify({
        email: `${tag}.${k}@create.example.com`,
        firstName: r.first_name,
        lastName: r.last_name,
        phone: r.phone,
        company: r.company,
        address: r.address === null ? null : JSON.parse(r.address),
        metadata: JSON.parse(r.metadata),
      }),
    );
  }
  return out;
}

/** Enough unique bodies for a measurement at this concurrency (a repeat would be a 409). */
const CREATE_BODIES = 40_000;
const CREATE_CONNECTIONS = 2;

interface DialectSetup {
  dialect: Dialect;
  /** Data dirs (SQLite: each with its own copy of the dataset) or env (PostgreSQL: DATABASE_URL) of the two servers. */
  withSearch: { dataDir: string; env: Record<string, string> };
  withoutSearch: { dataDir: string; env: Record<string, string> };
  /** Removes the search structures from the baseline's database (FTS5 triggers / trigram indexes). */
  stripSearch: () => Promise<string[]>;
  /** An ORM on the measured database, for the plans. */
  openEm: () => Promise<{ em: EntityManager; close: () => Promise<void> }>;
  dbPids?: () => Promise<number[]>;
}

/**
 * BENCH_SEARCH_CPU_PROF=DIR: each server writes a V8 CPU profile to DIR/on or DIR/off when it
 * stops (read them with scripts/bench/cpuprofile.ts); the figures of such a run are not comparable.
 */
function profiled(which: 'on' | 'off'): { cpuProfDir?: string } {
  const dir = process.env.BENCH_SEARCH_CPU_PROF;
  if (!dir) return {};
  fs.mkdirSync(path.join(dir, which), { recursive: true });
  return { cpuProfDir: path.join(dir, which) };
}

async function runDialect(ctx: BenchContext, rows: number, setup: DialectSetup) {
  const { dialect } = setup;
  const label = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const section = `search-${dialect === 'sqlite' ? 'sqlite' : 'pg'}`;
  const note = `${rows.toLocaleString('en-US')} rows, ${label}`;
  const list = shapes(rows);
  const started: Target[] = [];
  try {
    const on = await startCarly({ ...setup.withSearch, name: `${section}-on`, entry: 'scripts/bench/search-server.ts', ...profiled('on') });
    started.push(on);
    const wanted = pickedParts('BENCH_SEARCH_PARTS', ['shapes', 'create'] as const);
    if (wanted('shapes')) await measureShapes(ctx, setup, on, label, section, note, list);
    if (wanted('create')) await measureCreates(ctx, setup, on, started, label, section, note);
  } finally {
    await Promise.all(started.map((t) => t.stop()));
  }
}

/** Each shape's plan facts, then its latency at one connection beside the full-scan baseline. */
async function measureShapes(ctx: BenchContext, setup: DialectSetup, on: Target, label: string, section: string, note: string, list: Shape[]) {
  const { dialect } = setup;
  // Every shape answers, and what the database does for it (plan, rows read, rows matched).
  const orm = await setup.openEm();
  const facts = new Map<string, PlanFacts>();
  try {
    for (const shape of list) {
      const probe = await getJson(on.base + path_(shape.params), on.headers);
      if (probe.status !== 200) throw new Error(`search preflight ${shape.key}: ${probe.status} ${probe.text.slice(0, 300)}`);
      const f = await planFacts(orm.em, dialect, shape, walkRows());
      facts.set(shape.key, f);
      ctx.log(
        `  ${label} ${shape.key.padEnd(20)} ${String(probe.body?.items?.length ?? 0).padStart(2)} on page 1, ${fmtInt(f.matched)} matched` +
          `${Number.isFinite(f.rowsTouched) ? `, ${fmtInt(f.rowsTouched)} customers rows read` : ''}${f.scans ? ', SCANS customers' : ''}`,
      );
      ctx.log(`      plan: ${f.steps.join(' | ')}`);
      if (f.scans && shape.kind !== 'baseline') ctx.report.problem(`search ${label} ${shape.key}: the plan scans customers: ${f.steps.join(' | ')}`);
    }
  } finally {
    await orm.close();
  }

  // Latency per shape at one connection; the baseline in every round.
  if (ctx.options.warmup > 0)
    for (const shape of list)
      await measure(ctx, `warm-up ${shape.key}`, on, [path_(shape.params)], { connections: 1, duration: Math.min(2, ctx.options.warmup), warmUp: true });
  const runs = new Map<string, LoadResult[]>(list.map((s) => [s.key, []]));
  for (let round = 1; round <= ctx.options.rounds; round++) {
    for (const shape of list) runs.get(shape.key)!.push(await measure(ctx, `${label} ${shape.key} r${round}`, on, [path_(shape.params)], { connections: 1 }));
  }
  const baseline = runs.get('full-scan-baseline')!;
  for (const shape of list) {
    const r = runs.get(shape.key)!;
    const f = facts.get(shape.key)!;
    const p95 = median(r.filter(isValid).map((x) => x.p95));
    const vsBaseline = shape.kind === 'baseline' ? NaN : medianRatio(r, baseline, (x) => x.p95);
    ctx.report.add({
      ...summarise(
        section,
        shape.key,
        `${shape.kind}: ${[shape.params.query && `query=${shape.params.query}`, shape.params.q && `q=${shape.params.q}`].filter(Boolean).join(' ')}`,
        r,
        shape.kind === 'baseline' ? [] : [check('p95 ms', p95, '<=', GOALS.search.p95Ms)],
        [
          shape.kind === 'baseline' ? null : `p95 ÷ full-scan p95 ${fmtNum(vsBaseline, 3)}`,
          `${fmtInt(f.matched)} matched`,
          Number.isFinite(f.rowsTouched) ? `${fmtInt(f.rowsTouched)} rows read` : null,
          f.scans ? 'seq scan' : 'index only',
          note,
        ]
          .filter(Boolean)
          .join('; '),
      ),
      p95,
    });
  }
}

/** POST /customers on the measured server vs a baseline server on a copy without the search structures. */
async function measureCreates(ctx: BenchContext, setup: DialectSetup, on: Target, started: Target[], label: string, section: string, note: string) {
  const { dialect } = setup;
  // A create with the search structures vs without them: same entry, same data, one switch.
  const removed = await setup.stripSearch();
  ctx.log(`  ${label} baseline database without: ${removed.join(', ')}`);
  const off = await startCarly({
    ...setup.withoutSearch,
    name: `${section}-off`,
    entry: 'scripts/bench/search-server.ts',
    // Its search indexer idle too: on SQLite every new row is after the search watermark, and the
    // indexer would write them into the structures this server is measured without.
    env: { ...setup.withoutSearch.env, BENCH_SEARCH_WRITES: 'off', SEARCH_INDEX_DELAY_MS: '86400000' },
    ...profiled('off'),
  });
  started.push(off);
  const creates: Record<'on' | 'off', LoadResult[]> = { on: [], off: [] };
  const post = (t: Target, tag: string, title: string, warmUp = false) =>
    measure(ctx, title, t, ['/customers'], {
      method: 'POST',
      bodies: createBodies(tag, CREATE_BODIES),
      headers: { ...t.headers, 'content-type': 'application/json' },
      connections: CREATE_CONNECTIONS,
      warmUp,
      ...(setup.dbPids ? { dbPids: setup.dbPids } : {}),
      ...(warmUp ? { duration: Math.min(3, ctx.options.warmup) } : {}),
    });
  const runId = randomBytes(3).toString('hex');
  if (ctx.options.warmup > 0)
    for (const [w, t] of [
      ['on', on],
      ['off', off],
    ] as const)
      await post(t, `warm-${w}-${runId}`, `warm-up create ${w}`, true);
  for (let round = 1; round <= ctx.options.rounds; round++) {
    const order = round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const);
    for (const w of order) creates[w].push(await post(w === 'on' ? on : off, `r${round}-${w}-${runId}`, `${label} create search ${w} r${round}`));
  }
  const systemUs = (r: LoadResult) => r.cpuUsPerReq + (Number.isFinite(r.dbCpuUsPerReq) ? r.dbCpuUsPerReq : 0);
  const cpuRatio = medianRatio(creates.on, creates.off, systemUs);
  const serverRatio = medianRatio(creates.on, creates.off, (r) => r.cpuUsPerReq);
  const rpsRatio = medianRatio(creates.off, creates.on, (r) => r.rps);
  for (const w of ['off', 'on'] as const) {
    ctx.report.add({
      ...summarise(
        section,
        `create-search-${w}`,
        'POST /customers',
        creates[w],
        w === 'on' ? [check(`cpu/create on÷off${dialect === 'postgresql' ? ' (server+db)' : ''}`, cpuRatio, '<=', GOALS.search.createCpuRatio)] : [],
        w === 'on'
          ? `server-only cpu ratio ${fmtNum(serverRatio)}; req/s off÷on ${fmtNum(rpsRatio)}; ${CREATE_CONNECTIONS} conns; ${note}`
          : `search writes off, ${removed.length} search structures dropped; ${CREATE_CONNECTIONS} conns; ${note}`,
      ),
      p95: median(creates[w].filter(isValid).map((x) => x.p95)),
    });
  }
  ctx.log(
    `  ${label} create cpu per request on ÷ off: ${fmtNum(cpuRatio)} (server only ${fmtNum(serverRatio)}); p95 on ${fmtMs(median(creates.on.filter(isValid).map((x) => x.p95)))} ms`,
  );
}

function sqliteSetup(ctx: BenchContext, file: string): DialectSetup {
  const copy = (name: string) => workingCopy({ rows: 0, file, dir: path.dirname(file) }, ctx.runDir, name);
  const onDir = copy('search-sqlite-on');
  const offDir = copy('search-sqlite-off');
  return {
    dialect: 'sqlite',
    withSearch: { dataDir: onDir, env: {} },
    withoutSearch: { dataDir: offDir, env: {} },
    async stripSearch() {
      const db = new Database(path.join(offDir, 'carly.sqlite'));
      try {
        const gone = db
          .prepare(
            "select type, name from sqlite_master where tbl_name = 'customers' and ((type = 'trigger' and name like 'customers_search_%') or (type = 'index' and sql like '%_fold%'))",
          )
          .all() as { type: string; name: string }[];
        for (const g of gone) db.exec(`drop ${g.type} \`${g.name}\``);
        return gone.map((g) => `${g.type} ${g.name}`);
      } finally {
        db.close();
      }
    },
    async openEm() {
      const orm = await openDatabase({ kind: 'sqlite', file: path.join(onDir, 'carly.sqlite') });
      return { em: orm.em.fork() as unknown as EntityManager, close: () => orm.close(true) };
    },
  };
}

export const searchSection: Section = {
  name: 'search',
  description:
    'GET /customers/search per query shape at one connection (p50/p95/p99, rows read from the plan) beside a full-scan baseline, and POST /customers with vs without the search structures; SQLite and PostgreSQL (with TEST_DATABASE_URL or --pg-url); BENCH_SEARCH_ROWS rows',
  byDefault: false,
  async run(ctx) {
    const rows = searchRows();
    const only = process.env.BENCH_SEARCH_DB;
    if (only !== 'postgresql') {
      const dataset = await ensureDataset(rows, { rebuild: ctx.options.rebuild });
      await runDialect(ctx, rows, sqliteSetup(ctx, dataset.file));
      // The copies are large: free the disk before the next database.
      for (const d of ['search-sqlite-on', 'search-sqlite-off']) fs.rmSync(path.join(ctx.runDir, d), { recursive: true, force: true });
    }
    const adminUrl = ctx.options.pgUrl;
    if (only === 'sqlite') return;
    if (!adminUrl) {
      ctx.log('  PostgreSQL skipped: set TEST_DATABASE_URL (or --pg-url) to a PostgreSQL admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
      return;
    }
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(adminUrl).hostname))
      throw new Error('bench targets loopback only: the PostgreSQL URL must point at 127.0.0.1');
    const template = await ensurePgDataset(ctx, adminUrl, rows);
    const suffix = `${process.pid}_${randomBytes(3).toString('hex')}`;
    const onDb = `carly_bench_search_on_${suffix}`;
    const offDb = `carly_bench_search_off_${suffix}`;
    for (const db of [onDb, offDb]) await withClient(adminUrl, (c) => c.query(`create database "${db}" template "${template}"`));
    const dir = (n: string) => {
      const d = path.join(ctx.runDir, n);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    try {
      await runDialect(ctx, rows, {
        dialect: 'postgresql',
        withSearch: { dataDir: dir('search-pg-on'), env: { DATABASE_URL: withDb(adminUrl, onDb) } },
        withoutSearch: { dataDir: dir('search-pg-off'), env: { DATABASE_URL: withDb(adminUrl, offDb) } },
        stripSearch: () =>
          withClient(withDb(adminUrl, offDb), async (c) => {
            const gone = (
              await c.query<{ name: string }>(
                "select indexname as name from pg_indexes where tablename = 'customers' and schemaname = current_schema() and (indexdef like '%gin%' or indexdef like '%_fold%' or indexdef like '%search_words%')",
              )
            ).rows.map((r) => r.name);
            for (const n of gone) await c.query(`drop index "${n}"`);
            // New rows' queue for the search indexer (its dictionary writes): a create without search adds no row there.
            await c.query('drop trigger customers_search_pending on customers');
            return [...gone.map((n) => `index ${n}`), 'trigger customers_search_pending'];
          }),
        async openEm() {
          const orm = await openDatabase({ kind: 'postgresql', url: withDb(adminUrl, onDb) });
          return { em: orm.em.fork() as unknown as EntityManager, close: () => orm.close(true) };
        },
        // The backends serving the measured databases: their CPU is part of each request's cost.
        dbPids: () =>
          withClient(adminUrl, async (c) =>
            (await c.query<{ pid: number }>('select pid from pg_stat_activity where datname in ($1, $2)', [onDb, offDb])).rows.map((r) => r.pid),
          ),
      });
    } finally {
      for (const db of [onDb, offDb])
        await withClient(adminUrl, (c) => c.query(`drop database if exists "${db}" with (force)`)).catch((err) =>
          ctx.report.warn(`could not drop ${db}: ${err}`),
        );
    }
  },
};
