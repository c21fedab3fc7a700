import { Migration } from '@mikro-orm/migrations';

/**
 * New customers wait in `search_pending` for the search indexer (search/search-indexer.ts), which
 * writes their words into the typo dictionary in batches: per create, the dictionary's rows cost
 * more than the row itself (docs/architecture.md, "Search"). The GIN trigram index follows the
 * row as before (its fast-update list already batches). Searches read the pending rows' words
 * for typos, so search stays immediate.
 *
 * A transaction that writes its rows' words itself (an import batch) sets `carly.search_direct`
 * to `on` (set_config, local to the transaction): its rows skip search_pending.
 */
export class Migration20261207090000 extends Migration {
  override async up(): Promise<void> {
    const run = (sql: string) => this.execute(sql);
    // No foreign key: its check would cost every create a lookup of the row it just wrote. A
    // deleted customer leaves the queue by the delete trigger below instead.
    await run('create table "search_pending" ("customer_id" bigint not null, constraint "search_pending_pkey" primary key ("customer_id"));');
    await run(
      'create function customers_search_pending() returns trigger language plpgsql as $$ ' +
        'begin insert into search_pending (customer_id) values (new.id); return null; end $$;',
    );
    await run(
      'create trigger customers_search_pending after insert on customers for each row ' +
        "when (current_setting('carly.search_direct', true) is distinct from 'on') execute function customers_search_pending();",
    );
    await run(
      'create function customers_search_unpend() returns trigger language plpgsql as $$ ' +
        'begin delete from search_pending where customer_id = old.id; return null; end $$;',
    );
    await run('create trigger customers_search_unpend after delete on customers for each row execute function customers_search_unpend();');
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger customers_search_unpend on customers;');
    this.addSql('drop function customers_search_unpend();');
    this.addSql('drop trigger customers_search_pending on customers;');
    this.addSql('drop function customers_search_pending();');
    this.addSql('drop table "search_pending";');
  }
}
