import { Migration } from '@mikro-orm/migrations';

export class Migration20261206174252 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`webhooks\` add column \`slow_until\` datetime null;`);
    this.addSql(`alter table \`webhooks\` add column \`slow_down_seconds\` integer null;`);

    this.addSql(`alter table \`webhook_attempts\` add column \`response_headers\` text null;`);
    this.addSql(`alter table \`webhook_attempts\` add column \`response_body\` text null;`);

    // A failed attempt with another one scheduled was recorded as 'failed'; it is 'retrying' now
    // ('failed' means given up).
    this.addSql(`update webhook_attempts set status = 'retrying' where status = 'failed' and next_attempt_at is not null;`);
  }
}
