import type { MikroORM } from '@mikro-orm/core';
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from './openapi-document.js';

/** How long /ready waits for the database before answering 503. */
const READY_TIMEOUT_MS = 2000;

/** The routes that describe and watch the service rather than serve its data. */
export function registerServiceRoutes(app: FastifyInstance, orm: MikroORM, dialect: string, version: string, openapi: OpenApiDocument) {
  app.get('/', { config: { operation: 'descriptor' } }, async () => ({
    name: 'carly',
    description: 'Customer records and the accounts that own them',
    version,
    links: { docs: '/api/ui/', openapi: '/api/openapi.json', trpc: '/trpc', health: '/health', ready: '/ready', metrics: '/metrics' },
  }));

  app.get('/api/openapi.json', { config: { operation: 'openapi' } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(await openapi.json()),
  );

  app.get('/health', { config: { operation: 'health' } }, async () => ({ status: 'ok' }));

  // Ready when the database answers a round trip, and quickly: a database that hangs (or a
  // pool with no free connection) makes the instance unready rather than the probe wait.
  app.get('/ready', { config: { operation: 'ready' } }, async (_request, reply) => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
    try {
      await Promise.race([
        orm.em.getConnection().execute('select 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
        }),
      ]);
      return { status: 'ready', database: { kind: dialect, ok: true, latencyMs: elapsed() } };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: { kind: dialect, ok: false, latencyMs: elapsed() } });
    } finally {
      clearTimeout(timer);
    }
  });
}
