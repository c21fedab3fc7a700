import type { FastifyInstance } from 'fastify';
import { registerConsoleFiles } from './console-routes.js';
import { registerConsoleSessionRoutes, type ConsoleSessionDeps } from './session-routes.js';

/** The web console at /console/: its built files and its cookie session routes (docs/console.md). */
export function registerConsole(app: FastifyInstance, deps: ConsoleSessionDeps) {
  registerConsoleSessionRoutes(app, deps);
  registerConsoleFiles(app);
}
