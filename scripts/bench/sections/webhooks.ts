import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createScratchPostgres } from '../../lib/scratch-postgres.js';
import { processCpuUs, waitForQuiet } from '../cpu.js';
import { check, fmtInt, fmtNum, median } from '../report.js';
import type { BenchContext, Section } from '../section.js';
import { startCarly, type Target } from '../targets.js';

/**
 * Webhook delivery to a local receiver (node:http in the bench process, on loopback):
 * (a) throughput: 20 webhooks, 1,000 customers created at once (20,000 deliveries); measured
 *     while the backlog drains, after the creates finished; target ≥ 1,000 deliveries/s;
 * (b) latency: one webhook, 100 customer creates a second for 20 s; commit-to-delivery =
 *     arrival at the receiver − the event's occurredAt (stamped in the committing transaction);
 *     target p99 ≤ 100 ms.
 * SQLite always; PostgreSQL too when --pg-url (or TEST_DATABASE_URL) is set.
 */
const WEBHOOKS = 20;
const BURST_EVENTS = 1000;
const RATE = 100;
const RATE_SECONDS = 20;
const TARGETS = { deliveriesPerSecond: 1000, p99Ms: 100 };
/** Creates open at once in the latency run. */
const MAX_OPEN = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Arrival {
  at: number;
  body: string;
}

