import { Migration } from '@mikro-orm/migrations';

export class Migration20261125202735 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "customers" ("id" serial primary key, "email" varchar(254) not null, "first_name" varchar(100) not null, "last_name" varchar(100) not null, "first_name_key" varchar(100) not null, "last_name_key" varchar(100) not null, "phone" varchar(32) null, "company" varchar(200) null, "address" jsonb null, "metadata" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "version" int not null default 1);`,
    );
    this.addSql(`alter table "customers" add constraint "customers_email_unique" unique ("email");`);
    this.addSql(`create index "customers_first_name_key_index" on "customers" ("first_name_key");`);
    this.addSql(`create index "customers_created_at_id_index" on "customers" ("created_at", "id");`);
    this.addSql(`create index "customers_updated_at_id_index" on "customers" ("updated_at", "id");`);
    this.addSql(`create index "customers_last_name_key_id_index" on "customers" ("last_name_key", "id");`);
  }
}
