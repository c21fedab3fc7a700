import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import { inject } from 'vitest';
import { startLocalServer } from '../../scripts/lib/local-server.js';
import type { App, AppOptions } from '../../server/app.js';
import type { AppRouter } from '../../server/trpc/root.js';
import { checkRestResponse } from './openapi-validate.js';

export interface TestServer {
  url: string;
  app: App;
  dataDir: string;
  /** tRPC client over real HTTP, superjson, batching, optional bearer token. */
  trpc: (token?: string) => ReturnType<typeof createTRPCClient<AppRouter>>;
  close: () => Promise<void>;
}

export const TEST_ADMIN = { email: 'admin@test.local', password: 'admin-test-password-7Q' };

function copySqliteTemplate(dataDir: string): void {
  const template = inject('sqliteTemplate');
  if (!template) return;
  fs.copyFileSync(template, path.join(dataDir, 'carly.sqlite'));
  fs.chmodSync(path.join(dataDir, 'carly.sqlite'), 0o600);
}

export const usingPostgres = () => process.env.CARLY_TEST_DIALECT === 'postgresql' && Boolean(process.env.TEST_DATABASE_URL);

/**
 * The title of a PostgreSQL-only test or suite (`describe.skipIf(!usingPostgres())(postgresOnly('…'))`):
 * where it is skipped, the title says why, so a skipped line in the report is not a mystery.
 */
export const postgresOnly = (title: string) =>
  usingPostgres()
    ? title
    : `${title} (skipped: PostgreSQL only, ${process.env.TEST_DATABASE_URL ? 'runs in the postgresql project' : 'set TEST_DATABASE_URL=postgres://… to run it'})`;

export function tempDir(prefix = 'carly-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts the real app on a free loopback port, on a fresh data dir and a fresh database:
 * a SQLite file, or a throwaway PostgreSQL database when TEST_DATABASE_URL is set.
 */
export async function startServer(env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestServer> {
  const onSqliteInDataDir = !usingPostgres() && !env.DATABASE_URL && !env.DATA_DIR;
  const server = await startLocalServer({
    env: {
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      // The tests' fetch (undici) drops an idle socket after 4 s; a server that closes it first
      // races a request reusing it (ECONNRESET, seen on the loaded box). Keep-alive is no test's subject.
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '30000',
      ...env,
    },
    postgresAdminUrl: usingPostgres() && !env.DATABASE_URL ? process.env.TEST_DATABASE_URL : undefined,
    // Likewise a copy of the run's migrated PostgreSQL database (test/helpers/database-templates.setup.ts).
    postgresTemplate: usingPostgres() ? inject('postgresTemplate') : undefined,
    app: options,
    // A copy of the run's migrated SQLite file (test/helpers/database-templates.setup.ts): the same
    // database a first start makes, without migrating it again.
    prepareDataDir: onSqliteInDataDir ? copySqliteTemplate : undefined,
  });
  return {
    ...server,
    trpc: (token?: string) =>
      createTRPCClient<AppRouter>({
        links: [
          httpBatchLink({
            url: `${server.url}/trpc`,
            transformer: superjson,
            headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
          }),
        ],
      }),
  };
}

export interface RestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A REST call with fetch; JSON in, JSON out. */
export async function rest<T = any>(
  base: string,
  method: string,
  urlPath: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RestResponse<T>> {
  const res = await fetch(base + urlPath, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  // Every REST answer the suite sees must match openapi.json for its operation and status.
  checkRestResponse(method, urlPath, res.status, parsed, res.headers);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const customerPath = (email: string) => `/customers/${encodeURIComponent(email)}`;

let counter = 0;
/** A valid create body with a unique email. */
export function newCustomer(overrides: Record<string, unknown> = {}) {
  counter++;
  return {
    email: `user${counter}.${process.pid}.${Date.now()}@example.com`,
    firstName: 'Test',
    lastName: `Person${counter}`,
    ...overrides,
  };
}
