import { Migration } from '@mikro-orm/migrations';

/** The columns Migration20261206172253 indexed (a migration is a frozen snapshot: no live imports). */
const INDEXED = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'phone_fold', 'company_fold', 'city_fold', 'search_words', 'metadata_fold'];
/** The columns whose words are search_words' words: one text in the index instead of one key per column and trigram. */
const WORD_COLUMNS = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'search_words'];
/** The columns that keep their own keys: their trigrams are mostly their own. */
const OWN_COLUMNS = ['phone_fold', 'company_fold', 'city_fold', 'metadata_fold'];

/**
 * PostgreSQL: the GIN trigram index holds the email, names and search_words as one text instead
 * of a key per (column, trigram). search_words is the distinct words of the email, names and
 * company, so those columns' trigrams were written four or five times: ~127 keys per create, ~67
 * now (`show_trgm` over 2,000 of the bench's rows; the index 237 → 119 MB at 1M customers). A
 * lookup on one of those columns finds the rows with the pattern anywhere in that text, then
 * checks the column (search/word-index.ts; docs/architecture.md, "Search"). Phone, company, city
 * and metadata keep their own keys, so a lookup on them stays as selective as before.
 *
 * The function is IMMUTABLE (only `||` and coalesce over its arguments) so an index can use it,
 * and SQL so the planner inlines it: a query's call and the index's expression match.
 */
export class Migration20261207130000 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string) => this.execute(sql);
    const params = WORD_COLUMNS.map((c) => `${c} text`).join(', ');
    const body = WORD_COLUMNS.map((c) => `coalesce(${c}, '')`).join(` || ' ' || `);
    // `or replace` / `if not exists`: an operator may have built the index beforehand with CREATE
    // INDEX CONCURRENTLY, so that writes never wait for it (docs/operations.md, upgrading).
    await run(`create or replace function customer_word_text(${params}) returns text language sql immutable parallel safe as $$ select ${body} $$;`);
    const keys = [`customer_word_text(${WORD_COLUMNS.join(', ')}) gin_trgm_ops`, ...OWN_COLUMNS.map((c) => `"${c}" gin_trgm_ops`)];
    await run(`create index if not exists "customers_search_text_trgm" on "customers" using gin (${keys.join(', ')});`);
    // If exists: a database whose search index was dropped by hand still migrates.
    await run('drop index if exists "customers_search_trgm";');
  }

  override async down(): Promise<void> {
    this.addSql(`create index "customers_search_trgm" on "customers" using gin (${INDEXED.map((c) => `"${c}" gin_trgm_ops`).join(', ')});`);
    this.addSql('drop index "customers_search_text_trgm";');
    this.addSql(`drop function customer_word_text(${WORD_COLUMNS.map(() => 'text').join(', ')});`);
  }
}
