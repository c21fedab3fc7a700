import path from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { openMigrator } from '../server/db/migrate.js';
import { dropsUndescribedIndex, ormOptions } from '../server/db/orm.js';
import { tempDir } from './helpers/server.js';

/** After every committed migration ran, the schema must equal what the entities describe. */
async function pendingSchemaChange(database: Parameters<typeof ormOptions>[0]) {
  const orm = await MikroORM.init(await ormOptions(database));
  try {
    await (await openMigrator(orm, database.kind)).up();
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    return diff
      .split('\n')
      .filter((line) => !dropsUndescribedIndex(line))
      .join('\n')
      .trim();
  } finally {
    await orm.close(true);
  }
}

describe('committed migrations are not behind the entities (run `npm run migration:create`)', () => {
  it('sqlite', async () => {
    expect(await pendingSchemaChange({ kind: 'sqlite', file: path.join(tempDir(), 'm.sqlite') })).toBe('');
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    process.env.TEST_DATABASE_URL ? 'postgresql' : 'postgresql (skipped: set TEST_DATABASE_URL=postgres://… to run it)',
    async () => {
      const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
      try {
        expect(await pendingSchemaChange({ kind: 'postgresql', url: scratch.url })).toBe('');
      } finally {
        await scratch.drop();
      }
    },
  );
});
