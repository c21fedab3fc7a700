import { Migration } from '@mikro-orm/migrations';

export class Migration20261125202735 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`customers\` (\`id\` integer not null primary key autoincrement, \`email\` text not null, \`first_name\` text not null, \`last_name\` text not null, \`first_name_key\` text not null, \`last_name_key\` text not null, \`phone\` text null, \`company\` text null, \`address\` json null, \`metadata\` json not null, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`version\` integer not null default 1);`,
    );
    this.addSql(`create unique index \`customers_email_unique\` on \`customers\` (\`email\`);`);
    this.addSql(`create index \`customers_first_name_key_index\` on \`customers\` (\`first_name_key\`);`);
    this.addSql(`create index \`customers_created_at_id_index\` on \`customers\` (\`created_at\`, \`id\`);`);
    this.addSql(`create index \`customers_updated_at_id_index\` on \`customers\` (\`updated_at\`, \`id\`);`);
    this.addSql(`create index \`customers_last_name_key_id_index\` on \`customers\` (\`last_name_key\`, \`id\`);`);
  }
}
