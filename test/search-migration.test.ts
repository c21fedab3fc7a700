import fs from 'node:fs';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { openMigrator } from '../server/db/migrate.js';
import { ormOptions } from '../server/db/orm.js';
import { WriteLane } from '../server/db/write-lane.js';
import { indexPendingBatch } from '../server/search/search-indexer.js';
import { pgTrigramLikeBound } from '../server/search/word-index.js';
import { tempDir, usingPostgres } from './helpers/server.js';

/** The release before search: its last migration. */
const PREVIOUS = 'Migration20261201144020';

/**
 * The search migration back-fills the folded columns, the typo dictionary and the trigram
 * index for customers a previous release wrote (no search columns at all).
 */
async function backfilled(database: Parameters<typeof ormOptions>[0]) {
  const orm = await MikroORM.init(await ormOptions(database));
  try {
    const migrator = await openMigrator(orm, database.kind);
    await migrator.up({ to: PREVIOUS });
    const em = orm.em.fork() as unknown as EntityManager;
    const postgres = database.kind === 'postgresql';
    const now = postgres ? new Date().toISOString() : Date.now();
    const insert =
      'insert into customers (public_id, email, first_name, last_name, first_name_key, last_name_key, phone, company, address, metadata, created_at, updated_at, version) ' +
      'values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)';
    await em.execute(insert, [
      'cus_old1',
      'anna.muller@example.com',
      'Änna',
      'Müller',
      'änna',
      'müller',
      '+49 (30) 1234',
      'Ｍüller GmbH',
      JSON.stringify({ line1: 'x', line2: null, city: 'München', region: null, postalCode: null, country: 'DE' }),
      JSON.stringify({ crm_id: 'ÀB-1' }),
      now,
      now,
    ]);
    await em.execute(insert, ['cus_old2', 'bo@example.com', 'Bo', 'Li', 'bo', 'li', null, null, null, '{}', now, now]);
    await migrator.up();
    const rows = await em.execute<Record<string, unknown>[]>(
      'select public_id, first_name_fold, last_name_fold, name_fold, phone_fold, company_fold, city_fold, country_fold, search_words, metadata_fold from customers order by public_id',
    );
    const words = (await em.execute<{ word: string }[]>('select distinct word from search_words order by word')).map((r) => r.word);
    const byName = pgTrigramLikeBound('name_fold', '%mull%');
    const viaIndex = postgres
      ? await em.execute<{ id: unknown }[]>(`select id from customers where ${byName.sql}`, byName.params)
      : await em.execute<{ id: unknown }[]>('select rowid as id from customers_search where customers_search match ?', ['name_fold : "mull"']);
    return { rows, words, viaIndex: viaIndex.length };
  } finally {
    await orm.close(true);
  }
}

const expectBackfilled = (result: Awaited<ReturnType<typeof backfilled>>) => {
  expect(result.rows).toEqual([
    {
      public_id: 'cus_old1',
      first_name_fold: 'anna',
      last_name_fold: 'muller',
      name_fold: 'anna muller',
      phone_fold: '49301234',
      company_fold: 'muller gmbh',
      city_fold: 'munchen',
      country_fold: 'de',
      search_words: ' anna muller example com gmbh ',
      metadata_fold: '{"crm_id":"ab-1"}',
    },
    {
      public_id: 'cus_old2',
      first_name_fold: 'bo',
      last_name_fold: 'li',
      name_fold: 'bo li',
      phone_fold: null,
      company_fold: null,
      city_fold: null,
      country_fold: null,
      search_words: ' bo example com li ',
      metadata_fold: '{}',
    },
  ]);
  // Words of 4+ characters are in the typo dictionary.
  expect(result.words).toEqual(['anna', 'example', 'gmbh', 'muller']);
  expect(result.viaIndex).toBe(1);
};

describe('the search migration back-fills what the previous release wrote', () => {
  it.skipIf(usingPostgres())('sqlite', async () => {
    expectBackfilled(await backfilled({ kind: 'sqlite', file: path.join(tempDir(), 'old.sqlite') }));
  });

  it.skipIf(!usingPostgres())('postgresql', async () => {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
    try {
      expectBackfilled(await backfilled({ kind: 'postgresql', url: scratch.url }));
    } finally {
      await scratch.drop();
    }
  });
});

