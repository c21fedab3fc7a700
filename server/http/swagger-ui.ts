import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { OpenApiDocument } from './openapi-document.js';

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">' +
  '<text x="0" y="30" font-family="sans-serif" font-size="28" font-weight="700" fill="#ffffff">Carly</text></svg>';

/** The document Swagger UI loads and shows in its top bar: the service's own, not the plugin's copy. */
const OPENAPI_PATH = '/api/openapi.json';
const UI_PREFIX = '/api/ui';
const UI_CONFIG_PATH = `${UI_PREFIX}/config.json`;

/** Swagger UI at /api/ui/, every asset served from this process (no CDN), for the static document. */
export async function registerSwaggerUi(app: FastifyInstance, document: OpenApiDocument, version: string) {
  // The plugin wants a document when registered; the real one is built on the first UI request
  // (openapi-document.ts) and handed to the UI's json/yaml routes by transformSpecification.
  const placeholder = { openapi: '3.1.0', info: { title: 'Carly API', version }, paths: {} };
  await app.register(swagger, { mode: 'static', specification: { document: placeholder as never } });
  await app.register(swaggerUi, {
    routePrefix: UI_PREFIX,
    uiHooks: { onRequest: async () => document.load() },
    transformSpecification: () => document.loaded(),
    transformSpecificationClone: false,
    uiConfig: {
      persistAuthorization: false,
      displayRequestDuration: true,
      validatorUrl: null,
      tryItOutEnabled: true,
      // @fastify/swagger-ui's initializer forces `url` to its own /api/ui/json after our options,
      // so the top bar would show that. Swagger UI merges a configUrl document over the
      // constructor's options, so the url it names wins: the canonical /api/openapi.json.
      configUrl: UI_CONFIG_PATH,
    },
    // helmet's policy (script-src 'self', inline styles allowed) already fits: Swagger UI boots
    // from a static swagger-initializer.js; its own staticCSP would forbid the inline styles it sets.
    staticCSP: false,
    theme: { title: 'Carly API' },
    logo: { type: 'image/svg+xml', content: LOGO, href: `${UI_PREFIX}/`, target: '_self' },
  });
  const uiConfig = JSON.stringify({ url: OPENAPI_PATH });
  app.get(UI_CONFIG_PATH, { config: { operation: 'swagger-ui' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(uiConfig),
  );
}
