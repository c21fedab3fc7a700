import { ensureDataset, workingCopy } from '../dataset.js';
import type { LoadResult } from '../load.js';
import { getJson, measure, type Section, summarise } from '../section.js';
import { startCarly } from '../targets.js';

/** Rows of the search dataset: BENCH_SEARCH_ROWS (default 1,000,000; smaller for a quick check that it runs). */
const searchRows = () => Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000);

const path = (params: Record<string, string>) => `/customers/search?${new URLSearchParams({ ...params, limit: '50' }).toString()}`;

/**
 * The issue's shapes, over the bench generator's rows (names, phones, companies, cities, plans),
 * at one connection, beside a full-scan baseline (`country~` has no trigram index: every row is
 * read). p50 and p99 come from wrk; the shapes' index use is held by test/search-plan.test.ts.
 */
const SHAPES: { key: string; params: Record<string, string> }[] = [
  { key: 'q-1-word', params: { q: 'lovelace' } },
  { key: 'q-2-words', params: { q: 'ada love' } },
  { key: 'q-1-word-typo', params: { q: 'lovelase' } },
  { key: 'q-2-words-typo', params: { q: 'ada lovelase' } },
  { key: 'name-contains', params: { query: 'name~ovela' } },
  { key: 'phone-contains', params: { query: 'phone~7946004' } },
  { key: 'metadata-equals', params: { query: 'metadata["plan"]:team' } },
  { key: 'date-range', params: { query: 'created>=2019-01-02 created<2019-01-03' } },
  { key: 'boolean-4', params: { query: '(name~ada country:GB -company~bell) OR city:oslo' } },
  { key: 'full-scan-baseline', params: { query: 'country~gbr' } },
];

export const searchSection: Section = {
  name: 'search',
  description: 'GET /customers/search per query shape at one connection (p50/p99), beside a full-scan baseline; BENCH_SEARCH_ROWS rows',
  byDefault: false,
  async run(ctx) {
    const rows = searchRows();
    const dataset = await ensureDataset(rows, { rebuild: ctx.options.rebuild });
    const target = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'carly-search'), name: 'carly-search' });
    try {
      // Every shape answers first (a quick run checks them all even where wrk is missing).
      for (const shape of SHAPES) {
        const probe = await getJson(target.base + path(shape.params), target.headers);
        if (probe.status !== 200) throw new Error(`search preflight ${shape.key}: ${probe.status} ${probe.text.slice(0, 300)}`);
        ctx.log(`  ${shape.key}: ${probe.body?.items?.length ?? 0} items on the first page`);
      }
      for (const shape of SHAPES) {
        const p = path(shape.params);
        const runs: LoadResult[] = [];
        for (let round = 1; round <= ctx.options.rounds; round++)
          runs.push(await measure(ctx, `search ${shape.key} r${round}`, target, [p], { connections: 1 }));
        ctx.report.add(summarise('search', shape.key, `GET ${decodeURIComponent(p)}`, runs, [], `${rows.toLocaleString('en-US')} rows, 1 connection`));
      }
    } finally {
      await target.stop();
    }
  },
};
