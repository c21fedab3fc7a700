import { Migration } from '@mikro-orm/migrations';

export class Migration20261201135155 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`api_keys\` (\`id\` text not null, \`name\` text not null, \`start\` text not null, \`secret_hash\` text not null, \`scopes\` json not null, \`created_by\` text null, \`created_at\` datetime not null, \`expires_at\` datetime null, \`last_used_at\` datetime null, \`revoked_at\` datetime null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`api_keys_secret_hash_unique\` on \`api_keys\` (\`secret_hash\`);`);

    this.addSql(
      `create table \`audit_entries\` (\`id\` integer not null primary key autoincrement, \`xid\` bigint not null default 0, \`at\` datetime not null, \`actor_type\` text not null, \`actor_id\` text null, \`actor_email\` text null, \`action\` text not null, \`target_type\` text null, \`target_id\` text null, \`outcome\` text not null, \`changes\` json null, \`request_id\` text null, \`ip\` text null, \`user_agent\` text null, \`hash\` text null);`,
    );
    this.addSql(`create index \`audit_entries_at_index\` on \`audit_entries\` (\`at\`);`);
    this.addSql(`create index \`audit_entries_actor_id_index\` on \`audit_entries\` (\`actor_id\`);`);
    this.addSql(`create index \`audit_entries_target_id_index\` on \`audit_entries\` (\`target_id\`);`);

    this.addSql(
      `create table \`events\` (\`id\` integer not null primary key autoincrement, \`xid\` bigint not null default 0, \`type\` text not null, \`occurred_at\` datetime not null, \`customer_id\` text null, \`customer_email\` text null, \`customer_version\` integer null, \`changed\` json not null, \`actor_type\` text not null, \`actor_id\` text not null, \`request_id\` text null, \`data\` json null);`,
    );
    this.addSql(`create index \`events_occurred_at_index\` on \`events\` (\`occurred_at\`);`);
    this.addSql(`create index \`events_customer_id_index\` on \`events\` (\`customer_id\`);`);
    this.addSql(`create index \`events_xid_id_index\` on \`events\` (\`xid\`, \`id\`);`);

    this.addSql(
      `create table \`idempotency_records\` (\`id\` integer not null primary key autoincrement, \`scope\` text not null, \`key\` text not null, \`operation\` text not null, \`fingerprint\` text not null, \`state\` text not null, \`locked_at\` datetime not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`response_status\` integer null, \`response_body\` text null);`,
    );
    this.addSql(`create index \`idempotency_records_expires_at_index\` on \`idempotency_records\` (\`expires_at\`);`);
    this.addSql(`create unique index \`idempotency_records_scope_key_unique\` on \`idempotency_records\` (\`scope\`, \`key\`);`);

    // SQLite adds a NOT NULL column only with a default; existing rows then get their public id.
    this.addSql(`alter table \`customers\` add column \`public_id\` text not null default '';`);
    this.addSql(`update \`customers\` set \`public_id\` = 'cus_' || lower(hex(randomblob(12)));`);
    this.addSql(`create unique index \`customers_public_id_unique\` on \`customers\` (\`public_id\`);`);
  }
}