/** The last migration with SQLite's search queue (search_pending), before the watermark. */
const QUEUED = 'Migration20261207100000';

/**
 * SQLite's queue becomes a watermark (Migration20261207120000): customers up to it are in FTS5,
 * none after it. A database from the queue's release holds both kinds out of order: rows an import
 * indexed at once (search_direct) after rows still queued. The migration must leave FTS5 exactly
 * the rows up to the watermark, and the indexer then brings in the rest, each once.
 */
describe('SQLite: the search queue becomes a watermark', () => {
  it.skipIf(usingPostgres())('keeps FTS5 consistent across queued and directly indexed rows, and the indexer finishes the job', async () => {
    const database = { kind: 'sqlite' as const, file: path.join(tempDir(), 'queued.sqlite') };
    const orm = await MikroORM.init(await ormOptions(database));
    try {
      const migrator = await openMigrator(orm, 'sqlite');
      await migrator.up({ to: QUEUED });
      const em = orm.em.fork() as unknown as EntityManager;
      const now = Date.now();
      const insert = (n: number, name: string) =>
        em.execute(
          'insert into customers (public_id, email, first_name, last_name, first_name_key, last_name_key, metadata, created_at, updated_at, version, ' +
            'first_name_fold, last_name_fold, name_fold, search_words, metadata_fold) ' +
            "values (?, ?, ?, 'Doe', ?, 'doe', '{}', ?, ?, 1, ?, 'doe', ?, ?, '{}')",
          [`cus_${n}`, `${name}@example.com`, name, name, now, now, name, `${name} doe`, ` ${name} doe example com `],
        );
      const direct = async (n: number, name: string) => {
        await em.execute('insert into search_direct (marker) values (1)');
        await insert(n, name);
        await em.execute('delete from search_direct');
      };
      await direct(1, 'alpha'); // indexed at once
      await insert(2, 'bravo'); // queued
      await direct(3, 'charlie'); // indexed at once, after a queued row
      await insert(4, 'delta'); // queued
      await migrator.up();

      const ftsIds = async () =>
        (await em.execute<{ id: number }[]>('select rowid as id from customers_search where customers_search match \'email : "example"\' order by rowid')).map(
          (r) => r.id,
        );
      const tables = (
        await em.execute<{ name: string }[]>("select name from sqlite_master where type = 'table' and name in ('search_pending', 'search_direct')")
      ).length;
      expect(tables).toBe(0);
      expect(await em.execute('select upto from search_indexed')).toEqual([{ upto: 1 }]);
      expect(await ftsIds()).toEqual([1]);
      // An update or delete of a row after the watermark leaves FTS5 alone (it does not hold the row).
      await em.execute("update customers set first_name_fold = 'bravissimo' where id = 2");
      await em.execute('delete from customers where id = 4');
      expect(await ftsIds()).toEqual([1]);

      const lane = new WriteLane();
      expect(await indexPendingBatch(() => em, lane)).toBe(2);
      expect(await em.execute('select upto from search_indexed')).toEqual([{ upto: 3 }]);
      expect(await ftsIds()).toEqual([1, 2, 3]);
      // FTS5 against its content table: every indexed row's terms, nothing else (SQLite's own check).
      await em.execute("insert into customers_search (customers_search, rank) values ('integrity-check', 1)");
      const words = (await em.execute<{ word: string }[]>('select word from search_words order by word')).map((r) => r.word);
      expect(words).toEqual(['bravo', 'charlie', 'example']);
      // Rows up to the watermark follow their updates; the renamed one is found by its new name only.
      await em.execute("update customers set first_name_fold = 'carla' where id = 3");
      const byName = (name: string) =>
        em.execute<{ id: number }[]>(`select rowid as id from customers_search where customers_search match 'first_name_fold : "${name}"'`);
      expect(await byName('carla')).toEqual([{ id: 3 }]);
      expect(await byName('charlie')).toEqual([]);
      await em.execute("insert into customers_search (customers_search, rank) values ('integrity-check', 1)");
    } finally {
      await orm.close(true);
    }
  });
});

/** PostgreSQL's last migration with the multi-column trigram index. */
const MULTI_COLUMN_INDEX = 'Migration20261207100000';

