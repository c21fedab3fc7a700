import { Migration } from '@mikro-orm/migrations';

/**
 * Written by hand (MikroORM 6 neither models nor diffs column collations, so the entities and
 * snapshots stay as they were): the searched and sorted text columns compare by code point
 * (COLLATE "C", byte order of UTF-8), as SQLite's BINARY collation does. Sort orders are then
 * the same on both databases whatever the database's default collation, `LIKE 'q%'` on these
 * columns is a range on their plain btree indexes, and cursor comparisons agree with ORDER BY.
 * Changing a column's collation rebuilds the indexes on it.
 */
export class Migration20261125210915 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "customers" alter column "email" type varchar(254) collate "C";`);
    this.addSql(`alter table "customers" alter column "first_name_key" type varchar(100) collate "C";`);
    this.addSql(`alter table "customers" alter column "last_name_key" type varchar(100) collate "C";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "customers" alter column "email" type varchar(254) collate "default";`);
    this.addSql(`alter table "customers" alter column "first_name_key" type varchar(100) collate "default";`);
    this.addSql(`alter table "customers" alter column "last_name_key" type varchar(100) collate "default";`);
  }
}
