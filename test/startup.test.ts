/**
 * What a real start (server/main.ts as its own process) does to the machine: nothing at all when
 * the port is taken, and a DATA_DIR only its user can read, whatever the umask.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { waitForMail } from './helpers/outbox.js';
import { nodeArgs, run, spawnServer } from './helpers/process.js';
import { rest, tempDir, usingPostgres } from './helpers/server.js';

const NO_ADMIN = { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' };

/** A scratch PostgreSQL database in the PostgreSQL project, '' (SQLite in DATA_DIR) otherwise. */
async function databaseUrl(): Promise<string> {
  if (!usingPostgres()) return '';
  const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
  onTestFinished(() => scratch.drop());
  return scratch.url;
}

async function publicTables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'public'");
    return r.rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

/** Holds a loopback port, as another program would. */
async function occupyPort(): Promise<number> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
  onTestFinished(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  return (holder.address() as net.AddressInfo).port;
}

const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

describe('a port already in use', () => {
  it('stops the start before anything is written, naming PORT and HOST, with a non-zero exit', async () => {
    const port = await occupyPort();
    const dataDir = path.join(tempDir(), 'data');
    const url = await databaseUrl();
    const r = await run(nodeArgs('server/main.ts'), {
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: url,
      SEED_SAMPLE_DATA: 'true',
      BCRYPT_COST: '4',
      ...NO_ADMIN,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).toMatch(/already in use.*set PORT \(or HOST\)/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    // No database, secret, first-admin password or outbox: DATA_DIR was never even created.
    expect(fs.existsSync(dataDir)).toBe(false);
    if (url) expect(await publicTables(url)).toEqual([]);
  });
});

describe('DATA_DIR file modes', () => {
  it('are 0700 for the folders and 0600 for every file, under umask 000, tightening a 0755 DATA_DIR', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const url = await databaseUrl();
    // The child inherits the umask: with 000, any file left to open()'s default mode would be 0666.
    const previousUmask = process.umask(0o000);
    let server;
    try {
      server = await spawnServer({ DATA_DIR: dataDir, DATABASE_URL: url, BCRYPT_COST: '4', ...NO_ADMIN });
    } finally {
      process.umask(previousUmask);
    }
    onTestFinished(async () => {
      server.child.kill('SIGKILL');
      await server.exited;
    });
    // A reset mail for the generated admin lands in the outbox as an .eml file.
    expect((await rest(server.url, 'POST', '/auth/reset', { email: 'admin@carly.local' })).status).toBe(200);
    const mail = await waitForMail(dataDir, 'admin@carly.local');

    const sqliteFiles = url ? [] : ['carly.sqlite', 'carly.sqlite-shm', 'carly.sqlite-wal'];
    expect(fs.readdirSync(dataDir).sort()).toEqual([...sqliteFiles, 'initial-admin-password', 'jwt-secret', 'outbox'].sort());
    const modes = Object.fromEntries(
      [dataDir, ...fs.readdirSync(dataDir).map((f) => path.join(dataDir, f)), mail.file].map((file) => [path.relative(dataDir, file) || '.', modeOf(file)]),
    );
    expect(modes).toEqual({
      '.': '700',
      outbox: '700',
      'initial-admin-password': '600',
      'jwt-secret': '600',
      [path.relative(dataDir, mail.file)]: '600',
      ...Object.fromEntries(sqliteFiles.map((f) => [f, '600'])),
    });
  });

  it.skipIf(usingPostgres())('tightens a database an older version left 0644, and its -wal/-shm follow (SQLite)', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = await spawnServer({ DATA_DIR: dataDir, DATABASE_URL: '', BCRYPT_COST: '4', ...NO_ADMIN });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const db = path.join(dataDir, 'carly.sqlite');
    for (const file of [db, `${db}-wal`, `${db}-shm`]) if (fs.existsSync(file)) fs.chmodSync(file, 0o644);
    fs.chmodSync(dataDir, 0o755);

    const second = await spawnServer({ DATA_DIR: dataDir, DATABASE_URL: '', BCRYPT_COST: '4', ...NO_ADMIN });
    onTestFinished(async () => {
      second.child.kill('SIGKILL');
      await second.exited;
    });
    expect([modeOf(dataDir), modeOf(db), modeOf(`${db}-wal`), modeOf(`${db}-shm`)]).toEqual(['700', '600', '600', '600']);
  });
});
