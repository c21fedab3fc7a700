import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, type Metric, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The label this route's requests are counted under in /metrics. */
    operation?: string;
  }
}

/** Labels of requests that matched no route. */
const UNMATCHED = 'unmatched';
const TRPC_BATCH = 'trpc:batch';
const TRPC_UNKNOWN = 'trpc:unknown';

/** How often the event-loop lag is sampled (`nodejs_eventloop_lag_*`). */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * Prometheus metrics: per-operation request count and latency, plus Node's process metrics.
 * Each app gets its own registry, so several apps in one process (tests) do not collide.
 *
 * The `operation` label takes values from a finite set known once the routes are registered:
 * each route's operation (REST procedures, service routes, pages) or path pattern, each procedure
 * as `trpc:<name>`, `trpc:batch` for any tRPC batch, `trpc:unknown`, and `unmatched`. A label value
 * built from the URL (a batch's list of names) would grow without bound and never be freed.
 * Every value is created at start (at zero), so the set never changes while the process serves.
 */
export function registerMetrics(app: FastifyInstance, procedureNames: Set<string>, extra: Metric[] = []): Registry {
  const registry = new Registry();
  // The event-loop lag histogram samples every 100 ms instead of prom-client's 10: its timer wakes
  // the event loop on each sample, so at 10 ms an idle server woke ~110 times a second (measured:
  // 1,106 voluntary context switches in 10 s) and a server at a trickle of requests paid a wake-up
  // between most of them. 100 ms still gives the lag's percentiles per scrape.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  for (const metric of extra) registry.registerMetric(metric);
  const requests = new Counter({
    name: 'carly_requests_total',
    help: 'Requests answered, by operation and status',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'carly_request_duration_seconds',
    help: 'Time to answer a request, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  const known = new Set<string>([TRPC_BATCH, TRPC_UNKNOWN, UNMATCHED, ...[...procedureNames].map((n) => `trpc:${n}`)]);
  app.addHook('onRoute', (route) => {
    // The tRPC route's label comes from its procedure (above); every other route labels itself.
    if (route.url.startsWith('/trpc/')) return;
    known.add(route.config?.operation ?? route.url);
  });
  app.addHook('onReady', async () => {
    for (const operation of known) latency.zero({ operation });
  });

  app.addHook('onResponse', async (request, reply) => {
    const named = operationOf(request.routeOptions.config.operation, request.url, request.routeOptions.url, procedureNames);
    // Never a value that was not there at start, whatever route or URL produced it.
    const operation = known.has(named) ? named : UNMATCHED;
    requests.inc({ operation, status: String(reply.statusCode) });
    latency.observe({ operation }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { config: { operation: 'metrics' }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}

/** REST and service routes name their operation; tRPC calls are named from the URL, bounded to known names. */
function operationOf(configured: string | undefined, url: string, routeUrl: string | undefined, known: Set<string>): string {
  if (configured) return configured;
  if (url.startsWith('/trpc/')) {
    const path = url.slice(6).split('?')[0]!;
    if (path.includes(',')) return path.split(',').every((n) => known.has(n)) ? TRPC_BATCH : TRPC_UNKNOWN;
    return known.has(path) ? `trpc:${path}` : TRPC_UNKNOWN;
  }
  return routeUrl ?? UNMATCHED;
}
