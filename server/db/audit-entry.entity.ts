import { EntitySchema } from '@mikro-orm/core';
import type { ActorType } from '../../client-sdk/src/schemas/common.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';
export type AuditDetails = Record<string, string | number | null>;

/**
 * One entry of the audit trail, appended in the same transaction as the act it records (a
 * failed login, which changes nothing, in its own). Never edited or deleted through the API.
 * `xid` orders entries in commit order on PostgreSQL, as for events.
 *
 * Tamper evidence (see server/audit/ and docs/audit-and-privacy.md): the personal fields
 * (actor email, target id, changes, IP, user agent) are summed up at insert in `piiDigest`, a
 * SHA-256 salted with `piiSalt`; a follow-up step (the chainer) then gives each entry, in commit
 * order, its `chainSeq` and `hash` = SHA-256(`prevHash` + the entry's other fields + the
 * digest). An erasure replaces the personal fields with `pseudonym`s and drops the salt: the
 * digest, and so the chain, stays as it was.
 */
export class AuditEntryEntity {
  id!: string;
  xid!: string;
  at!: Date;
  actorType!: ActorType;
  actorId: string | null = null;
  actorEmail: string | null = null;
  action!: string;
  targetType: string | null = null;
  targetId: string | null = null;
  outcome!: AuditOutcome;
  /** `{ field: [before, after] }` of changed fields only; never a password, hash, token or secret. */
  changes: Record<string, [unknown, unknown]> | null = null;
  /** What a bulk act did (an export's query, format, rows and bytes; an import's counts); null for other acts. */
  details: AuditDetails | null = null;
  requestId: string | null = null;
  ip: string | null = null;
  userAgent: string | null = null;
  /** Position in the hash chain (1, 2, ...); null until the chainer reaches the entry. */
  chainSeq: string | null = null;
  prevHash: string | null = null;
  hash: string | null = null;
  /** Random per entry; null once an erasure pseudonymised the entry. */
  piiSalt: string | null = null;
  /** SHA-256 of the salt and the personal fields as first written. */
  piiDigest: string | null = null;
  /** The pseudonym an erasure put in place of the person's data (recorded by its `customer.erased` entry). */
  pseudonym: string | null = null;
}

export const AuditEntrySchema = new EntitySchema<AuditEntryEntity>({
  class: AuditEntryEntity,
  tableName: 'audit_entries',
  properties: {
    // bigserial on PostgreSQL; SQLite's autoincrement key is always `integer` (64-bit there), so
    // the column type is not compared.
    id: { type: 'bigint', primary: true, autoincrement: true, ignoreSchemaChanges: ['type'] },
    xid: { type: 'bigint', default: 0 },
    at: { type: 'Date', index: 'audit_entries_at_index' },
    actorType: { type: 'string', length: 16 },
    actorId: { type: 'string', length: 64, nullable: true, index: 'audit_entries_actor_id_index' },
    actorEmail: { type: 'string', length: 254, nullable: true },
    action: { type: 'string', length: 64 },
    targetType: { type: 'string', length: 32, nullable: true },
    targetId: { type: 'string', length: 254, nullable: true, index: 'audit_entries_target_id_index' },
    outcome: { type: 'string', length: 16 },
    changes: { type: 'json', nullable: true },
    details: { type: 'json', nullable: true },
    requestId: { type: 'string', length: 64, nullable: true },
    ip: { type: 'string', length: 64, nullable: true },
    userAgent: { type: 'string', length: 512, nullable: true },
    chainSeq: { type: 'bigint', nullable: true, unique: 'audit_entries_chain_seq_unique' },
    prevHash: { type: 'string', length: 64, nullable: true },
    hash: { type: 'string', length: 64, nullable: true },
    piiSalt: { type: 'string', length: 32, nullable: true },
    piiDigest: { type: 'string', length: 64, nullable: true },
    pseudonym: { type: 'string', length: 32, nullable: true },
  },
});
