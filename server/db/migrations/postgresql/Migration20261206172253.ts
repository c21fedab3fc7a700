import { Migration } from '@mikro-orm/migrations';
import { backfillSearchKeys } from '../../../search/backfill.js';

/** The columns the trigram index covers. */
const TRIGRAM_COLUMNS = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'phone_fold', 'company_fold', 'city_fold', 'search_words', 'metadata_fold'];

/**
 * Search (docs/architecture.md): folded columns computed in code, back-filled here for the rows
 * that exist; the typo dictionary; pg_trgm (a trusted extension shipped with PostgreSQL and
 * offered by managed services) and one multi-column GIN trigram index over the folded text.
 */
export class Migration20261206172253 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string, params: unknown[] = []) => this.execute(sql, params);
    await run(`create extension if not exists pg_trgm;`);
    await run(`create table "search_words" ("variant" text not null, "word" text not null, constraint "search_words_pkey" primary key ("variant", "word"));`);
    await run(`create index "search_words_word_index" on "search_words" ("word");`);
    // The NOT NULL columns get a default only until the back-fill has filled every row.
    await run(
      `alter table "customers" add column "first_name_fold" text not null default '', add column "last_name_fold" text not null default '', ` +
        `add column "name_fold" text not null default '', add column "phone_fold" text null, add column "company_fold" text null, add column "city_fold" text null, ` +
        `add column "country_fold" text null, add column "search_words" text not null default '', add column "metadata_fold" text not null default '';`,
    );
    await backfillSearchKeys(run);
    await run(
      `alter table "customers" alter column "first_name_fold" drop default, alter column "last_name_fold" drop default, alter column "name_fold" drop default, ` +
        `alter column "search_words" drop default, alter column "metadata_fold" drop default;`,
    );
    await run(`create index "customers_country_fold_index" on "customers" ("country_fold");`);
    await run(`create index "customers_search_trgm" on "customers" using gin (${TRIGRAM_COLUMNS.map((c) => `"${c}" gin_trgm_ops`).join(', ')});`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "search_words" cascade;`);
    this.addSql(`drop index "customers_search_trgm";`);
    this.addSql(`drop index "customers_country_fold_index";`);
    this.addSql(
      `alter table "customers" drop column "first_name_fold", drop column "last_name_fold", drop column "name_fold", drop column "phone_fold", drop column "company_fold", drop column "city_fold", drop column "country_fold", drop column "search_words", drop column "metadata_fold";`,
    );
  }
}
