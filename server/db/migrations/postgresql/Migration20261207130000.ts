import { Migration } from '@mikro-orm/migrations';

/** The searched columns, as Migration20261206172253 indexed them (a migration is a frozen snapshot: no live imports). */
const SEARCHED = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'phone_fold', 'company_fold', 'city_fold', 'search_words', 'metadata_fold'];

/**
 * PostgreSQL: one GIN trigram index over one text, every searched column joined by spaces,
 * instead of a multi-column GIN index over the nine columns. A multi-column GIN index holds a
 * key per (column, trigram): a customer's words are in its email, names, name, company and
 * search_words, so a create wrote each of their trigrams four or five times (~128 keys). Over
 * one text pg_trgm keeps each distinct trigram once (about half). A lookup finds the rows with
 * the pattern anywhere in their searched text, and checks the column on those rows
 * (search/word-index.ts; docs/architecture.md, "Search").
 *
 * The function is IMMUTABLE (only `||` and coalesce over its arguments) so an index can use it,
 * and SQL so the planner inlines it: a query's call and the index's expression match.
 */
export class Migration20261207130000 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string) => this.execute(sql);
    const params = SEARCHED.map((c) => `${c} text`).join(', ');
    const body = SEARCHED.map((c) => `coalesce(${c}, '')`).join(` || ' ' || `);
    await run(`create function customer_search_text(${params}) returns text language sql immutable parallel safe as $$ select ${body} $$;`);
    await run(`create index "customers_search_text_trgm" on "customers" using gin (customer_search_text(${SEARCHED.join(', ')}) gin_trgm_ops);`);
    // If exists: a database whose search index was dropped by hand still migrates.
    await run('drop index if exists "customers_search_trgm";');
  }

  override async down(): Promise<void> {
    this.addSql(`create index "customers_search_trgm" on "customers" using gin (${SEARCHED.map((c) => `"${c}" gin_trgm_ops`).join(', ')});`);
    this.addSql('drop index "customers_search_text_trgm";');
    this.addSql(`drop function customer_search_text(${SEARCHED.map(() => 'text').join(', ')});`);
  }
}
