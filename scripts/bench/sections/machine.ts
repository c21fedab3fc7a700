import { randomBytes } from 'node:crypto';
import { emailFor, ensureDataset, sampleRows, workingCopy } from '../dataset.js';
import { GOALS } from '../goals.js';
import type { LoadResult } from '../load.js';
import { check } from '../report.js';
import { getJson, measure, medianRatio, type Section, summarise } from '../section.js';
import { startCarly } from '../targets.js';
import { restPath } from './read.js';

/**
 * What machine callers pay (issue 9), on one Carly instance, each variant against its own
 * baseline measured in the same round:
 * - `GET /customers/{email}` with an API key vs the same read with a person's JWT (target ≥ 0.95);
 * - `POST /customers` with a fresh Idempotency-Key per request vs without one (target ≥ 0.8).
 *   Every create has its own email, so neither variant answers 409; the keyed one claims and
 *   completes a record per request (the replay path is never what is measured).
 */
export const machineSection: Section = {
  name: 'machine',
  description: 'API key vs JWT reads; POST /customers with vs without Idempotency-Key',
  byDefault: false,
  async run(ctx) {
    const { options } = ctx;
    const dataset = await ensureDataset(options.rows, { rebuild: options.rebuild });
    const emails = sampleRows(options.rows, 20_000).map(emailFor);
    const carly = await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, 'machine'), name: 'carly' });
    try {
      const created = await fetch(`${carly.base}/api-keys`, {
        method: 'POST',
        headers: { ...carly.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench', scopes: ['customers:read', 'customers:write'] }),
      });
      if (created.status !== 200) throw new Error(`machine: POST /api-keys answered ${created.status}: ${(await created.text()).slice(0, 300)}`);
      const keyHeaders = { authorization: `Bearer ${((await created.json()) as { secret: string }).secret}` };
      for (const headers of [carly.headers, keyHeaders]) {
        const probe = await getJson(carly.base + restPath(emails[0]!), headers);
        if (probe.status !== 200) throw new Error(`machine preflight: GET answered ${probe.status}: ${probe.text.slice(0, 300)}`);
      }
      const reads = emails.map(restPath);
      // Enough distinct creates for every request of every round (no 409, no replay).
      const run = randomBytes(4).toString('hex');
      const creates = (tag: string) =>
        Array.from({ length: 200_000 }, (_, i) => JSON.stringify({ email: `m${run}.${tag}.${i}@example.com`, firstName: 'Bench', lastName: `Machine${i}` }));
      const runs: Record<'jwt' | 'apiKey' | 'plain' | 'keyed', LoadResult[]> = { jwt: [], apiKey: [], plain: [], keyed: [] };
      for (let round = 1; round <= options.rounds; round++) {
        ctx.log(`  round ${round}/${options.rounds}`);
        runs.jwt.push(await measure(ctx, `read jwt r${round}`, carly, reads));
        runs.apiKey.push(await measure(ctx, `read api key r${round}`, carly, reads, { headers: keyHeaders }));
        runs.plain.push(
          await measure(ctx, `create r${round}`, carly, ['/customers'], {
            method: 'POST',
            bodies: creates(`p${round}`),
            headers: { ...keyHeaders, 'content-type': 'application/json' },
          }),
        );
        runs.keyed.push(
          await measure(ctx, `create keyed r${round}`, carly, ['/customers'], {
            method: 'POST',
            bodies: creates(`k${round}`),
            keys: Array.from({ length: 200_000 }, (_, i) => `bench-${run}-${round}-${i}`),
            headers: { ...keyHeaders, 'content-type': 'application/json' },
          }),
        );
      }
      const ratio = (a: LoadResult[], b: LoadResult[]) => ({
        rps: medianRatio(a, b, (r) => r.rps),
        cpu: medianRatio(b, a, (r) => r.cpuUsPerReq),
      });
      const read = ratio(runs.apiKey, runs.jwt);
      const create = ratio(runs.keyed, runs.plain);
      ctx.report.add(summarise('machine', 'jwt', 'GET /customers/{email}, JWT', runs.jwt));
      ctx.report.add(
        summarise('machine', 'apiKey', 'GET /customers/{email}, API key', runs.apiKey, [
          check('req/s ratio', read.rps, '>=', GOALS.machine.apiKeyReadRatio),
          check('cpu ratio', read.cpu, '>=', GOALS.machine.apiKeyReadRatio),
        ]),
      );
      ctx.report.add(summarise('machine', 'plain', 'POST /customers', runs.plain));
      ctx.report.add(
        summarise('machine', 'keyed', 'POST /customers, Idempotency-Key', runs.keyed, [
          check('req/s ratio', create.rps, '>=', GOALS.machine.keyedCreateRatio),
          check('cpu ratio', create.cpu, '>=', GOALS.machine.keyedCreateRatio),
        ]),
      );
    } finally {
      await carly.stop();
    }
  },
};
