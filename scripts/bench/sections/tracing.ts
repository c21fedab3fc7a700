import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startOtlpReceiver } from '../../lib/otlp-receiver.js';
import { emailFor, ensureDataset, REPO_ROOT, sampleRows, workingCopy } from '../dataset.js';
import type { LoadResult } from '../load.js';
import { fmtNum } from '../report.js';
import { type BenchContext, measure, medianRatio, type Section, summarise } from '../section.js';
import { startCarly, type Target } from '../targets.js';
import { restPath } from './read.js';

/** Every OpenTelemetry variable emptied (empty counts as unset), so the bench's own environment cannot turn tracing on. */
const TRACING_UNSET = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_TRACES_SAMPLER: '', OTEL_TRACES_SAMPLER_ARG: '' };

interface Variant {
  name: 'absent' | 'off' | 'on' | 'sampled';
  label: string;
  env: Record<string, string>;
  root?: string;
}

/**
 * A checkout of `ref` (a commit without tracing) beside the run's data, sharing this checkout's
 * node_modules; removed again by the returned function.
 */
function checkoutBaseline(ref: string, runDir: string): { root: string; remove: () => void } {
  const root = path.join(runDir, 'tracing-baseline');
  execFileSync('git', ['worktree', 'add', '--detach', root, ref], { cwd: REPO_ROOT, stdio: 'ignore' });
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  return { root, remove: () => execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: REPO_ROOT, stdio: 'ignore' }) };
}

/**
 * What tracing costs: GET /customers/{email} (REST, bearer token) on the same data with tracing
 * absent (a checkout of TRACING_BASELINE, a commit before tracing existed; skipped when unset),
 * off (no OTLP endpoint), on (every request traced, protobuf to an OTLP receiver in the bench
 * process) and sampled (10% of traces, parentbased_traceidratio). Rounds alternate the variants.
 */
export const tracingSection: Section = {
  name: 'tracing',
  description: 'GET /customers/{email} with OpenTelemetry tracing absent (TRACING_BASELINE=<commit>), off, on, and 10% sampled',
  byDefault: false,
  async run(ctx: BenchContext) {
    const { options } = ctx;
    const dataset = await ensureDataset(options.rows, { rebuild: options.rebuild });
    const paths = sampleRows(options.rows, 20_000).map(emailFor).map(restPath);
    // One receiver per traced variant, so each one's spans per request can be told apart.
    const receivers = { on: await startOtlpReceiver({ countOnly: true }), sampled: await startOtlpReceiver({ countOnly: true }) };
    const variants: Variant[] = [];
    const baselineRef = process.env.TRACING_BASELINE;
    const baseline = baselineRef ? checkoutBaseline(baselineRef, ctx.runDir) : undefined;
    if (baseline) variants.push({ name: 'absent', label: `absent (${baselineRef})`, env: TRACING_UNSET, root: baseline.root });
    else ctx.log('  TRACING_BASELINE unset: no "absent" variant (set it to a commit before tracing, e.g. TRACING_BASELINE=865f009)');
    variants.push(
      { name: 'off', label: 'off (no endpoint)', env: TRACING_UNSET },
      { name: 'on', label: 'on, every request', env: { ...TRACING_UNSET, OTEL_EXPORTER_OTLP_ENDPOINT: receivers.on.url } },
      {
        name: 'sampled',
        label: 'on, 10% sampled',
        env: {
          ...TRACING_UNSET,
          OTEL_EXPORTER_OTLP_ENDPOINT: receivers.sampled.url,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
        },
      },
    );
    const targets = new Map<Variant['name'], Target>();
    try {
      for (const v of variants) {
        targets.set(
          v.name,
          await startCarly({ dataDir: workingCopy(dataset, ctx.runDir, `tracing-${v.name}`), name: `carly-${v.name}`, env: v.env, root: v.root }),
        );
      }
      if (options.warmup > 0) {
        ctx.log(`  warm-up ${options.warmup} s per variant`);
        for (const v of variants) await measure(ctx, `warm-up ${v.name}`, targets.get(v.name)!, paths, { duration: options.warmup, warmUp: true });
      }
      const runs = new Map<Variant['name'], LoadResult[]>(variants.map((v) => [v.name, []]));
      for (let round = 1; round <= options.rounds; round++) {
        ctx.log(`  round ${round}/${options.rounds}`);
        for (const v of variants) {
          const result = await measure(ctx, `tracing ${v.name} r${round}`, targets.get(v.name)!, paths);
          runs.get(v.name)!.push(result);
        }
      }
      // Stop the servers first: a traced one's shutdown sends the spans it still holds.
      await Promise.all(variants.map((v) => targets.get(v.name)!.stop()));
      targets.clear();
      const spansPerRequest = (name: 'on' | 'sampled') => {
        const spans = receivers[name].requests.reduce((n, r) => n + r.spans, 0);
        // Warm-up and the login are not counted as requests: the figure reads a little high.
        const requests = runs.get(name)!.reduce((n, r) => n + r.requests, 0);
        return { spans, perRequest: spans / Math.max(1, requests) };
      };

      for (const v of variants) {
        const own = runs.get(v.name)!;
        const cpuRatio = medianRatio(own, runs.get('off')!, (r) => r.cpuUsPerReq);
        const rpsRatio = medianRatio(own, runs.get('off')!, (r) => r.rps);
        const vsAbsent = baseline && v.name !== 'absent' ? `; cpu vs absent ${fmtNum(medianRatio(own, runs.get('absent')!, (r) => r.cpuUsPerReq))}` : '';
        const exported = v.name === 'on' || v.name === 'sampled' ? `; ${fmtNum(spansPerRequest(v.name).perRequest)} spans/req exported` : '';
        const note = v.name === 'off' ? `reference${vsAbsent}` : `cpu vs off ${fmtNum(cpuRatio)}, req/s vs off ${fmtNum(rpsRatio)}${vsAbsent}${exported}`;
        ctx.report.add(summarise('tracing', v.name, `GET /customers/{email}, tracing ${v.label}`, own, [], note));
      }
      for (const name of ['on', 'sampled'] as const) {
        const { spans, perRequest } = spansPerRequest(name);
        ctx.log(`  ${name}: the OTLP receiver got ${spans.toLocaleString('en-US')} spans, ${fmtNum(perRequest)} per measured request`);
      }
    } finally {
      await Promise.all([...targets.values()].map((t) => t.stop()));
      await Promise.all([receivers.on.close(), receivers.sampled.close()]);
      baseline?.remove();
    }
  },
};
