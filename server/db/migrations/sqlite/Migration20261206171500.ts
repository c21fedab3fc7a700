import { Migration } from '@mikro-orm/migrations';

/** Audit entries get `details`: what an export or an import did (query, format, rows, bytes; an import's counts). */
export class Migration20261206171500 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`audit_entries\` add column \`details\` json null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`audit_entries\` drop column \`details\`;`);
  }
}
