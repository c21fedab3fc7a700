import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { postgresOnly, rest, startServer, type TestServer, usingPostgres } from './helpers/server.js';

/** DB_POOL_MAX, DB_STATEMENT_TIMEOUT_MS and the URL's own parameters reach PostgreSQL. */
describe.skipIf(!usingPostgres())(postgresOnly('PostgreSQL connection settings'), () => {
  let server: TestServer;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
    drop = scratch.drop;
    server = await startServer({
      DATABASE_URL: `${scratch.url}?application_name=carly-settings-test`,
      DB_POOL_MAX: '3',
      DB_STATEMENT_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    await server?.close();
    await drop?.();
  });

  const execute = (sql: string) => server.app.orm.em.getConnection().execute(sql);

  it('sizes the pool from DB_POOL_MAX', () => {
    const knex = (server.app.orm.em.getConnection() as unknown as { getKnex(): { client: { pool: { max: number } } } }).getKnex();
    expect(knex.client.pool.max).toBe(3);
  });

  it('cancels a statement that runs past DB_STATEMENT_TIMEOUT_MS', async () => {
    expect(await execute('show statement_timeout')).toEqual([{ statement_timeout: '300ms' }]);
    await expect(execute('select pg_sleep(1)')).rejects.toThrow(/statement timeout/);
    // The connection it ran on is fine afterwards.
    expect((await rest(server.url, 'GET', '/ready')).status).toBe(200);
  });

  it('keeps the parameters of DATABASE_URL (application_name here; sslmode and the like too)', async () => {
    expect(await execute(`select current_setting('application_name') as name`)).toEqual([{ name: 'carly-settings-test' }]);
  });
});
