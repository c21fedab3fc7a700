/**
 * The app's ordered start/stop list (server/lifecycle.ts): buildApp starts every step in order,
 * http.close() stops them last first, and a step that fails to start stops the ones before it,
 * so nothing stays open. "Open" is seen from outside: on SQLite the WAL file, which SQLite
 * removes only when the last connection to the database closes (the ORM's and the read lane's);
 * on PostgreSQL the server's own list of connections to the database.
 */
import fs from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { buildApp } from '../server/app.js';
import { type Config, ConfigError, loadConfig } from '../server/config.js';
import { rest, startServer, tempDir, usingPostgres } from './helpers/server.js';

const STEPS = [
  'tracing',
  'database',
  'password hasher',
  'read lane',
  'audit chainer',
  'search indexer',
  'WAL checkpointer',
  'erasure WAL scrubber',
  'background work',
  'housekeeping',
  'sample data and first admin',
  'password hasher warm-up',
  'webhook worker',
  'events listener',
];

/** Connections to the app's database still open: PostgreSQL's count, or whether SQLite's WAL file is there. */
async function openConnections(database: Config['database']): Promise<number> {
  if (database.kind === 'sqlite') return fs.existsSync(`${database.file}-wal`) ? 1 : 0;
  const url = new URL(database.url);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [name]);
    return Number(rows[0]!.n);
  } finally {
    await admin.end();
  }
}

describe(`the lifecycle (${process.env.CARLY_TEST_DIALECT})`, () => {
  it('starts every step in order, and close() stops them all: no connection to the database is left', async () => {
    const server = await startServer();
    try {
      expect(server.app.lifecycle.names).toEqual(STEPS);
      // Started: the first admin exists and can sign in (the read lane and the hasher answer).
      const login = await rest(server.url, 'POST', '/auth/login', { email: 'admin@test.local', password: 'admin-test-password-7Q' });
      expect(login.status).toBe(200);
      expect(await openConnections(server.app.config.database)).toBeGreaterThan(0);
      await server.app.http.close();
      expect(await server.app.orm.isConnected()).toBe(false);
      expect(await openConnections(server.app.config.database)).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('a step that fails to start (a common ADMIN_PASSWORD) stops those started before it: nothing stays open', async () => {
    const dataDir = tempDir();
    const scratch = usingPostgres() ? await createScratchPostgres(process.env.TEST_DATABASE_URL!) : undefined;
    try {
      const config = loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        SEED_SAMPLE_DATA: 'false',
        BCRYPT_COST: '4',
        ADMIN_EMAIL: 'weak@example.com',
        ADMIN_PASSWORD: 'ILoveYou',
        ...(scratch ? { DATABASE_URL: scratch.url } : {}),
      });
      const started = buildApp(config);
      await expect(started).rejects.toThrow(ConfigError);
      await expect(started).rejects.toThrow(/ADMIN_PASSWORD: .*too common/i);
      if (config.database.kind === 'sqlite') expect(fs.existsSync(config.database.file)).toBe(true);
      expect(await openConnections(config.database)).toBe(0);
    } finally {
      await scratch?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
