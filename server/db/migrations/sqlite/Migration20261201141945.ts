import { Migration } from '@mikro-orm/migrations';

export class Migration20261201141945 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`audit_entries\` add column \`chain_seq\` bigint null;`);
    this.addSql(`alter table \`audit_entries\` add column \`prev_hash\` text null;`);
    this.addSql(`alter table \`audit_entries\` add column \`pii_salt\` text null;`);
    this.addSql(`alter table \`audit_entries\` add column \`pii_digest\` text null;`);
    this.addSql(`alter table \`audit_entries\` add column \`pseudonym\` text null;`);
    this.addSql(`create unique index \`audit_entries_chain_seq_unique\` on \`audit_entries\` (\`chain_seq\`);`);
  }
}
