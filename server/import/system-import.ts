import type { MikroORM } from '@mikro-orm/core';
import { systemClock } from '../clock.js';
import { forkEntityManager } from '../db/orm.js';
import { WriteTransactions } from '../db/write-transaction.js';
import { systemIdentity } from '../identity/identity.js';
import { writeHooks } from '../write-hooks.js';
import { newImportId, recordImportEnd } from './import-record.js';
import { ImportFailedError, ImportInputError, type ImportOptions, type ImportSummary, importCustomers } from './importer.js';

/**
 * An import the server runs on its own behalf (`npm run import`, the sample data at first start):
 * the same importer as POST /customers/import (a `customer.created`/`customer.updated` event per
 * row changed), acting as the system job `import`, then the import's end recorded like the API's
 * (`customers.imported` and an audit entry), also when it stopped part-way. Errors are rethrown.
 */
export async function runSystemImport(orm: MikroORM, input: AsyncIterable<Buffer | string>, options: ImportOptions = {}): Promise<ImportSummary> {
  const writes = new WriteTransactions(() => forkEntityManager(orm), systemIdentity('import'), { clock: systemClock, hooks: writeHooks() });
  const end = async (summary: ImportSummary, complete: boolean) => {
    try {
      await recordImportEnd(writes, { importId: newImportId(), ...summary, rejects: [] }, complete, false);
    } catch (err) {
      // Recording the end of a failed import may fail the same way; the import's error is what counts.
      if (complete) throw err;
    }
  };
  try {
    const summary = await importCustomers(orm, input, options);
    await end(summary, true);
    return summary;
  } catch (err) {
    if (err instanceof ImportInputError) await end(err.summary, false);
    else if (err instanceof ImportFailedError) await end(err.committed, false);
    throw err;
  }
}
