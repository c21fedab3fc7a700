import type { AuditEntry } from '../../client-sdk/src/schemas/audit.js';
import type { AuditEntryEntity } from '../db/audit-entry.entity.js';

/** An entry's public id: `aud_` and its row id. */
export const auditEntryId = (rowId: string | number | bigint) => `aud_${rowId}`;
export const rowIdOfAuditEntry = (id: string) => id.slice('aud_'.length);

/** The public shape of an entry; the chain's bookkeeping (hashes, salt, sequence) stays inside. */
export const toAuditEntry = (e: AuditEntryEntity): AuditEntry => ({
  id: auditEntryId(e.id),
  at: e.at,
  actor: { type: e.actorType, id: e.actorId, email: e.actorEmail },
  action: e.action,
  target: e.targetType !== null && e.targetId !== null ? { type: e.targetType, id: e.targetId } : null,
  outcome: e.outcome,
  changes: e.changes,
  details: e.details,
  requestId: e.requestId,
  ip: e.ip,
  userAgent: e.userAgent,
});
