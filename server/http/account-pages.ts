import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { REPO_ROOT } from '../paths.js';

// The pages are static files in the source tree (tsc does not copy them into dist/).
const DIR = path.join(REPO_ROOT, 'server', 'http', 'account-pages');
const read = (file: string) => fs.readFileSync(path.join(DIR, file), 'utf8');

/**
 * The pages the mails link to, served by this server: GET /reset?token=… (choose a new password;
 * calls POST /auth/reset/confirm) and GET /verify?token=… (confirm the address; calls POST
 * /auth/verify). Static HTML that never echoes the token (so nothing in it can be injected), a
 * script and a stylesheet from /assets/: they run under the CSP (script-src 'self'). The token is
 * read by the script and taken out of the address bar; request logs redact it (log-redaction.ts).
 * RESET_URL and VERIFY_URL can point the mails at an app's own pages instead.
 */
export function registerAccountPages(app: FastifyInstance) {
  const pages: [string, string, string][] = [
    ['/reset', 'reset.html', 'page:reset'],
    ['/verify', 'verify.html', 'page:verify'],
  ];
  for (const [url, file, operation] of pages) {
    const html = read(file);
    app.get(url, { config: { operation }, schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  }
  const assets: [string, string][] = [
    ['account-pages.js', 'text/javascript; charset=utf-8'],
    ['account-pages.css', 'text/css; charset=utf-8'],
  ];
  for (const [file, type] of assets) {
    const body = read(file);
    app.get(`/assets/${file}`, { config: { operation: `asset:${file}` }, schema: { hide: true } }, async (_request, reply) =>
      reply.type(type).header('cache-control', 'public, max-age=300').send(body),
    );
  }
}
