/**
 * Starts the real app in this process on a fresh temp data dir (SQLite), or on a scratch
 * database of the PostgreSQL server in DATABASE_URL, for the fuzz script.
 */
import { startLocalServer } from '../lib/local-server.js';
import type { FuzzTarget } from './fuzzer.js';

export const FUZZ_ADMIN = { email: 'admin@fuzz.local', password: 'admin-fuzz-password-7Q' };

export async function startInProcess(env: Record<string, string> = {}): Promise<FuzzTarget & { close: () => Promise<void>; dialect: string }> {
  const pg = process.env.DATABASE_URL;
  const server = await startLocalServer({
    env: { TRUST_PROXY: 'true', ADMIN_EMAIL: FUZZ_ADMIN.email, ADMIN_PASSWORD: FUZZ_ADMIN.password, ...env },
    postgresAdminUrl: pg?.startsWith('postgres') ? pg : undefined,
    tempPrefix: 'carly-fuzz-',
  });
  return {
    url: server.url,
    dataDir: server.dataDir,
    admin: FUZZ_ADMIN,
    dialect: server.app.config.database.kind,
    query: (sql) => server.app.orm.em.fork().getConnection().execute(sql) as Promise<Record<string, unknown>[]>,
    close: server.close,
  };
}
