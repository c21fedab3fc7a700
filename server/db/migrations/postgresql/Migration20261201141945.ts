import { Migration } from '@mikro-orm/migrations';

export class Migration20261201141945 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "audit_entries" add column "chain_seq" bigint null, add column "prev_hash" varchar(64) null, add column "pii_salt" varchar(32) null, add column "pii_digest" varchar(64) null, add column "pseudonym" varchar(32) null;`,
    );
    this.addSql(`alter table "audit_entries" add constraint "audit_entries_chain_seq_unique" unique ("chain_seq");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "audit_entries" drop constraint "audit_entries_chain_seq_unique";`);
    this.addSql(
      `alter table "audit_entries" drop column "chain_seq", drop column "prev_hash", drop column "pii_salt", drop column "pii_digest", drop column "pseudonym";`,
    );
  }
}
