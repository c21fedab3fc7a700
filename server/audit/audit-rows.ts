import type { EntityManager } from '@mikro-orm/knex';
import { AuditEntryEntity } from '../db/audit-entry.entity.js';
import type { Recorded, WriteHook } from '../db/write-transaction.js';
import { newSalt, personalDigest } from './chain-hash.js';

/**
 * Inserts a change's audit entries, each with its personal fields salted and digested for the
 * chain (chain-hash.ts); the chainer (audit-chainer.ts) links them after the commit.
 */
async function insertEntries(em: EntityManager, recorded: Recorded): Promise<void> {
  const { actor, actorEmail, identity, who, at } = recorded;
  const xid = await recorded.xid();
  await em.insertMany(
    AuditEntryEntity,
    recorded.entries.map((a) => {
      const personal = {
        actorEmail: a.personal ? a.personal.actorEmail : actorEmail,
        targetId: a.target?.id ?? null,
        changes: a.changes ?? null,
        ip: a.personal ? a.personal.ip : identity.ip,
        userAgent: a.personal ? a.personal.userAgent : identity.userAgent,
        details: a.details ?? null,
      };
      const piiSalt = newSalt();
      return {
        xid,
        at,
        actorType: who.type,
        actorId: actor ? who.id : null,
        action: a.action,
        targetType: a.target?.type ?? null,
        outcome: a.outcome ?? 'success',
        requestId: identity.requestId,
        ...personal,
        piiSalt,
        piiDigest: personalDigest(piiSalt, personal),
        pseudonym: a.personal?.pseudonym ?? null,
      };
    }),
  );
}

/**
 * The write transaction's hook that writes a change's audit entries with it (db/write-transaction.ts);
 * `onCommitted` runs after a commit that wrote some (wakes the chainer, see audit-chainer.ts).
 */
export function auditRows(onCommitted?: () => void): WriteHook {
  return {
    beforeCommit: async (em, recorded) => {
      if (recorded.entries.length) await insertEntries(em, recorded);
    },
    afterCommit: ({ entries }) => {
      if (entries.length) onCommitted?.();
    },
  };
}
