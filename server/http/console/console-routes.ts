import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_CSP } from './console-csp.js';
import { type ConsoleFile, loadConsoleFiles } from './console-files.js';

const NOT_BUILT = 'The console is not built. Run `npm run build:console` (npm start does it), then restart the server.';

/**
 * Serves the built console at /console/: hashed assets (assets/*) cached for a year as immutable,
 * index.html never cached (so a new build is picked up at the next load), and index.html for any
 * other path under /console/ (the console's own routes, e.g. /console/customers/ada@example.com,
 * survive a reload). Every answer carries the console's strict CSP.
 */
export function registerConsoleFiles(app: FastifyInstance, files = loadConsoleFiles()) {
  const send = (reply: FastifyReply, file: ConsoleFile) =>
    reply
      .header('content-security-policy', CONSOLE_CSP)
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .type(file.type)
      .send(file.body);
  const index = files?.get('index.html');

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!files || !index) return reply.code(503).header('content-security-policy', CONSOLE_CSP).type('text/plain; charset=utf-8').send(NOT_BUILT);
    const rest = (request.params as { '*'?: string })['*'] ?? '';
    const file = files.get(rest);
    if (file && rest !== 'index.html') return send(reply, file);
    // A missing hashed asset is a real 404 (an old page asking for a replaced build), not the page.
    if (rest.startsWith('assets/')) return reply.code(404).send({ code: 'NOT_FOUND', message: 'No such console asset' });
    return send(reply, index);
  };
  // The router ignores trailing slashes: /console and /console/ both land on the first route (the
  // page's asset URLs are absolute, so either address works).
  app.get('/console', { config: { operation: 'console:page' }, schema: { hide: true } }, handler);
  app.get('/console/*', { config: { operation: 'console:page' }, schema: { hide: true } }, handler);
}
