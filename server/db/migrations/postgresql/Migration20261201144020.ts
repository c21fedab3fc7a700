import { Migration } from '@mikro-orm/migrations';

export class Migration20261201144020 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "webhooks" ("id" varchar(32) not null, "url" varchar(2048) not null, "events" jsonb not null, "description" varchar(500) null, "status" varchar(16) not null, "secret_enc" text not null, "previous_secret_enc" text null, "previous_secret_expires_at" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "failing_since" timestamptz null, constraint "webhooks_pkey" primary key ("id"));`,
    );

    this.addSql(
      `create table "webhook_deliveries" ("id" bigserial primary key, "webhook_id" varchar(32) not null, "event_id" varchar(40) not null, "event_row" bigint null, "payload" text null, "state" varchar(16) not null, "attempts" int not null default 0, "next_attempt_at" timestamptz null, "lease_until" timestamptz null, "previous_lease_until" timestamptz null, "created_at" timestamptz not null);`,
    );
    this.addSql(`create index "webhook_deliveries_created_at_index" on "webhook_deliveries" ("created_at");`);
    this.addSql(`create index "webhook_deliveries_due_index" on "webhook_deliveries" ("state", "next_attempt_at");`);
    this.addSql(`alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_event_unique" unique ("webhook_id", "event_id");`);

    this.addSql(
      `create table "webhook_attempts" ("id" bigserial primary key, "delivery_id" bigint not null, "webhook_id" varchar(32) not null, "event_id" varchar(40) not null, "attempt" int not null, "status" varchar(16) not null, "response_status" int null, "duration_ms" int null, "error" varchar(500) null, "created_at" timestamptz not null, "next_attempt_at" timestamptz null);`,
    );
    this.addSql(`create index "webhook_attempts_webhook_id_index" on "webhook_attempts" ("webhook_id", "id");`);
    this.addSql(`alter table "webhook_attempts" add constraint "webhook_attempts_delivery_attempt_unique" unique ("delivery_id", "attempt");`);

    this.addSql(
      `create table "webhook_fanout" ("id" int not null, "position" varchar(40) null, "updated_at" timestamptz not null, constraint "webhook_fanout_pkey" primary key ("id"));`,
    );

    this.addSql(
      `alter table "webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "webhooks" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "webhook_attempts" add constraint "webhook_attempts_delivery_id_foreign" foreign key ("delivery_id") references "webhook_deliveries" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhook_deliveries" drop constraint "webhook_deliveries_webhook_id_foreign";`);

    this.addSql(`alter table "webhook_attempts" drop constraint "webhook_attempts_delivery_id_foreign";`);

    this.addSql(`drop table if exists "webhooks" cascade;`);

    this.addSql(`drop table if exists "webhook_deliveries" cascade;`);

    this.addSql(`drop table if exists "webhook_attempts" cascade;`);

    this.addSql(`drop table if exists "webhook_fanout" cascade;`);
  }
}
