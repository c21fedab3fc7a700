import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type App, type AppOptions, buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { createScratchPostgres } from './scratch-postgres.js';

export interface LocalServer {
  url: string;
  app: App;
  dataDir: string;
  close: () => Promise<void>;
}

export interface LocalServerOptions {
  /** Variables over the defaults below (which suit tests: silent, no sample data, bcrypt cost 4). */
  env?: Record<string, string>;
  /** A PostgreSQL server's URL: the app gets a throwaway database on it, dropped at close. */
  postgresAdminUrl?: string;
  /** With postgresAdminUrl: make the throwaway database as a copy of this one (tests: one migrated per run). */
  postgresTemplate?: string;
  app?: AppOptions;
  tempPrefix?: string;
  /** Called with the new data dir before the app starts (tests copy a migrated SQLite file in). */
  prepareDataDir?: (dataDir: string) => void;
}

/**
 * The real app in this process on a free loopback port, on a fresh temp data dir and a fresh
 * database (a SQLite file there, or a scratch PostgreSQL database). Used by the test helpers
 * and the fuzz script.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), options.tempPrefix ?? 'carly-test-'));
  options.prepareDataDir?.(dataDir);
  const scratch = options.postgresAdminUrl ? await createScratchPostgres(options.postgresAdminUrl, { template: options.postgresTemplate }) : undefined;
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    SEED_SAMPLE_DATA: 'false',
    // Real bcrypt at a test cost; one test asserts the production default of 12.
    BCRYPT_COST: '4',
    ...(scratch ? { DATABASE_URL: scratch.url } : {}),
    ...options.env,
  });
  const app = await buildApp(config, options.app);
  await app.http.listen({ host: '127.0.0.1', port: 0 });
  const address = app.http.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    dataDir,
    close: async () => {
      await app.http.close();
      await scratch?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
