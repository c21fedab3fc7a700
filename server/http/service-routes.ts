import type { FastifyInstance } from 'fastify';
import type { MikroORM } from '@mikro-orm/core';

/** The routes that describe and watch the service rather than serve its data. */
export function registerServiceRoutes(app: FastifyInstance, orm: MikroORM, dialect: string, version: string, openapi: object) {
  app.get('/', { config: { operation: 'descriptor' } }, async () => ({
    name: 'carly',
    description: 'Customer records and the accounts that own them',
    version,
    links: { docs: '/api/ui/', openapi: '/api/openapi.json', trpc: '/trpc', health: '/health', ready: '/ready', metrics: '/metrics' },
  }));

  const openapiJson = JSON.stringify(openapi);
  app.get('/api/openapi.json', { config: { operation: 'openapi' } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(openapiJson),
  );

  app.get('/health', { config: { operation: 'health' } }, async () => ({ status: 'ok' }));

  app.get('/ready', { config: { operation: 'ready' } }, async (_request, reply) => {
    try {
      await orm.em.getConnection().execute('select 1');
      return { status: 'ready', database: { kind: dialect, ok: true } };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: { kind: dialect, ok: false } });
    }
  });
}
