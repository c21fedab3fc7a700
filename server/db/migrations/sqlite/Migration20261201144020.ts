import { Migration } from '@mikro-orm/migrations';

export class Migration20261201144020 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`webhooks\` (\`id\` text not null, \`url\` text not null, \`events\` json not null, \`description\` text null, \`status\` text not null, \`secret_enc\` text not null, \`previous_secret_enc\` text null, \`previous_secret_expires_at\` datetime null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`failing_since\` datetime null, primary key (\`id\`));`,
    );

    this.addSql(
      `create table \`webhook_deliveries\` (\`id\` integer not null primary key autoincrement, \`webhook_id\` text not null, \`event_id\` text not null, \`event_row\` bigint null, \`payload\` text null, \`state\` text not null, \`attempts\` integer not null default 0, \`next_attempt_at\` datetime null, \`lease_until\` datetime null, \`previous_lease_until\` datetime null, \`created_at\` datetime not null, constraint \`webhook_deliveries_webhook_id_foreign\` foreign key(\`webhook_id\`) references \`webhooks\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`webhook_deliveries_webhook_id_index\` on \`webhook_deliveries\` (\`webhook_id\`);`);
    this.addSql(`create index \`webhook_deliveries_created_at_index\` on \`webhook_deliveries\` (\`created_at\`);`);
    this.addSql(`create index \`webhook_deliveries_due_index\` on \`webhook_deliveries\` (\`state\`, \`next_attempt_at\`);`);
    this.addSql(`create unique index \`webhook_deliveries_webhook_event_unique\` on \`webhook_deliveries\` (\`webhook_id\`, \`event_id\`);`);

    this.addSql(
      `create table \`webhook_attempts\` (\`id\` integer not null primary key autoincrement, \`delivery_id\` bigint not null, \`webhook_id\` text not null, \`event_id\` text not null, \`attempt\` integer not null, \`status\` text not null, \`response_status\` integer null, \`duration_ms\` integer null, \`error\` text null, \`created_at\` datetime not null, \`next_attempt_at\` datetime null, constraint \`webhook_attempts_delivery_id_foreign\` foreign key(\`delivery_id\`) references \`webhook_deliveries\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`webhook_attempts_delivery_id_index\` on \`webhook_attempts\` (\`delivery_id\`);`);
    this.addSql(`create index \`webhook_attempts_webhook_id_index\` on \`webhook_attempts\` (\`webhook_id\`, \`id\`);`);
    this.addSql(`create unique index \`webhook_attempts_delivery_attempt_unique\` on \`webhook_attempts\` (\`delivery_id\`, \`attempt\`);`);

    this.addSql(`create table \`webhook_fanout\` (\`id\` integer not null, \`position\` text null, \`updated_at\` datetime not null, primary key (\`id\`));`);
  }
}
