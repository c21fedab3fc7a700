import { randomBytes } from 'node:crypto';
import type { ImportReport } from '../../client-sdk/src/schemas/bulk.js';
import type { WriteTransactions } from '../db/write-transaction.js';

export type { ImportReport };

/** Rejected rows the report lists; `rejected` counts them all. */
export const REPORTED_REJECTS = 1000;

export const newImportId = () => `imp_${randomBytes(12).toString('hex')}`;

/**
 * Records the end of an import, after its last batch committed: the `customers.imported` event
 * (its counts in `data`) and one audit entry (`details`: the import id and counts), in one
 * transaction. `complete` false: the input ended early (a client that went away, a body over the
 * limit, a database failure); the counts are then what committed. With `answer`, the transaction
 * also stores the report as the answer of the request's Idempotency-Key.
 */
export async function recordImportEnd(writes: WriteTransactions, report: ImportReport, complete: boolean, answer: boolean): Promise<void> {
  const { read, inserted, updated, unchanged, rejected } = report;
  const counts = { read, inserted, updated, unchanged, rejected, complete: complete ? 1 : 0 };
  await writes.run(
    async (_em, log) => {
      log.event({ type: 'customers.imported', customer: null, changed: [], data: counts });
      log.audit({
        action: 'customers.imported',
        target: { type: 'import', id: report.importId },
        outcome: complete ? 'success' : 'failure',
        details: { importId: report.importId, ...counts },
      });
      return report;
    },
    { answer },
  );
}
