import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { Clock } from '../clock.js';
import { AuditEntryEntity } from '../db/audit-entry.entity.js';
import { isPostgres } from '../db/dialect.js';
import { WriteTransactions } from '../db/write-transaction.js';
import { systemIdentity } from '../identity/identity.js';
import { writeHooks } from '../write-hooks.js';
import { AUDIT_CHAIN_LOCK } from './audit-chainer.js';

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;
export const AUDIT_PURGED = 'audit.purged';
const DAY_MS = 86_400_000;

/**
 * Deletes audit entries older than the retention, as a prefix of the chain so what is left
 * still verifies: entries up to the last chained one older than the cut-off, never past an entry
 * that is newer, and never the newest chained entry (the next one chains onto it). The purge is
 * itself an entry (`audit.purged`, by the system's `housekeeping` job) recording where the kept
 * chain starts and the hash it starts from, so audit:verify can tell a purge from a deletion.
 * On PostgreSQL it holds the chainer's advisory lock, so the chain does not move meanwhile.
 */
export async function purgeAuditEntries(orm: MikroORM, clock: Clock, retentionDays: number, onAuditCommitted?: () => void): Promise<number> {
  const writes = new WriteTransactions(() => orm.em.fork() as EntityManager, systemIdentity('housekeeping'), {
    clock,
    hooks: writeHooks({ onAuditCommitted }),
  });
  return writes.run(
    async (tx, log) => {
      if (isPostgres(tx)) await tx.execute(`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
      const cutoff = new Date(clock.now().getTime() - retentionDays * DAY_MS);
      const chained = { chainSeq: { $ne: null } };
      const first = await tx.findOne(AuditEntryEntity, chained, { orderBy: { chainSeq: 'asc' }, fields: ['chainSeq'] });
      const last = await tx.findOne(AuditEntryEntity, chained, { orderBy: { chainSeq: 'desc' }, fields: ['chainSeq'] });
      if (!first || !last) return 0;
      const firstKept = await tx.findOne(AuditEntryEntity, { ...chained, at: { $gte: cutoff } }, { orderBy: { chainSeq: 'asc' }, fields: ['chainSeq'] });
      const through = BigInt((firstKept ?? last).chainSeq!) - 1n;
      if (through < BigInt(first.chainSeq!)) return 0;
      const anchor = await tx.findOneOrFail(AuditEntryEntity, { chainSeq: String(through) }, { fields: ['hash'] });
      const deleted = await tx.nativeDelete(AuditEntryEntity, { chainSeq: { $lte: String(through) } });
      log.audit({
        action: AUDIT_PURGED,
        changes: { purgedThrough: [null, String(through)], purgedThroughHash: [null, anchor.hash], entries: [null, deleted], olderThan: [null, cutoff] },
      });
      return deleted;
    },
    { answer: false },
  );
}
