import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest, longest first (CI, 2 cores: docs/development.md). Vitest starts the
 * files an earlier run timed longest-first, but with no cache (a clean checkout, as in CI) it
 * orders them by size, and a short file that builds, packs or drives a browser could start last
 * and hold the run open alone. Those without a cached duration start in this order, first in their
 * project; the rest keep vitest's order.
 */
const HEAVY = [
  'test/import.test.ts',
  'test/admin.test.ts',
  'test/events.test.ts',
  'test/sdk-package.test.ts',
  'test/webhooks.instances.test.ts',
  'test/console.browser.test.ts',
  'test/npm-start.test.ts',
  'test/openapi.test.ts',
  'test/events-process.test.ts',
];

export class HeavyFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const file = path.relative(root, spec.moduleId).split(path.sep).join('/');
      if (this.ctx.cache.getFileTestResults(`${spec.project.name}:${file}`)) return HEAVY.length;
      const i = HEAVY.indexOf(file);
      return i < 0 ? HEAVY.length : i;
    };
    // Stable within each project (vitest runs the projects' groups in the base order).
    const projectOrder = new Map<string, number>();
    for (const spec of sorted) if (!projectOrder.has(spec.project.name)) projectOrder.set(spec.project.name, projectOrder.size);
    return sorted
      .map((spec, index) => ({ spec, index, project: projectOrder.get(spec.project.name)!, rank: rank(spec) }))
      .sort((a, b) => a.project - b.project || a.rank - b.rank || a.index - b.index)
      .map((entry) => entry.spec);
  }
}
