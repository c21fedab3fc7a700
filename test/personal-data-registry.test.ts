import type { EntityManager } from '@mikro-orm/knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_SKIPPED_TABLES } from '../server/db/orm.js';
import { NO_PERSONAL_DATA, PERSONAL_DATA, tableOf } from '../server/privacy/personal-data.js';
import { sqlQuery } from './helpers/database.js';
import { startServer, type TestServer } from './helpers/server.js';

/**
 * Every table holds personal data (and is in the registry that export and erase are built from)
 * or is declared not to, with a reason. A new table that is neither fails here: add it to
 * PERSONAL_DATA (how to find, export and erase a person's rows) or to NO_PERSONAL_DATA.
 */
describe('the personal-data registry covers every table', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  const em = () => server.app.orm.em.fork() as EntityManager;

  it('every table of the ORM metadata is in PERSONAL_DATA or NO_PERSONAL_DATA, and none in both', () => {
    const tables = Object.values(server.app.orm.getMetadata().getAll())
      .filter((meta) => !meta.embeddable && !meta.virtual && meta.tableName)
      .map((meta) => meta.tableName)
      .sort();
    const personal = PERSONAL_DATA.map((t) => tableOf(em(), t.entity));
    const none = NO_PERSONAL_DATA.map((t) => tableOf(em(), t.entity));
    const covered = new Set([...personal, ...none]);
    expect(
      tables.filter((t) => !covered.has(t)),
      'tables nobody said anything about',
    ).toEqual([]);
    expect(personal.filter((t) => none.includes(t))).toEqual([]);
    expect(new Set(personal).size).toBe(personal.length);
    expect(tables.length).toBeGreaterThanOrEqual(9);
  });

  it('the database has no table beyond the metadata (so a table made by raw SQL cannot hide either)', async () => {
    const database = server.app.config.database;
    const sql =
      database.kind === 'sqlite'
        ? "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
        : "select tablename as name from pg_tables where schemaname = 'public'";
    const inDatabase = (await sqlQuery<{ name: string }>(database, sql)).map((r) => r.name).filter((t) => t !== 'mikro_orm_migrations');
    const known = Object.values(server.app.orm.getMetadata().getAll()).map((meta) => meta.tableName);
    // The search index's FTS5 tables are declared in db/orm.ts (no entity can describe a virtual table).
    const declared = (t: string) => SCHEMA_SKIPPED_TABLES.some((pattern) => pattern.test(t));
    expect(inDatabase.filter((t) => !known.includes(t) && !declared(t))).toEqual([]);
  });

  it('each entry says what it holds and how it is erased; each exception gives its reason', () => {
    for (const t of PERSONAL_DATA) {
      expect(t.holds.length, tableOf(em(), t.entity)).toBeGreaterThan(20);
      expect(['delete', 'pseudonymise']).toContain(t.erasure);
    }
    const sections = PERSONAL_DATA.map((t) => t.section);
    expect(new Set(sections).size).toBe(sections.length);
    for (const t of NO_PERSONAL_DATA) expect(t.reason.length, tableOf(em(), t.entity)).toBeGreaterThan(20);
  });
});
