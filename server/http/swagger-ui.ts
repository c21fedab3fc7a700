import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { OpenApiDocument } from './openapi-document.js';

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">' +
  '<text x="0" y="30" font-family="sans-serif" font-size="28" font-weight="700" fill="#ffffff">Carly</text></svg>';

/** The document Swagger UI loads and shows in its top bar: the service's own, not the plugin's copy. */
const OPENAPI_PATH = '/api/openapi.json';
const UI_PREFIX = '/api/ui';
const UI_CONFIG_PATH = `${UI_PREFIX}/config.json`;
/** Headers of the inner answer that belong to its own (simulated) connection, not to the content. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

/**
 * The Swagger UI plugins on an instance of their own that never listens, built on the first UI
 * request. Registered on the server they cost ~2.2 MB of heap for the life of every process
 * (@fastify/swagger, @fastify/swagger-ui, @fastify/static, glob, yaml; docs/performance.md, "Idle
 * memory"), and Fastify takes routes only before it listens, so the server routes /api/ui/* here.
 */
async function buildUi(document: OpenApiDocument, version: string): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
  const ui = Fastify({ logger: false });
  // The plugin wants a document when registered; the real one is built on the first UI request
  // (openapi-document.ts) and handed to the UI's json/yaml routes by transformSpecification.
  const placeholder = { openapi: '3.1.0', info: { title: 'Carly API', version }, paths: {} };
  await ui.register(swagger, { mode: 'static', specification: { document: placeholder as never } });
  await ui.register(swaggerUi, {
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
  await ui.ready();
  return ui;
}

/** Swagger UI at /api/ui/, every asset served from this process (no CDN), for the static document. */
export function registerSwaggerUi(app: FastifyInstance, document: OpenApiDocument, version: string): void {
  let ui: Promise<FastifyInstance> | undefined;
  // The server's hooks (security headers, cache policy, request log, metrics) apply as to any
  // route; the inner instance only produces the answer. HEAD runs this as GET and drops the body.
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    ui ??= buildUi(document, version).catch((err: unknown) => {
      ui = undefined;
      throw err;
    });
    const answer = await (await ui).inject({ method: 'GET', url: request.url, headers: request.headers });
    // A missing asset gets the server's own 404 (the contract's error body), not the inner one's.
    if (answer.statusCode === 404) return reply.callNotFound();
    reply.code(answer.statusCode);
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !CONNECTION_HEADERS.has(name.toLowerCase())) reply.header(name, value);
    }
    return reply.send(answer.rawPayload);
  };
  const options = { config: { operation: 'swagger-ui' }, schema: { hide: true } };
  app.get(UI_PREFIX, options, forward);
  app.get(`${UI_PREFIX}/*`, options, forward);
  const uiConfig = JSON.stringify({ url: OPENAPI_PATH });
  app.get(UI_CONFIG_PATH, options, async (_request, reply) => reply.type('application/json; charset=utf-8').send(uiConfig));
}
