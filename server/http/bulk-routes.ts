import type { FastifyInstance } from 'fastify';
import { type ExportRouteDeps, exportRoute } from './bulk-export-route.js';
import { type BulkRouteDeps, importRoute } from './bulk-import-route.js';

/**
 * The two streaming REST routes (not procedures: a streamed body, a streamed answer), in a scope
 * of their own whose body parser hands the request stream on unread: the import reads it as it
 * arrives, up to IMPORT_MAX_BYTES (the body guard leaves `streamedBody` routes alone).
 */
export async function registerBulkRoutes(app: FastifyInstance, deps: BulkRouteDeps & ExportRouteDeps) {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.post('/customers/import', { config: { operation: 'customers.import', streamedBody: true } }, (request, reply) => importRoute(deps, request, reply));
    scope.get('/customers/export', { config: { operation: 'customers.bulkExport' } }, (request, reply) => exportRoute(deps, request, reply));
  });
}
