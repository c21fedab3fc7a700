/**
 * The docs that ship with the code stay true: docs/api.md names exactly the REST operations of
 * openapi.json, the README's configuration table names exactly the variables server/config.ts
 * reads, and every docs/ page the README links exists.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../server/config.js';
import { ROOT } from './helpers/process.js';

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('docs', () => {
  it('docs/api.md names every REST operation of openapi.json, and no other', () => {
    const doc = JSON.parse(read('openapi.json')) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    // Table cells of the form `METHOD /path` (a query string after ? is not part of the operation).
    const named = [...read('docs/api.md').matchAll(/^\|\s*`(GET|POST|PUT|PATCH|DELETE) (\/[^`?\s]*)[^`]*`\s*\|/gm)]
      .map((m) => `${m[1]} ${m[2]}`)
      .filter((op) => !SERVICE_ROUTES.has(op));
    expect([...new Set(named)].sort()).toEqual(documented);
  });

  it("the README's configuration table names every variable the server reads, and no other", () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const named = [...table.matchAll(/^\|\s*(`[A-Z_]+`(?:,\s*`[A-Z_]+`)*)\s*\|/gm)].flatMap((m) => [...m[1]!.matchAll(/`([A-Z_]+)`/g)].map((v) => v[1]!));
    expect(named.sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('every docs/ page the README links exists', () => {
    const links = [...read('README.md').matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) expect(fs.existsSync(path.join(ROOT, link)), link).toBe(true);
  });
});

/** Service routes of the API page that are not procedures (no OpenAPI operation). */
const SERVICE_ROUTES = new Set(['GET /', 'GET /api/openapi.json', 'GET /api/ui/', 'GET /health', 'GET /ready', 'GET /metrics', 'GET /reset', 'GET /verify']);
