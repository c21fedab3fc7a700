/**
 * The docs that ship with the code stay true: docs/api.md names exactly the REST operations of
 * openapi.json, the README's configuration table names exactly the variables server/config.ts
 * reads, and every relative link in the README, docs/ and the SDK README points at a file inside
 * the repository (a clone has no ../shared).
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

  it('every relative link in the README, docs/ and the SDK README stays inside the repository and exists', () => {
    const pages = [
      'README.md',
      'client-sdk/README.md',
      ...fs
        .readdirSync(path.join(ROOT, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    let checked = 0;
    for (const page of pages) {
      for (const [, target] of read(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue; // http(s), mailto: not files
        const resolved = path.resolve(ROOT, path.dirname(page), target!);
        expect(resolved.startsWith(ROOT + path.sep), `${page} links ${target}, outside the repository (a clone has no such file)`).toBe(true);
        expect(fs.existsSync(resolved), `${page} links ${target}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

/** Service routes of the API page that are not procedures (no OpenAPI operation). */
const SERVICE_ROUTES = new Set(['GET /', 'GET /api/openapi.json', 'GET /api/ui/', 'GET /health', 'GET /ready', 'GET /metrics', 'GET /reset', 'GET /verify']);
