/**
 * Starts the real app in this process on a fresh temp data dir (SQLite), or on a scratch
 * database of the PostgreSQL server in DATABASE_URL, for the fuzz script.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createScratchPostgres } from '../lib/scratch-postgres.js';
import type { FuzzTarget } from './fuzzer.js';

export const FUZZ_ADMIN = { email: 'admin@fuzz.local', password: 'admin-fuzz-password-7Q' };

export async function startInProcess(env: Record<string, string> = {}): Promise<FuzzTarget & { close: () => Promise<void>; dialect: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-fuzz-'));
  let drop: (() => Promise<void>) | undefined;
  const dbEnv: Record<string, string> = {};
  if (process.env.DATABASE_URL?.startsWith('postgres')) {
    const scratch = await createScratchPostgres(process.env.DATABASE_URL);
    dbEnv.DATABASE_URL = scratch.url;
    drop = scratch.drop;
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    SEED_SAMPLE_DATA: 'false',
    BCRYPT_COST: '4',
    TRUST_PROXY: 'true',
    ADMIN_EMAIL: FUZZ_ADMIN.email,
    ADMIN_PASSWORD: FUZZ_ADMIN.password,
    ...dbEnv,
    ...env,
  });
  const app = await buildApp(config);
  await app.http.listen({ host: '127.0.0.1', port: 0 });
  const address = app.http.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    dataDir,
    admin: FUZZ_ADMIN,
    dialect: config.database.kind,
    query: (sql) => app.orm.em.fork().getConnection().execute(sql) as Promise<Record<string, unknown>[]>,
    close: async () => {
      await app.http.close();
      await drop?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