/** A receiver that answers 204 at once and remembers when each delivery arrived. */
export async function startReceiver(): Promise<{ url: string; arrivals: Arrival[]; close: () => Promise<void> }> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      arrivals.push({ at: Date.now(), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function call(target: Target, method: string, urlPath: string, body?: unknown) {
  const res = await fetch(target.base + urlPath, {
    method,
    headers: { ...target.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as any;
}

let n = 0;
const customer = () => ({ email: `hook-bench-${process.pid}-${++n}@example.com`, firstName: 'Bench', lastName: 'Hook' });

async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

async function settle(ctx: BenchContext) {
  if (ctx.options.settle <= 0) return;
  const quiet = await waitForQuiet(ctx.options.settle * 1000);
  if (quiet.waitedMs > 1500)
    ctx.log(`  (waited ${(quiet.waitedMs / 1000).toFixed(0)} s for other processes to go quiet; now ${quiet.cores.toFixed(2)} cores busy)`);
}

/** (a) deliveries/s while a 20,000-delivery backlog drains. */
async function throughput(ctx: BenchContext, target: Target, variant: string): Promise<void> {
  const receiver = await startReceiver();
  try {
    for (let i = 0; i < WEBHOOKS; i++) await call(target, 'POST', '/webhooks', { url: `${receiver.url}/w${i}`, events: ['*'] });
    await settle(ctx);
    let next = 0;
    const producer = async () => {
      while (next < BURST_EVENTS) {
        next++;
        await call(target, 'POST', '/customers', customer());
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, producer));
    const created = Date.now();
    const atCreated = receiver.arrivals.length;
    const cpuAtCreated = processCpuUs(target.child.proc.pid);
    const expected = WEBHOOKS * BURST_EVENTS;
    const complete = await waitFor(() => receiver.arrivals.length >= expected, 120_000);
    const cpuUs = processCpuUs(target.child.proc.pid) - cpuAtCreated;
    const last = receiver.arrivals[receiver.arrivals.length - 1]!.at;
    const drained = receiver.arrivals.length - atCreated;
    const cpuUsPerDelivery = cpuUs / drained;
    const rate = drained / ((last - created) / 1000);
    const overall = receiver.arrivals.length / ((last - started) / 1000);
    ctx.log(
      `  ${variant}: ${fmtInt(BURST_EVENTS)} creates in ${((created - started) / 1000).toFixed(1)} s (${fmtInt(atCreated)} deliveries meanwhile); ` +
        `then ${fmtInt(drained)} more in ${((last - created) / 1000).toFixed(1)} s = ${fmtInt(rate)} deliveries/s (overall ${fmtInt(overall)}/s); server CPU ${fmtInt(cpuUsPerDelivery)} µs per delivery`,
    );
    if (!complete) ctx.report.problem(`webhooks/${variant}: only ${receiver.arrivals.length} of ${expected} deliveries arrived within 2 minutes`);
    ctx.report.add({
      section: 'webhooks',
      variant,
      label: `deliveries/s, ${WEBHOOKS} webhooks, backlog draining`,
      rps: rate,
      cpuUsPerReq: cpuUsPerDelivery,
      requests: receiver.arrivals.length,
      checks: [check('deliveries/s', rate, '>=', TARGETS.deliveriesPerSecond)],
      note: `overall ${fmtInt(overall)}/s including the create phase`,
    });
    for (const hook of (await call(target, 'GET', '/webhooks')).items as { id: string }[]) await call(target, 'DELETE', `/webhooks/${hook.id}`);
  } finally {
    await receiver.close();
  }
}

/** (b) commit-to-delivery latency at a steady 100 events/s. */
async function latency(ctx: BenchContext, target: Target, variant: string): Promise<void> {
  const receiver = await startReceiver();
  try {
    await call(target, 'POST', '/webhooks', { url: `${receiver.url}/latency`, events: ['customer.created'] });
    await settle(ctx);
    const total = RATE * RATE_SECONDS;
    const start = Date.now();
    const inflight = new Set<Promise<unknown>>();
    let late = 0;
    for (let i = 0; i < total; i++) {
      // Open loop: each create is sent on its schedule, whatever the previous ones are doing
      // (up to MAX_OPEN at once: past that the server is not keeping up, and the run says so).
      const due = start + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      while (inflight.size >= MAX_OPEN) await Promise.race(inflight);
      if (Date.now() - due > 100) late++;
      const sent: Promise<unknown> = call(target, 'POST', '/customers', customer()).finally(() => inflight.delete(sent));
      inflight.add(sent);
    }
    await Promise.all(inflight);
    const achieved = total / ((Date.now() - start) / 1000);
    if (late > total / 100)
      ctx.report.warn(
        `webhooks/${variant}: ${late} of ${total} creates went out over 100 ms late (achieved ${fmtNum(achieved, 0)} events/s): the machine could not keep the rate`,
      );
    await waitFor(() => receiver.arrivals.length >= total, 30_000);
    const lags = receiver.arrivals
      .map((a) => a.at - Date.parse((JSON.parse(a.body) as { data: { occurredAt: string } }).data.occurredAt))
      .sort((a, b) => a - b);
    const p = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))]!;
    const p50 = median(lags);
    const p99 = p(0.99);
    ctx.log(
      `  ${variant}: ${fmtInt(lags.length)} deliveries at ${RATE} events/s: commit→delivery p50 ${fmtNum(p50, 0)} ms, p99 ${fmtNum(p99, 0)} ms, max ${fmtNum(lags[lags.length - 1]!, 0)} ms`,
    );
    if (lags.length < total) ctx.report.problem(`webhooks/${variant}: ${total - lags.length} of ${total} latency deliveries missing`);
    ctx.report.add({
      section: 'webhooks',
      variant,
      label: `commit→delivery at ${RATE} events/s`,
      p50,
      p99,
      requests: lags.length,
      checks: [check('p99 ms', p99, '<=', TARGETS.p99Ms)],
    });
  } finally {
    await receiver.close();
  }
}

export const webhooksSection: Section = {
  name: 'webhooks',
  description: 'webhook deliveries/s to a local receiver, and commit-to-delivery latency at 100 events/s (SQLite; PostgreSQL with --pg-url)',
  byDefault: false,
  async run(ctx) {
    const variants: { name: string; env: Record<string, string>; drop?: () => Promise<void> }[] = [{ name: 'sqlite', env: {} }];
    if (ctx.options.pgUrl) {
      const scratch = await createScratchPostgres(ctx.options.pgUrl);
      variants.push({ name: 'postgresql', env: { DATABASE_URL: scratch.url }, drop: scratch.drop });
    }
    for (const variant of variants) {
      const dataDir = path.join(ctx.runDir, `webhooks-${variant.name}`);
      fs.mkdirSync(dataDir, { recursive: true });
      const target = await startCarly({ dataDir, name: `carly-webhooks-${variant.name}`, env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', ...variant.env } });
      try {
        ctx.log(`webhooks on ${variant.name}:`);
        await throughput(ctx, target, variant.name);
        await latency(ctx, target, variant.name);
      } finally {
        await target.stop();
        await variant.drop?.();
      }
    }
  },
};
