import type { EntityManager } from '@mikro-orm/knex';
import { BetterSqlitePlatform } from '@mikro-orm/better-sqlite';

const ATTEMPTS = 50;
const PAUSE_MS = 100;

/**
 * After an erasure on SQLite: copies the WAL into the database file and truncates it to zero
 * bytes, so the old versions of the erased rows' pages (which the WAL still holds until then) are
 * gone from the files. With `secure_delete` on (db/orm.ts), the pages written back hold zeros
 * where the rows were. A reader in the middle of a read keeps the WAL busy; it is waited for
 * (busy_timeout) and the checkpoint retried. Elsewhere (PostgreSQL) it does nothing: see
 * docs/audit-and-privacy.md on vacuum.
 */
export async function scrubSqliteFiles(em: EntityManager): Promise<boolean> {
  if (!(em.getPlatform() instanceof BetterSqlitePlatform)) return true;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const [result] = await em.execute<{ busy: number }[]>('pragma wal_checkpoint(TRUNCATE)');
    if (result && Number(result.busy) === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
  }
  return false;
}
