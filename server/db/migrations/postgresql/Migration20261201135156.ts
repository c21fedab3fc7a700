import { Migration } from '@mikro-orm/migrations';

export class Migration20261201135156 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "api_keys" ("id" varchar(32) not null, "name" varchar(100) not null, "start" varchar(20) not null, "secret_hash" varchar(64) not null, "scopes" jsonb not null, "created_by" varchar(36) null, "created_at" timestamptz not null, "expires_at" timestamptz null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, constraint "api_keys_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "api_keys" add constraint "api_keys_secret_hash_unique" unique ("secret_hash");`);

    this.addSql(
      `create table "audit_entries" ("id" bigserial primary key, "xid" bigint not null default 0, "at" timestamptz not null, "actor_type" varchar(16) not null, "actor_id" varchar(64) null, "actor_email" varchar(254) null, "action" varchar(64) not null, "target_type" varchar(32) null, "target_id" varchar(254) null, "outcome" varchar(16) not null, "changes" jsonb null, "request_id" varchar(64) null, "ip" varchar(64) null, "user_agent" varchar(512) null, "hash" varchar(64) null);`,
    );
    this.addSql(`create index "audit_entries_at_index" on "audit_entries" ("at");`);
    this.addSql(`create index "audit_entries_actor_id_index" on "audit_entries" ("actor_id");`);
    this.addSql(`create index "audit_entries_target_id_index" on "audit_entries" ("target_id");`);

    this.addSql(
      `create table "events" ("id" bigserial primary key, "xid" bigint not null default 0, "type" varchar(40) not null, "occurred_at" timestamptz not null, "customer_id" varchar(32) null, "customer_email" varchar(254) null, "customer_version" int null, "changed" jsonb not null, "actor_type" varchar(16) not null, "actor_id" varchar(64) not null, "request_id" varchar(64) null, "data" jsonb null);`,
    );
    this.addSql(`create index "events_occurred_at_index" on "events" ("occurred_at");`);
    this.addSql(`create index "events_customer_id_index" on "events" ("customer_id");`);
    this.addSql(`create index "events_xid_id_index" on "events" ("xid", "id");`);

    this.addSql(
      `create table "idempotency_records" ("id" serial primary key, "scope" varchar(80) not null, "key" varchar(255) not null, "operation" varchar(100) not null, "fingerprint" varchar(64) not null, "state" varchar(16) not null, "locked_at" timestamptz not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, "response_status" int null, "response_body" text null);`,
    );
    this.addSql(`create index "idempotency_records_expires_at_index" on "idempotency_records" ("expires_at");`);
    this.addSql(`alter table "idempotency_records" add constraint "idempotency_records_scope_key_unique" unique ("scope", "key");`);

    // Existing rows get their public id, then the column becomes required.
    this.addSql(`alter table "customers" add column "public_id" varchar(32) null;`);
    this.addSql(`update "customers" set "public_id" = 'cus_' || left(replace(gen_random_uuid()::text, '-', ''), 24);`);
    this.addSql(`alter table "customers" alter column "public_id" set not null;`);
    this.addSql(`alter table "customers" add constraint "customers_public_id_unique" unique ("public_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_keys" cascade;`);

    this.addSql(`drop table if exists "audit_entries" cascade;`);

    this.addSql(`drop table if exists "events" cascade;`);

    this.addSql(`drop table if exists "idempotency_records" cascade;`);

    this.addSql(`alter table "customers" drop constraint "customers_public_id_unique";`);
    this.addSql(`alter table "customers" drop column "public_id";`);
  }
}
