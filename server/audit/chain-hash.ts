import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson } from '../idempotency/fingerprint.js';

/**
 * The hashes that make the audit trail tamper-evident (docs/audit-and-privacy.md, "The chain").
 *
 * An entry's fields fall in two groups:
 * - personal: actor email, target id, changes, IP, user agent. An erasure must be able to replace
 *   them, so the chain never hashes them directly: at insert they are summed up in a digest salted
 *   with a random per-entry salt. An erasure pseudonymises them and drops the salt; the digest
 *   stays, so the chain still verifies, and without the salt the digest no longer confirms a
 *   guess of what the fields held.
 * - the rest (id, time, actor type and id, action, target type, outcome, request id), hashed as
 *   they are, with the digest, into `hash = SHA-256(previous hash + entry)`.
 */

/** The `prevHash` of the first entry ever chained. */
export const GENESIS_HASH = '0'.repeat(64);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface PersonalFields {
  actorEmail: string | null;
  targetId: string | null;
  changes: Record<string, [unknown, unknown]> | null;
  ip: string | null;
  userAgent: string | null;
  /** An export's query may name a person: summed up with the personal fields. Absent (null) adds nothing, so older digests still verify. */
  details?: Record<string, unknown> | null;
}

/**
 * `changes` as the database gives it back: JSON types only (Dates become ISO strings,
 * undefined goes), so a digest taken at insert matches one taken from the stored row.
 */
export const storedForm = (changes: PersonalFields['changes']): PersonalFields['changes'] =>
  changes === null ? null : (JSON.parse(JSON.stringify(changes)) as PersonalFields['changes']);

export const newSalt = () => randomBytes(16).toString('hex');

export function personalDigest(salt: string, fields: PersonalFields): string {
  const { actorEmail, targetId, changes, ip, userAgent } = fields;
  const details = fields.details ?? undefined;
  return sha256(`${salt}\n${canonicalJson({ actorEmail, targetId, changes: storedForm(changes), ip, userAgent, details })}`);
}

/** The fields the chain hashes as they are; none of them changes on erasure. */
export interface ChainedFields {
  id: string;
  chainSeq: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  outcome: string;
  requestId: string | null;
  piiDigest: string | null;
}

export function chainHash(prevHash: string, e: ChainedFields): string {
  const fields = [e.chainSeq, e.id, e.at.toISOString(), e.actorType, e.actorId, e.action, e.targetType, e.outcome, e.requestId, e.piiDigest];
  return sha256(`${prevHash}\n${JSON.stringify(fields)}`);
}

/** The chained fields as an audit_entries row holds them (either dialect). */
export interface ChainedColumns {
  id: string | number;
  at: string | number | Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  outcome: string;
  request_id: string | null;
  pii_digest: string | null;
}

/** `chainHash` of a row at position `seq`: what the chainer writes and audit:verify recomputes. */
export function chainHashOfRow(prevHash: string, row: ChainedColumns, seq: bigint): string {
  return chainHash(prevHash, {
    id: String(row.id),
    chainSeq: String(seq),
    at: new Date(row.at),
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    outcome: row.outcome,
    requestId: row.request_id,
    piiDigest: row.pii_digest,
  });
}
