import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The label this route's requests are counted under in /metrics. */
    operation?: string;
  }
}

/**
 * Prometheus metrics: per-operation request count and latency, plus Node's process metrics.
 * Each app gets its own registry, so several apps in one process (tests) do not collide.
 */
export function registerMetrics(app: FastifyInstance, procedureNames: Set<string>, extra: Metric[] = []) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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

  app.addHook('onResponse', async (request, reply) => {
    const operation = operationOf(request.routeOptions.config.operation, request.url, request.routeOptions.url, procedureNames);
    requests.inc({ operation, status: String(reply.statusCode) });
    latency.observe({ operation }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { config: { operation: 'metrics' }, schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}

/** REST routes name their procedure; tRPC calls are named from the URL, bounded to known names. */
function operationOf(configured: string | undefined, url: string, routeUrl: string | undefined, known: Set<string>): string {
  if (configured) return configured;
  if (url.startsWith('/trpc/')) {
    const names = url.slice(6).split('?')[0]!.split(',');
    return names.every((n) => known.has(n)) ? `trpc:${names.join(',')}` : 'trpc:unknown';
  }
  return routeUrl ?? 'unmatched';
}
