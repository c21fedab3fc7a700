import { Migration } from '@mikro-orm/migrations';

export class Migration20261207013000 extends Migration {
  override async up(): Promise<void> {
    // When a webhook was last re-enabled: events from before it are never queued for it.
    this.addSql(`alter table "webhooks" add column "active_since" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "webhooks" drop column "active_since";`);
  }
}
