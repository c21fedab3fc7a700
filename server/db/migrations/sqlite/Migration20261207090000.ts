import { Migration } from '@mikro-orm/migrations';

/** The FTS5 table's columns as Migration20261206172251 made them (a migration is a frozen snapshot: no live imports). */
const FTS_COLUMNS = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'phone_fold', 'company_fold', 'city_fold', 'search_words', 'metadata_fold'];

const cols = FTS_COLUMNS.join(', ');
const values = (row: 'new' | 'old') => FTS_COLUMNS.map((c) => `${row}.${c}`).join(', ');
const notPending = (row: 'new' | 'old') => `not exists (select 1 from search_pending where customer_id = ${row}.id)`;

/**
 * New customers wait in `search_pending` for the search indexer (search/search-indexer.ts) instead
 * of each create writing FTS5 and the typo dictionary in its own commit: FTS5 flushes a segment
 * per commit, which made a create cost 1.65× one without search (docs/architecture.md, "Search").
 * Searches test the pending rows directly, so search stays immediate.
 *
 * - Insert: the id into search_pending, unless the transaction marked itself as indexing its own
 *   rows (a row in `search_direct`, which an import batch inserts and deletes before it commits):
 *   then into FTS5 at once, as before.
 * - Update and delete: FTS5 changes only for rows it holds (a pending row is not in it yet: a
 *   'delete' of terms it never had would corrupt it); a deleted row leaves search_pending.
 */
export class Migration20261207090000 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string) => this.execute(sql);
    await run('create table `search_pending` (`customer_id` integer not null primary key);');
    await run('create table `search_direct` (`marker` integer not null);');
    for (const name of ['customers_search_insert', 'customers_search_delete', 'customers_search_update']) await run(`drop trigger \`${name}\`;`);
    await run(
      'create trigger customers_search_pending after insert on customers when not exists (select 1 from search_direct) begin ' +
        'insert into search_pending (customer_id) values (new.id); end;',
    );
    await run(
      'create trigger customers_search_insert after insert on customers when exists (select 1 from search_direct) begin ' +
        `insert into customers_search (rowid, ${cols}) values (new.id, ${values('new')}); end;`,
    );
    await run(
      'create trigger customers_search_delete after delete on customers begin ' +
        `insert into customers_search (customers_search, rowid, ${cols}) select 'delete', old.id, ${values('old')} where ${notPending('old')}; ` +
        'delete from search_pending where customer_id = old.id; end;',
    );
    await run(
      `create trigger customers_search_update after update of ${cols} on customers when ${notPending('old')} begin ` +
        `insert into customers_search (customers_search, rowid, ${cols}) values ('delete', old.id, ${values('old')}); ` +
        `insert into customers_search (rowid, ${cols}) values (new.id, ${values('new')}); end;`,
    );
  }
}
