import type { EntityManager } from '@mikro-orm/knex';
import { AuditEntryEntity } from '../db/audit-entry.entity.js';
import { jsonParam } from '../db/write-lane.js';
import type { Recorded, WriteHook } from '../db/write-transaction.js';
import { newSalt, personalDigest } from './chain-hash.js';

const AUDIT_COLUMNS = [
  'xid',
  'at',
  'actor_type',
  'actor_id',
  'actor_email',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'changes',
  'details',
  'request_id',
  'ip',
  'user_agent',
  'pii_salt',
  'pii_digest',
  'pseudonym',
];
/** One entry on the write lane (db/write-lane.ts): the same row the ORM path's insertMany writes. */
const AUDIT_STATEMENT = {
  name: 'carly_audit_insert',
  sql: `insert into audit_entries (${AUDIT_COLUMNS.join(', ')}) values (${AUDIT_COLUMNS.map(() => '?').join(', ')})`,
};

/**
 * Inserts a change's audit entries, each with its personal fields salted and digested for the
 * chain (chain-hash.ts); the chainer (audit-chainer.ts) links them after the commit. On the write
 * lane when the transaction has one, else through the ORM.
 */
async function insertEntries(em: EntityManager, recorded: Recorded): Promise<void> {
  const { actor, actorEmail, identity, who, at } = recorded;
  const xid = await recorded.xid();
  const rows = recorded.entries.map((a) => {
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
  });
  const { lane } = recorded;
  if (!lane) {
    await em.insertMany(AuditEntryEntity, rows);
    return;
  }
  for (const r of rows) {
    await lane.run(em, AUDIT_STATEMENT, [
      r.xid,
      r.at,
      r.actorType,
      r.actorId,
      r.actorEmail,
      r.action,
      r.targetType,
      r.targetId,
      r.outcome,
      jsonParam(r.changes),
      jsonParam(r.details),
      r.requestId,
      r.ip,
      r.userAgent,
      r.piiSalt,
      r.piiDigest,
      r.pseudonym,
    ]);
  }
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
