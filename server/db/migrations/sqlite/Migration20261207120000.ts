import { Migration } from '@mikro-orm/migrations';

/** The FTS5 table's columns as Migration20261206172251 made them (a migration is a frozen snapshot: no live imports). */
const FTS_COLUMNS = ['email', 'first_name_fold', 'last_name_fold', 'name_fold', 'phone_fold', 'company_fold', 'city_fold', 'search_words', 'metadata_fold'];

const cols = FTS_COLUMNS.join(', ');
const values = (row: string) => FTS_COLUMNS.map((c) => `${row}.${c}`).join(', ');
/** Whether FTS5 holds a row: every customer up to the watermark is in it, none after it. */
const indexed = (row: string) => `${row}.id <= (select upto from search_indexed)`;

/**
 * SQLite: the search indexer's queue (search_pending, Migration20261207090000) becomes a
 * watermark. SQLite has one writer at a time and customer ids are AUTOINCREMENT (never reused),
 * so id order is commit order: "not indexed yet" is simply "id after `search_indexed.upto`". A
 * create then writes nothing for search but its own row: no queue row (a B-tree page written per
 * commit) and no insert trigger (docs/performance.md, issue 19's create ratio). The indexer and
 * an import batch index every row after the watermark and move it (search/search-indexer.ts,
 * import/sqlite-batch.ts). PostgreSQL keeps its queue: several instances commit ids out of order.
 *
 * The watermark starts just before the oldest queued customer. Rows after it that an import
 * indexed at once (search_direct) leave FTS5 first, so the indexer writes each of them once.
 */
export class Migration20261207120000 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string) => this.execute(sql);
    await run('create table `search_indexed` (`id` integer not null primary key check (`id` = 1), `upto` integer not null);');
    await run(
      'insert into search_indexed (id, upto) values (1, coalesce((select min(customer_id) - 1 from search_pending), (select max(id) from customers), 0));',
    );
    await run(
      `insert into customers_search (customers_search, rowid, ${cols}) select 'delete', c.id, ${values('c')} ` +
        'from search_indexed w cross join customers c on c.id > w.upto where c.id not in (select customer_id from search_pending);',
    );
    for (const name of ['customers_search_pending', 'customers_search_insert', 'customers_search_delete', 'customers_search_update'])
      await run(`drop trigger \`${name}\`;`);
    await run('drop table `search_pending`;');
    await run('drop table `search_direct`;');
    await run(
      `create trigger customers_search_delete after delete on customers when ${indexed('old')} begin ` +
        `insert into customers_search (customers_search, rowid, ${cols}) values ('delete', old.id, ${values('old')}); end;`,
    );
    await run(
      `create trigger customers_search_update after update of ${cols} on customers when ${indexed('old')} begin ` +
        `insert into customers_search (customers_search, rowid, ${cols}) values ('delete', old.id, ${values('old')}); ` +
        `insert into customers_search (rowid, ${cols}) values (new.id, ${values('new')}); end;`,
    );
  }
}
