import { randomBytes } from 'node:crypto';
import { type PacedResult, pacedRequests } from '../bulk.js';
import { emailFor, ensureDataset, sampleRows, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import type { LoadResult } from '../load.js';
import { check, fmtNum, median } from '../report.js';
import { type BenchContext, isValid, measure, medianRatio, type Section, summarise } from '../section.js';
import { startBareWrites, startCarly, type Target } from '../targets.js';

/** Distinct requests per measurement: more than any run sends, so no create repeats an email (no 409) and every PATCH changes something. */
const REQUESTS_PER_RUN = 50_000;

type Kind = 'create' | 'keyed' | 'patch';
const LABEL: Record<Kind, string> = {
  create: 'POST /customers',
  keyed: 'POST /customers, Idempotency-Key',
  patch: 'PATCH /customers/{email}',
};

let runs = 0;

/**
 * Creates per second in the p99 measurement (BENCH_WRITES_PACED_RATE): below what the floor and
 * Carly can do on the quiet box (~850/s and ~300/s), so the latency is a create's own, with what
 * stalls it, and not the queue of a saturated server.
 */
const PACED_RATE = Number(process.env.BENCH_WRITES_PACED_RATE ?? 100);
const CONNECTIONS = 50;
/** Seconds counted per paced measurement (at least): 1,000 creates at 100/s, so the p99 is not the 5th-slowest of 500. */
const PACED_SECONDS = 10;

/**
 * Create p99 at 50 steady connections: `PACED_RATE` creates a second spread over 50 keep-alive
 * connections for `PACED_SECONDS` (an open loop from the bench's process, apart from the server;
 * latency from each create's due time), the first 2 s not counted so every connection is open and
 * has answered.
 *
 * Why not wrk's p99: wrk keeps 50 connections saturated, and then a create waits for the 49 ahead
 * of it (Little's law: mean latency = 50 ÷ creates/s, ≥ 59 ms even for the floor at its quiet
 * ~1,180 µs per create); and each wrk run opens 50 new connections, whose first answers wait for
 * the busy event loop to accept them (docs/performance.md, "runtime"): in a 5 s run those 50 are
 * 1.5-3% of the answers, so wrk's p99 measured connection set-up, not creates.
 */
function pacedCreates(ctx: BenchContext, target: Target): Promise<PacedResult> {
  const run = `${randomBytes(3).toString('hex')}${++runs}`;
  const seconds = Math.max(PACED_SECONDS, ctx.options.duration);
  const bodies = Array.from({ length: PACED_RATE * (seconds + 3) }, (_, i) =>
    JSON.stringify({ email: `p${run}.${i}@example.com`, firstName: 'Bench', lastName: `Paced ${i}`, company: 'Floor Co' }),
  );
  return pacedRequests(target.base, { ...target.headers, 'content-type': 'application/json' }, 'POST', ['/customers'], bodies, {
    rate: PACED_RATE,
    connections: CONNECTIONS,
    maxSeconds: seconds,
    warmSeconds: 2,
  });
}

/** One load of `kind` against `target`: fresh emails (creates), fresh keys, or a company no earlier PATCH set. */
function load(ctx: BenchContext, target: Target, kind: Kind, emails: string[], title: string, duration?: number): Promise<LoadResult> {
  const run = `${randomBytes(3).toString('hex')}${++runs}`;
  const headers = { ...target.headers, 'content-type': 'application/json' };
  if (kind === 'patch') {
    const paths: string[] = [];
    const bodies: string[] = [];
    for (let k = 0; k < REQUESTS_PER_RUN; k++) {
      paths.push(`/customers/${encodeURIComponent(emails[k % emails.length]!)}`);
      bodies.push(JSON.stringify({ company: `Company ${run}-${k}` }));
    }
    return measure(ctx, title, target, paths, { method: 'PATCH', bodies, headers, ...(duration ? { duration, warmUp: true } : {}) });
  }
  const bodies = Array.from({ length: REQUESTS_PER_RUN }, (_, i) =>
    JSON.stringify({ email: `w${run}.${i}@example.com`, firstName: 'Bench', lastName: `Writer ${i}`, company: 'Floor Co' }),
  );
  return measure(ctx, title, target, ['/customers'], {
    method: 'POST',
    bodies,
    headers,
    ...(kind === 'keyed' ? { keys: Array.from({ length: REQUESTS_PER_RUN }, (_, i) => `w-${run}-${i}`) } : {}),
    ...(duration ? { duration, warmUp: true } : {}),
  });
}

/**
 * Issue 22's write floor: server CPU per create, per PATCH and per create with Idempotency-Key,
 * Carly (as `npm start` runs it: production mode, LOG_LEVEL=info) vs `bare-write-server.ts`
 * (node:http + better-sqlite3 doing the same durable work on a copy of the same migrated file),
 * per round then medianed; Carly again at LOG_LEVEL=warn, to show the request log's share; and
 * Carly with its hot writes through MikroORM (no write lane, at info), to show what the lane buys.
 * Then create p99 at 50 steady connections, paced (pacedCreates), floor and Carly at info.
 */
export const writesSection: Section = {
  name: 'writes',
  description: 'create, PATCH and keyed create: Carly (LOG_LEVEL info and warn) vs a bare node:http + better-sqlite3 floor doing the same durable work',
  byDefault: true,
  async run(ctx) {
    const { options } = ctx;
    const dataset = await ensureDataset(options.rows, { rebuild: options.rebuild });
    const emails = sampleRows(options.rows, 20_000, 7).map(emailFor);
    const floor = await startBareWrites(`${workingCopy(dataset, ctx.runDir, 'writes-floor')}/carly.sqlite`);
    const info = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'writes-info'), name: 'carly-info' });
    const warn = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'writes-warn'), name: 'carly-warn', env: { LOG_LEVEL: 'warn' } });
    // The same build with the hot writes through MikroORM (AppOptions.writeLane = false): what the write lane bought.
    const orm = await startCarly({
      dataDir: workingCopy(dataset, ctx.runDir, 'writes-orm'),
      name: 'carly-orm',
      entry: 'scripts/bench/events-server.ts',
      env: { BENCH_WRITE_LANE: 'false' },
    });
    const targets = { floor, info, warn, orm } as const;
    type Who = keyof typeof targets;
    try {
      if (options.warmup > 0) {
        for (const [who, t] of Object.entries(targets)) {
          for (const kind of ['create', 'patch'] as const) await load(ctx, t, kind, emails, `warm-up ${who} ${kind}`, options.warmup);
        }
      }
      const results: Record<Who, Record<Kind, LoadResult[]>> = {
        floor: { create: [], keyed: [], patch: [] },
        info: { create: [], keyed: [], patch: [] },
        warn: { create: [], keyed: [], patch: [] },
        orm: { create: [], keyed: [], patch: [] },
      };
      for (let round = 1; round <= options.rounds; round++) {
        ctx.log(`  round ${round}/${options.rounds}`);
        for (const kind of ['create', 'patch', 'keyed'] as const) {
          for (const who of ['floor', 'info', 'warn', 'orm'] as const) {
            results[who][kind].push(await load(ctx, targets[who], kind, emails, `${kind} ${who} r${round}`));
          }
        }
      }
      const paced: Record<'floor' | 'info', PacedResult[]> = { floor: [], info: [] };
      for (let round = 1; round <= options.rounds; round++) {
        for (const who of ['floor', 'info'] as const) {
          const r = await pacedCreates(ctx, targets[who]);
          ctx.log(
            `  paced create ${who} r${round}: ${PACED_RATE}/s over ${CONNECTIONS} steady connections, ${r.requests} creates: p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms` +
              (r.non2xx || r.errors ? `  NON-2XX ${r.non2xx} ERRORS ${r.errors} ${r.firstError ?? ''}` : ''),
          );
          if (r.non2xx || r.errors) ctx.report.problem(`writes: paced create (${who}) round ${round}: ${r.non2xx} non-2xx, ${r.errors} errors`);
          paced[who].push(r);
        }
      }
      const goal: Record<Kind, number> = { create: GOALS.writes.createRatio, patch: GOALS.writes.patchRatio, keyed: GOALS.writes.keyedCreateRatio };
      for (const kind of ['create', 'patch', 'keyed'] as const) {
        const cpu = (who: 'info' | 'warn' | 'orm') => medianRatio(results.floor[kind], results[who][kind], (r) => r.cpuUsPerReq);
        const us = (who: Who) => median(results[who][kind].filter(isValid).map((r) => r.cpuUsPerReq));
        const logShare = 1 - us('warn') / us('info');
        ctx.log(
          `  ${LABEL[kind]}: server CPU ${Math.round(us('floor'))} µs floor, ${Math.round(us('info'))} µs Carly at info, ${Math.round(us('warn'))} µs at warn; ` +
            `floor/Carly ${fmtNum(cpu('info'))} at info, ${fmtNum(cpu('warn'))} at warn; the request log's share at info ${(logShare * 100).toFixed(0)}%; ` +
            `without the write lane (ORM, info) ${Math.round(us('orm'))} µs, floor/Carly ${fmtNum(cpu('orm'))}`,
        );
        ctx.report.add(summarise('writes', 'floor', `${LABEL[kind]} (node:http)`, results.floor[kind]));
        ctx.report.add(
          summarise(
            'writes',
            'carly info',
            LABEL[kind],
            results.info[kind],
            [check('cpu ratio', cpu('info'), '>=', goal[kind])],
            `log share ${(logShare * 100).toFixed(0)}%`,
          ),
        );
        ctx.report.add(summarise('writes', 'carly warn', LABEL[kind], results.warn[kind], [check('cpu ratio', cpu('warn'), '>=', goal[kind])]));
        ctx.report.add(summarise('writes', 'carly orm', `${LABEL[kind]} (no write lane)`, results.orm[kind], [], `cpu ratio ${fmtNum(cpu('orm'))}`));
      }
      for (const who of ['floor', 'info'] as const) {
        const ok = paced[who].filter((r) => r.requests > 0 && !r.non2xx && !r.errors);
        const p99 = median(ok.map((r) => r.p99Ms));
        ctx.report.add({
          section: 'writes',
          variant: who === 'floor' ? 'floor' : 'carly info',
          label: `POST /customers, ${PACED_RATE}/s over ${CONNECTIONS} steady connections`,
          p50: median(ok.map((r) => r.p50Ms)),
          p99,
          requests: paced[who].reduce((n, r) => n + r.requests, 0),
          non2xx: paced[who].reduce((n, r) => n + r.non2xx, 0),
          errors: paced[who].reduce((n, r) => n + r.errors, 0),
          checks: who === 'info' ? [check('p99 ms', p99, '<=', GOALS.writes.createP99Ms)] : [],
        });
      }
    } finally {
      await Promise.all([floor.stop(), info.stop(), warn.stop(), orm.stop()]);
    }
  },
};
