import { Migration } from '@mikro-orm/migrations';

export class Migration20261201142338 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`email_verification_tokens\` (\`id\` integer not null primary key autoincrement, \`user_id\` text not null, \`token_hash\` text not null, \`created_at\` datetime not null, \`expires_at\` datetime not null, \`used_at\` datetime null, constraint \`email_verification_tokens_user_id_foreign\` foreign key(\`user_id\`) references \`users\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`email_verification_tokens_user_id_index\` on \`email_verification_tokens\` (\`user_id\`);`);
    this.addSql(`create unique index \`email_verification_tokens_token_hash_unique\` on \`email_verification_tokens\` (\`token_hash\`);`);
  }
}
