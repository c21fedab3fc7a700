import { Migration } from '@mikro-orm/migrations';
import { backfillDictionary } from '../../../search/backfill.js';

/**
 * The typo dictionary holds each distinct word once, and the characters the words use
 * (search/dictionary.ts), instead of each word under itself and every one-deletion variant: a new
 * word cost a create 5 to 16 rows in random leaves of a table 12 times the customers' size. A
 * query word's one-edit strings over the alphabet are looked up instead (docs/architecture.md,
 * "Search"). Both tables are rebuilt from the customers' words (the search_words column).
 */
export class Migration20261207100000 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string, params: unknown[] = []) => this.execute(sql, params);
    await run('drop table "search_words";');
    await run('create table "search_words" ("word" text not null, primary key ("word"));');
    await run('create table "search_alphabet" ("ch" text not null, primary key ("ch"));');
    await backfillDictionary(run);
  }
}
