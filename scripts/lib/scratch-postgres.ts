import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Creates a throwaway database on the server of `adminUrl`, runs `fn` with its URL, then drops it.
 * Tests and scripts use this so no run sees another's data.
 */
export async function withScratchPostgres<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const { url, drop } = await createScratchPostgres(adminUrl);
  try {
    return await fn(url);
  } finally {
    await drop();
  }
}

export interface ScratchOptions {
  /**
   * Give the database this ICU default collation (e.g. `en-US`, PostgreSQL 15+) instead of the
   * server's default, to show that results do not depend on it.
   */
  icuLocale?: string;
  /** Copy this database (by name; nobody may be connected to it), e.g. one already migrated. */
  template?: string;
}

export async function createScratchPostgres(adminUrl: string, options: ScratchOptions = {}): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `carly_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const locale = options.icuLocale
    ? ` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE ${admin.escapeLiteral(options.icuLocale)}`
    : options.template
      ? ` TEMPLATE ${admin.escapeIdentifier(options.template)}`
      : '';
  try {
    await admin.query(`CREATE DATABASE ${name}${locale}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
