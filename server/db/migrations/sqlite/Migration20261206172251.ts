import { Migration } from '@mikro-orm/migrations';
import { backfillSearchKeys } from '../../../search/backfill.js';

/** The columns the FTS5 index covers, in its order (external content: it reads them from customers). */
const FTS_COLUMNS = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'phone_fold', 'company_fold', 'city_fold', 'search_words', 'metadata_fold'];
const cols = FTS_COLUMNS.join(', ');
const values = (row: 'new' | 'old') => FTS_COLUMNS.map((c) => `${row}.${c}`).join(', ');

/**
 * Search (docs/architecture.md): folded columns computed in code, back-filled here for the rows
 * that exist; the typo dictionary; an FTS5 trigram index over the folded text kept current by
 * triggers in the writing transaction, with FTS5's secure-delete on, so a deleted row's terms
 * leave the index's pages at once (erasure scans the files for a person's bytes).
 */
export class Migration20261206172251 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string, params: unknown[] = []) => this.execute(sql, params);
    await run(`create table \`search_words\` (\`variant\` text not null, \`word\` text not null, primary key (\`variant\`, \`word\`));`);
    await run(`create index \`search_words_word_index\` on \`search_words\` (\`word\`);`);

    // SQLite adds a NOT NULL column only with a default; the back-fill below replaces it in every row.
    for (const column of ['first_name_fold', 'last_name_fold', 'name_fold', 'search_words', 'metadata_fold']) {
      await run(`alter table \`customers\` add column \`${column}\` text not null default '';`);
    }
    for (const column of ['phone_fold', 'company_fold', 'city_fold', 'country_fold']) {
      await run(`alter table \`customers\` add column \`${column}\` text null;`);
    }
    await run(`create index \`customers_country_fold_index\` on \`customers\` (\`country_fold\`);`);
    await backfillSearchKeys(run);

    await run(`create virtual table customers_search using fts5(${cols}, content='customers', content_rowid='id', tokenize='trigram case_sensitive 1');`);
    await run(`insert into customers_search (customers_search, rank) values ('secure-delete', 1);`);
    await run(`insert into customers_search (customers_search) values ('rebuild');`);
    await run(
      `create trigger customers_search_insert after insert on customers begin insert into customers_search (rowid, ${cols}) values (new.id, ${values('new')}); end;`,
    );
    await run(
      `create trigger customers_search_delete after delete on customers begin insert into customers_search (customers_search, rowid, ${cols}) values ('delete', old.id, ${values('old')}); end;`,
    );
    await run(
      `create trigger customers_search_update after update of ${cols} on customers begin ` +
        `insert into customers_search (customers_search, rowid, ${cols}) values ('delete', old.id, ${values('old')}); ` +
        `insert into customers_search (rowid, ${cols}) values (new.id, ${values('new')}); end;`,
    );
  }
}
