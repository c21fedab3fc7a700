/**
 * /metrics label values are a finite set known at start (issue 14, item 2): a tRPC batch used to
 * add one `operation` value per distinct combination of procedure names, never freed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../server/trpc/root.js';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.close());

async function metrics(): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

const operationLabels = (text: string) => new Set([...text.matchAll(/operation="([^"]*)"/g)].map((m) => m[1]!));

/** The first `count` distinct comma-joined lists of two or three real procedure names. */
function batchCombinations(count: number): string[] {
  const names = Object.keys(appRouter._def.procedures).sort();
  const out: string[] = [];
  for (const a of names) for (const b of names) out.push(`${a},${b}`);
  for (const a of names) for (const b of names) for (const c of names) out.push(`${a},${b},${c}`);
  return out.slice(0, count);
}

describe('metrics labels', () => {
  it('knows every operation label at start: procedures on both wires, trpc:batch, trpc:unknown, service routes', async () => {
    const labels = operationLabels(await metrics());
    for (const [name, procedure] of Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { meta?: { openapi?: unknown } } }>)) {
      // A REST label for each procedure with a REST route (a subscription has none); a tRPC one for each.
      if (procedure._def.meta?.openapi) expect(labels, name).toContain(name);
      expect(labels, `trpc:${name}`).toContain(`trpc:${name}`);
    }
    for (const l of ['trpc:batch', 'trpc:unknown', 'descriptor', 'health', 'ready', 'metrics', 'openapi', 'unmatched']) expect(labels).toContain(l);
  });

  it('200 distinct batch combinations leave the set of label values unchanged, and each is counted', async () => {
    const before = operationLabels(await metrics());
    const combos = batchCombinations(200);
    expect(new Set(combos).size).toBe(200);
    for (const combo of combos) {
      const res = await fetch(`${server.url}/trpc/${combo}?batch=1`);
      await res.text();
      expect(res.status, combo).toBeGreaterThanOrEqual(200);
    }
    // Unknown names, with and without batch, and paths that are no procedure.
    for (const p of ['/trpc/no.such,thing?batch=1', '/trpc/auth.me,nope', '/trpc/nope', '/trpc/auth.me%2Cauth.me?batch=1', '/nowhere/at/all']) {
      await (await fetch(server.url + p)).text();
    }
    const text = await metrics();
    expect([...operationLabels(text)].sort()).toEqual([...before].sort());
    const batchCount = [...text.matchAll(/^carly_requests_total\{operation="trpc:batch",status="\d+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    expect(batchCount).toBe(200);
  });
});
