import { Migration } from '@mikro-orm/migrations';

export class Migration20261125203617 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`throttle_events\` (\`id\` integer not null primary key autoincrement, \`key\` text not null, \`at\` datetime not null);`);
    this.addSql(`create index \`throttle_events_key_at_index\` on \`throttle_events\` (\`key\`, \`at\`);`);

    this.addSql(
      `create table \`users\` (\`id\` text not null, \`email\` text not null, \`password_hash\` text not null, \`role\` text not null, \`customer_id\` integer null, \`created_at\` datetime not null, \`password_changed_at\` datetime not null, constraint \`users_customer_id_foreign\` foreign key(\`customer_id\`) references \`customers\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`users_email_unique\` on \`users\` (\`email\`);`);
    this.addSql(`create index \`users_customer_id_index\` on \`users\` (\`customer_id\`);`);

    this.addSql(
      `create table \`sessions\` (\`id\` text not null, \`user_id\` text not null, \`refresh_hash\` text not null, \`user_agent\` text null, \`ip\` text null, \`created_at\` datetime not null, \`last_used_at\` datetime not null, \`expires_at\` datetime not null, \`revoked_at\` datetime null, constraint \`sessions_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`sessions_user_id_index\` on \`sessions\` (\`user_id\`);`);

    this.addSql(
      `create table \`password_reset_tokens\` (\`id\` integer not null primary key autoincrement, \`user_id\` text not null, \`token_hash\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, constraint \`password_reset_tokens_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`password_reset_tokens_user_id_index\` on \`password_reset_tokens\` (\`user_id\`);`);
    this.addSql(`create unique index \`password_reset_tokens_token_hash_unique\` on \`password_reset_tokens\` (\`token_hash\`);`);
  }
}
