import fs from 'node:fs';
import path from 'node:path';
import { analyzeProfile, formatProfile } from '../cpuprofile.js';
import { BENCH_DIR, emailFor, ensureDataset, sampleRows, workingCopy } from '../dataset.js';
import { getJson, measure, type Section, summarise } from '../section.js';
import { startCarly } from '../targets.js';
import { mintCursors } from './list.js';
import { restPath, trpcGetPath } from './read.js';

/**
 * Carly under `node --cpu-prof`, once under REST load and once under tRPC load (GET one customer),
 * then under REST list-page load (GET /customers?limit=50&cursor=, random depths),
 * each in a fresh process so the profiles do not mix. Only the samples taken while the
 * measured load ran are analysed (V8's profile clock and process.hrtime are both CLOCK_MONOTONIC).
 * Profiles and summaries are kept in .bench/profiles/.
 */
export const profileSection: Section = {
  name: 'profile',
  description: 'CPU profiles of Carly under load (REST get, tRPC get, REST list page), aggregated by cost centre',
  byDefault: false,
  async run(ctx) {
    const { options } = ctx;
    const dataset = await ensureDataset(options.rows, { rebuild: options.rebuild });
    const emails = sampleRows(options.rows, 20_000).map(emailFor);
    const outDir = path.join(BENCH_DIR, 'profiles');
    fs.mkdirSync(outDir, { recursive: true });
    const variants = [
      { name: 'rest', label: 'GET /customers/{email}', paths: emails.map(restPath) },
      { name: 'trpc', label: 'GET /trpc/customers.get?input=', paths: emails.map(trpcGetPath) },
      { name: 'list', label: 'GET /customers?limit=50&cursor=', paths: mintCursors(options.rows, 2_000).map((c) => c.path) },
    ];
    for (const v of variants) {
      const profDir = path.join(ctx.runDir, `profile-${v.name}`);
      const carly = await startCarly({
        dataDir: workingCopy(dataset, ctx.runDir, `profile-${v.name}-data`),
        name: `carly-prof-${v.name}`,
        cpuProfDir: profDir,
      });
      let result;
      try {
        const probe = await getJson(carly.base + v.paths[0], carly.headers);
        if (probe.status !== 200) throw new Error(`profile preflight: ${v.name} answered ${probe.status}: ${probe.text.slice(0, 300)}`);
        if (options.warmup > 0) await measure(ctx, `warm-up profile ${v.name}`, carly, v.paths, { duration: options.warmup, warmUp: true });
        result = await measure(ctx, `profile ${v.name}`, carly, v.paths);
      } finally {
        // SIGTERM: main.ts closes and exits, and only then does --cpu-prof write the profile.
        await carly.stop();
      }
      const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) {
        ctx.report.problem(`profile ${v.name}: the server wrote no .cpuprofile (did it exit cleanly on SIGTERM?)`);
        continue;
      }
      const kept = path.join(outDir, `${v.name}.cpuprofile`);
      fs.copyFileSync(path.join(profDir, file), kept);
      const summary = analyzeProfile(kept, { fromUs: result.fromUs, toUs: result.toUs, top: 30 });
      const text = formatProfile(summary, result.requests, result.cpuUsPerReq);
      fs.writeFileSync(path.join(outDir, `${v.name}.summary.txt`), `${text}\n`);
      ctx.log(`\n--- profile: ${v.name} ${v.label} (${path.relative(process.cwd(), kept)}) ---\n${text}\n`);
      ctx.report.add(summarise('profile', v.name, v.label, [result], [], `under --cpu-prof; see .bench/profiles/${v.name}.summary.txt`));
    }
  },
};
