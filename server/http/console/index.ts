import type { FastifyInstance } from 'fastify';
import { registerConsoleFiles } from './console-routes.js';
import { type ConsoleSessionDeps, registerConsoleSessionRoutes } from './session-routes.js';

/** The web console at /console/: its built files and its cookie session routes (docs/console.md). */
export function registerConsole(app: FastifyInstance, deps: ConsoleSessionDeps) {
  registerConsoleSessionRoutes(app, deps);
  registerConsoleFiles(app);
}
