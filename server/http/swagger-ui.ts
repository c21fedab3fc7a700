import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** Swagger UI at /api/ui/, every asset served from this process (no CDN), for the static document. */
export async function registerSwaggerUi(app: FastifyInstance, document: object) {
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, {
    routePrefix: '/api/ui',
    uiConfig: { persistAuthorization: false, displayRequestDuration: true, validatorUrl: null, tryItOutEnabled: true },
    staticCSP: true,
    // Keep helmet's strict policy; Swagger UI's inline bootstrap script is replaced by a static file.
    transformStaticCSP: (header) => header,
  });
}
