import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">' +
  '<text x="0" y="30" font-family="sans-serif" font-size="28" font-weight="700" fill="#ffffff">Carly</text></svg>';

/** Swagger UI at /api/ui/, every asset served from this process (no CDN), for the static document. */
export async function registerSwaggerUi(app: FastifyInstance, document: object) {
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, {
    routePrefix: '/api/ui',
    uiConfig: { persistAuthorization: false, displayRequestDuration: true, validatorUrl: null, tryItOutEnabled: true },
    // helmet's policy (script-src 'self', inline styles allowed) already fits: Swagger UI boots
    // from a static swagger-initializer.js; its own staticCSP would forbid the inline styles it sets.
    staticCSP: false,
    theme: { title: 'Carly API' },
    logo: { type: 'image/svg+xml', content: LOGO, href: '/api/ui/', target: '_self' },
  });
}
