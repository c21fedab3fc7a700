import { Migration } from '@mikro-orm/migrations';

export class Migration20261125203617 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "throttle_events" ("id" serial primary key, "key" varchar(300) not null, "at" timestamptz not null);`);
    this.addSql(`create index "throttle_events_key_at_index" on "throttle_events" ("key", "at");`);

    this.addSql(
      `create table "users" ("id" varchar(36) not null, "email" varchar(254) not null, "password_hash" varchar(100) not null, "role" varchar(16) not null, "customer_id" int null, "created_at" timestamptz not null, "password_changed_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
    this.addSql(`create index "users_customer_id_index" on "users" ("customer_id");`);

    this.addSql(
      `create table "sessions" ("id" varchar(36) not null, "user_id" varchar(36) not null, "refresh_hash" varchar(64) not null, "user_agent" varchar(512) null, "ip" varchar(64) null, "created_at" timestamptz not null, "last_used_at" timestamptz not null, "expires_at" timestamptz not null, "revoked_at" timestamptz null, constraint "sessions_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "sessions_user_id_index" on "sessions" ("user_id");`);

    this.addSql(
      `create table "password_reset_tokens" ("id" serial primary key, "user_id" varchar(36) not null, "token_hash" varchar(64) not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "used_at" timestamptz null);`,
    );
    this.addSql(`create index "password_reset_tokens_user_id_index" on "password_reset_tokens" ("user_id");`);
    this.addSql(`alter table "password_reset_tokens" add constraint "password_reset_tokens_token_hash_unique" unique ("token_hash");`);

    this.addSql(
      `alter table "users" add constraint "users_customer_id_foreign" foreign key ("customer_id") references "customers" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "password_reset_tokens" add constraint "password_reset_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "sessions" drop constraint "sessions_user_id_foreign";`);

    this.addSql(`alter table "password_reset_tokens" drop constraint "password_reset_tokens_user_id_foreign";`);

    this.addSql(`drop table if exists "throttle_events" cascade;`);

    this.addSql(`drop table if exists "users" cascade;`);

    this.addSql(`drop table if exists "sessions" cascade;`);

    this.addSql(`drop table if exists "password_reset_tokens" cascade;`);
  }
}
