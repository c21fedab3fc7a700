import { CursorCodec } from '../../../server/customers/cursor.js';
import { deriveKey } from '../../../server/secrets.js';
import { createdAtFor, emailFor, ensureDataset, sampleRows, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import type { LoadResult } from '../load.js';
import { check, median } from '../report.js';
import { type BenchContext, getJson, isValid, measure, medianRatio, type Section, summarise } from '../section.js';
import { BENCH_JWT_SECRET, startCarly, type Target } from '../targets.js';

const PAGE = 50;
const firstPagePath = `/customers?limit=${PAGE}`;
const cursorPath = (cursor: string) => `/customers?limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`;

/**
 * Cursors at random depths of the default sort (-createdAt), signed as the server signs them
 * (its key derives from JWT_SECRET, which the bench sets), so a page deep in a 1M table can be
 * asked for without walking 20,000 pages. Row i's successor in -createdAt order is row i - 1.
 */
export function mintCursors(rows: number, count: number): { path: string; expectFirst: string }[] {
  const codec = new CursorCodec(deriveKey(Buffer.from(BENCH_JWT_SECRET, 'utf8'), 'customers.cursor'));
  return sampleRows(rows, count, 7)
    .filter((i) => i > PAGE + 10)
    .map((i) => ({
      path: cursorPath(codec.encode({ sort: '-createdAt', q: null, value: createdAtFor(i), id: i + 1 })),
      expectFirst: emailFor(i - 1),
    }));
}

/** Fallback when the server refuses minted cursors (its format changed): follow nextCursor from page 1. */
async function walkCursors(target: Target, pages: number): Promise<string[]> {
  const out: string[] = [];
  let next: string | null = null;
  for (let p = 0; p < pages; p++) {
    const res = await getJson(target.base + (next ? cursorPath(next) : firstPagePath), target.headers);
    if (res.status !== 200) throw new Error(`walking pages: ${res.status} ${res.text.slice(0, 300)}`);
    next = res.body?.nextCursor ?? null;
    if (!next) break;
    out.push(cursorPath(next));
  }
  return out;
}

interface Side {
  rows: number;
  target: Target;
  cursorPaths: string[];
  how: string;
}

async function prepareSide(ctx: BenchContext, rows: number, name: string): Promise<Side> {
  const dataset = await ensureDataset(rows, { rebuild: ctx.options.rebuild });
  const target = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, name), name });
  try {
    const first = await getJson(target.base + firstPagePath, target.headers);
    if (first.status !== 200) throw new Error(`preflight: GET ${firstPagePath} on ${rows} rows answered ${first.status}: ${first.text.slice(0, 300)}`);
    if (first.body?.items?.length !== PAGE) {
      ctx.report.problem(`list preflight (${rows} rows): the first page has ${first.body?.items?.length} items, not ${PAGE}`);
    } else if (first.body.items[0]?.email !== emailFor(rows - 1)) {
      ctx.log(`  ${name}: note: the newest customer is ${first.body.items[0]?.email}, not the newest generated row (did the server add customers?)`);
    }
    const minted = mintCursors(rows, 2_000);
    const probe = await getJson(target.base + minted[0]!.path, target.headers);
    if (probe.status === 200 && probe.body?.items?.[0]?.email === minted[0]!.expectFirst && probe.body.items.length === PAGE) {
      return { rows, target, cursorPaths: minted.map((m) => m.path), how: 'cursors at random depths' };
    }
    ctx.log(`  ${name}: a minted cursor was not accepted as expected (${probe.status} ${probe.text.slice(0, 200)}); walking pages from the start instead`);
    const walked = await walkCursors(target, 200);
    if (walked.length === 0) throw new Error(`${name}: no cursor to measure with`);
    return { rows, target, cursorPaths: walked, how: `cursors of the first ${walked.length} pages (walked)` };
  } catch (err) {
    await target.stop();
    throw err;
  }
}

export const listSection: Section = {
  name: 'list',
  description: 'GET /customers?limit=50 (first page and a cursor page): p99 at a small vs a large table',
  byDefault: true,
  async run(ctx) {
    const [smallRows, largeRows] = ctx.options.listRows;
    const label = (n: number) => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
    const small = await prepareSide(ctx, smallRows, `carly-${label(smallRows)}`);
    let large: Side;
    try {
      large = await prepareSide(ctx, largeRows, `carly-${label(largeRows)}`);
    } catch (err) {
      await small.target.stop();
      throw err;
    }
    try {
      const variants = [
        { key: `first-${label(smallRows)}`, side: small, paths: [firstPagePath] },
        { key: `first-${label(largeRows)}`, side: large, paths: [firstPagePath] },
        { key: `cursor-${label(smallRows)}`, side: small, paths: small.cursorPaths },
        { key: `cursor-${label(largeRows)}`, side: large, paths: large.cursorPaths },
      ];
      if (ctx.options.warmup > 0) {
        for (const v of variants) {
          await measure(ctx, `warm-up list ${v.key}`, v.side.target, v.paths, { duration: ctx.options.warmup, warmUp: true });
        }
      }
      const runs = new Map<string, LoadResult[]>(variants.map((v) => [v.key, []]));
      for (let round = 1; round <= ctx.options.rounds; round++) {
        ctx.log(`  round ${round}/${ctx.options.rounds}`);
        for (const v of variants) {
          runs.get(v.key)!.push(await measure(ctx, `list ${v.key} r${round}`, v.side.target, v.paths));
        }
      }
      for (const kind of ['first', 'cursor'] as const) {
        const s = runs.get(`${kind}-${label(smallRows)}`)!;
        const l = runs.get(`${kind}-${label(largeRows)}`)!;
        const p99Ratio = medianRatio(l, s, (r) => r.p99);
        const what = kind === 'first' ? `GET /customers?limit=${PAGE}` : `GET /customers?limit=${PAGE}&cursor=`;
        const cpu = (runs: LoadResult[]) => check('cpu µs/page', median(runs.filter(isValid).map((r) => r.cpuUsPerReq)), '<=', GOALS.list.cpuUsPerPage);
        ctx.report.add(summarise('list', `${kind}-${label(smallRows)}`, what, s, [cpu(s)], kind === 'cursor' ? small.how : undefined));
        ctx.report.add(
          summarise(
            'list',
            `${kind}-${label(largeRows)}`,
            what,
            l,
            [cpu(l), check(`p99 ratio ${label(largeRows)}/${label(smallRows)}`, p99Ratio, '<=', GOALS.list.p99Ratio)],
            kind === 'cursor' ? large.how : undefined,
          ),
        );
      }
    } finally {
      await Promise.all([small.target.stop(), large.target.stop()]);
    }
  },
};
