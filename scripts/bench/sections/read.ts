import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import superjson from 'superjson';
import { emailFor, ensureDataset, sampleRows, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import type { LoadResult } from '../load.js';
import { check, fmtInt, fmtNum, median } from '../report.js';
import { type BenchContext, getJson, isValid, measure, medianRatio, type Section, summarise } from '../section.js';
import { startBare, startCarly, type Target } from '../targets.js';

export const restPath = (email: string) => `/customers/${encodeURIComponent(email)}`;
/** A single (unbatched) tRPC 11 query as httpLink sends it: ?input=encodeURIComponent(JSON.stringify(serialize(input))). */
export const trpcGetPath = (email: string) => `/trpc/customers.get?input=${encodeURIComponent(JSON.stringify(superjson.serialize({ email })))}`;

interface Variant {
  name: 'bare' | 'rest' | 'trpc' | 'restWarn';
  label: string;
  target: Target;
  paths: string[];
}

/** Dates as ISO strings, the way they look on REST after JSON.stringify. */
const asJson = (v: unknown) => JSON.parse(JSON.stringify(v));

/**
 * Before measuring, one request per variant for a few customers: all must be 200 and carry the
 * same customer, or the numbers would describe some other path (a 401, a 404, a wrong row).
 */
async function preflight(ctx: BenchContext, bare: Target, carly: Target, emails: string[]) {
  for (const email of emails) {
    const b = await getJson(bare.base + restPath(email));
    const r = await getJson(carly.base + restPath(email), carly.headers);
    const t = await getJson(carly.base + trpcGetPath(email), carly.headers);
    for (const [name, res] of [
      ['bare', b],
      ['rest', r],
      ['trpc', t],
    ] as const) {
      if (res.status !== 200) throw new Error(`preflight: ${name} GET for ${email} answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
    const trpcCustomer = asJson(superjson.deserialize(t.body?.result?.data));
    if (!isDeepStrictEqual(b.body, r.body))
      ctx.report.problem(`read preflight: REST body differs from the bare body for ${email}:\n  bare ${b.text}\n  rest ${r.text}`);
    if (!isDeepStrictEqual(b.body, trpcCustomer))
      ctx.report.problem(`read preflight: tRPC customer differs from the bare body for ${email}:\n  bare ${b.text}\n  trpc ${t.text}`);
  }
  if (carly.authenticated) {
    const anon = await getJson(carly.base + restPath(emails[0]!));
    ctx.log(`  auth: bearer token in use; without it GET /customers/{email} answers ${anon.status}`);
  } else {
    ctx.log('  auth: POST /auth/login answered 404, measuring without a token');
  }
}

export const readSection: Section = {
  name: 'read',
  description:
    "GET one customer by email: bare node:http + better-sqlite3 vs Carly REST vs Carly tRPC, at the default LOG_LEVEL (info) as npm start runs it; REST again at warn for the request log's share",
  byDefault: true,
  async run(ctx) {
    const { options } = ctx;
    const dataset = await ensureDataset(options.rows, { rebuild: options.rebuild });
    const rows = sampleRows(options.rows, 20_000);
    const emails = rows.map(emailFor);
    const bare = await startBare(path.join(workingCopy(dataset, ctx.runDir, 'read-bare'), 'carly.sqlite'));
    const carly = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'read-carly'), name: 'carly' });
    // The same server without its request log (one line per request at info): what the log costs a read.
    const carlyWarn = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'read-carly-warn'), name: 'carly-warn', env: { LOG_LEVEL: 'warn' } });
    try {
      // Include a "+tag" address: REST must percent-decode it.
      await preflight(ctx, bare, carly, [emails[0]!, emailFor(3), emailFor(options.rows - 1)]);
      const variants: Variant[] = [
        { name: 'bare', label: 'GET /customers/{email} (node:http)', target: bare, paths: emails.map(restPath) },
        { name: 'rest', label: 'GET /customers/{email}', target: carly, paths: emails.map(restPath) },
        { name: 'trpc', label: 'GET /trpc/customers.get?input=', target: carly, paths: emails.map(trpcGetPath) },
        { name: 'restWarn', label: 'GET /customers/{email}, LOG_LEVEL=warn', target: carlyWarn, paths: emails.map(restPath) },
      ];
      if (options.warmup > 0) {
        ctx.log(`  warm-up ${options.warmup} s per variant`);
        for (const v of variants) {
          await measure(ctx, `warm-up ${v.name}`, v.target, v.paths, { duration: options.warmup, warmUp: true });
        }
      }
      const runs: Record<Variant['name'], LoadResult[]> = { bare: [], rest: [], trpc: [], restWarn: [] };
      for (let round = 1; round <= options.rounds; round++) {
        ctx.log(`  round ${round}/${options.rounds}`);
        for (const v of variants) {
          runs[v.name].push(await measure(ctx, `read ${v.name} r${round}`, v.target, v.paths));
        }
      }
      // Ratios per round (same machine state), then the median: throughput (Carly ÷ bare), and
      // server CPU per request (bare µs ÷ Carly µs), which a busy machine or a slow driver skews less.
      const rpsRatio = (name: 'rest' | 'trpc') => medianRatio(runs[name], runs.bare, (r) => r.rps);
      const cpuRatio = (name: Exclude<Variant['name'], 'bare'>) => medianRatio(runs.bare, runs[name], (r) => r.cpuUsPerReq);
      const auth = carly.authenticated ? 'with bearer token' : 'no auth route (404)';
      const checks = (name: 'rest' | 'trpc', goal: number) => [
        check('cpu ratio', cpuRatio(name), '>=', goal),
        check('req/s ratio', rpsRatio(name), '>=', goal),
        check('p99 ms', median(runs[name].filter(isValid).map((r) => r.p99)), '<=', GOALS.read.p99Ms),
      ];
      const bareCpu = median(runs.bare.filter(isValid).map((r) => r.cpuUsPerReq));
      // The request log's share of a REST read at info, per round (same machine state), then the median.
      const logShare = 1 - medianRatio(runs.restWarn, runs.rest, (r) => r.cpuUsPerReq);
      ctx.report.add(
        summarise('read', 'bare', variants[0]!.label, runs.bare, [], `${options.rows.toLocaleString('en-US')} rows, ${options.connections} conns`),
      );
      ctx.report.add(
        summarise(
          'read',
          'rest',
          variants[1]!.label,
          runs.rest,
          checks('rest', GOALS.read.restRatio),
          `goal ≈ ${fmtInt(bareCpu / GOALS.read.restRatio)} µs/req; ${auth}; LOG_LEVEL=info, the log's share ${(logShare * 100).toFixed(0)}%`,
        ),
      );
      ctx.report.add(
        summarise('read', 'rest warn', variants[3]!.label, runs.restWarn, [], `cpu ratio ${fmtNum(cpuRatio('restWarn'))} without the request log (no target)`),
      );
      ctx.report.add(
        summarise(
          'read',
          'trpc',
          variants[2]!.label,
          runs.trpc,
          checks('trpc', GOALS.read.trpcRatio),
          `goal ≈ ${fmtInt(bareCpu / GOALS.read.trpcRatio)} µs/req; ${auth}`,
        ),
      );
    } finally {
      await Promise.all([bare.stop(), carly.stop(), carlyWarn.stop()]);
    }
  },
};