/** Every trigram index on customers, as `name: definition` (the old one, still there, would be a second entry). */
async function trigramIndex(em: EntityManager) {
  const rows = await em.execute<{ name: string; def: string }[]>(
    "select indexname as name, indexdef as def from pg_indexes where tablename = 'customers' and indexdef like '%gin_trgm_ops%' order by indexname",
  );
  return rows.map((r) => `${r.name}: ${r.def}`);
}

/** Migrates a scratch database to MULTI_COLUMN_INDEX, inserts one customer, runs `before`, then migrates to the end. */
async function upgradeTrigramIndex(before: (em: EntityManager) => Promise<void>) {
  const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
  const orm = await MikroORM.init(await ormOptions({ kind: 'postgresql', url: scratch.url }));
  try {
    const migrator = await openMigrator(orm, 'postgresql');
    await migrator.up({ to: MULTI_COLUMN_INDEX });
    const em = orm.em.fork() as unknown as EntityManager;
    const now = new Date().toISOString();
    await em.execute(
      'insert into customers (public_id, email, first_name, last_name, first_name_key, last_name_key, metadata, created_at, updated_at, version, ' +
        'first_name_fold, last_name_fold, name_fold, company_fold, search_words, metadata_fold) ' +
        "values ('cus_1', 'ada@example.com', 'Ada', 'Lovelace', 'ada', 'lovelace', '{}', ?, ?, 1, 'ada', 'lovelace', 'ada lovelace', 'engines ltd', ' ada engines example com lovelace ltd ', '{}')",
      [now, now],
    );
    await before(em);
    await migrator.up();
    // Through the index only (a scan is refused), the lookups of a words-text column and of a column with its own keys.
    const found = await em.transactional(async (tx) => {
      await tx.execute('set local enable_seqscan = off');
      const lookup = (column: string, needle: string) => pgTrigramLikeBound(column, `%${needle}%`);
      const out: Record<string, number> = {};
      for (const [label, { sql, params }] of Object.entries({
        'name~lovel': lookup('name_fold', 'lovel'),
        'company~ngine': lookup('company_fold', 'ngine'),
        'name~ngine': lookup('name_fold', 'ngine'),
      })) {
        const plan = (await tx.execute<{ 'QUERY PLAN': string }[]>(`explain select id from customers where ${sql}`, params))
          .map((r) => r['QUERY PLAN'])
          .join('\n');
        expect(plan).toContain('customers_search_text_trgm');
        out[label] = (await tx.execute(`select id from customers where ${sql}`, params)).length;
      }
      return out;
    });
    return { indexes: await trigramIndex(em), found };
  } finally {
    await orm.close(true);
    await scratch.drop();
  }
}

describe('PostgreSQL: the trigram index over the words text replaces the multi-column one', () => {
  it.skipIf(!usingPostgres())(
    'a plain upgrade builds it, and the statements docs/operations.md gives for building it beforehand make the same index',
    async () => {
      const plain = await upgradeTrigramIndex(async () => {});
      expect(plain.indexes).toHaveLength(1);
      expect(plain.indexes[0]).toMatch(
        /^customers_search_text_trgm: CREATE INDEX customers_search_text_trgm ON public\.customers USING gin \(customer_word_text\(/,
      );
      // The words text finds name~ on the name only; company~ has its own keys.
      expect(plain.found).toEqual({ 'name~lovel': 1, 'company~ngine': 1, 'name~ngine': 0 });

      // The operator's way: the documented statements while the previous release serves, then the upgrade.
      const doc = fs.readFileSync(path.join(import.meta.dirname, '..', 'docs', 'operations.md'), 'utf8');
      const block = /```sql\n(CREATE OR REPLACE FUNCTION customer_word_text[\s\S]*?)```/.exec(doc)?.[1];
      expect(block).toBeDefined();
      const prebuilt = await upgradeTrigramIndex(async (em) => {
        for (const statement of block!
          .split(/;\n/)
          .map((s) => s.trim())
          .filter(Boolean))
          await em.execute(statement);
        expect(await trigramIndex(em)).toHaveLength(2);
      });
      expect(prebuilt).toEqual(plain);
    },
  );
});
