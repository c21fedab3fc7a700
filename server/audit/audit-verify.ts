import type { EntityManager } from '@mikro-orm/knex';
import { auditEntryId } from './audit-entry.mapper.js';
import { type ChainedColumns, chainHashOfRow, GENESIS_HASH, type PersonalFields, personalDigest } from './chain-hash.js';

interface ChainedRow extends ChainedColumns {
  chain_seq: string | number;
  prev_hash: string | null;
  hash: string | null;
  actor_email: string | null;
  target_id: string | null;
  changes: string | PersonalFields['changes'];
  details: string | Record<string, unknown> | null;
  ip: string | null;
  user_agent: string | null;
  pii_salt: string | null;
  pseudonym: string | null;
}

export type VerifyResult =
  | { ok: true; verified: number; first: string | null; last: string | null; headHash: string | null; unchained: number }
  | { ok: false; verified: number; entry: string; chainSeq: string; action: string; reason: string; unchained: number };

const PAGE = 1000;
const json = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * Walks the audit chain in order and stops at the first entry that does not check out:
 * - its sequence number skips (entries were deleted), or the first kept entry does not start the
 *   chain and no `audit.purged` entry (the retention purge) accounts for those before it;
 * - its `prevHash` is not the hash of the entry before it;
 * - its personal fields no longer match their salted digest (edited), or they were emptied of
 *   their salt and are not exactly what a chained `customer.erased` entry recorded writing there
 *   (`unsaltedRefusal`);
 * - its hash is not SHA-256(previous hash + its fields).
 * Entries not chained yet are counted, not checked (the chainer reaches them within seconds).
 */
export async function verifyAuditChain(em: EntityManager): Promise<VerifyResult> {
  const [{ n: unchainedCount } = { n: 0 }] = await em.execute<{ n: string | number }[]>('select count(*) as n from audit_entries where chain_seq is null');
  const unchained = Number(unchainedCount);
  const erasures = await recordedErasures(em);
  let verified = 0;
  let expectedSeq: bigint | null = null;
  let prev: string | null = null;
  let first: string | null = null;
  let last: ChainedRow | null = null;
  for (;;) {
    const rows: ChainedRow[] = await em.execute<ChainedRow[]>(
      'select id, chain_seq, prev_hash, hash, at, actor_type, actor_id, actor_email, action, target_type, target_id, outcome, changes, details, ' +
        'request_id, ip, user_agent, pii_salt, pii_digest, pseudonym from audit_entries where chain_seq is not null' +
        (last ? ` and chain_seq > ${BigInt(last.chain_seq)}` : '') +
        ` order by chain_seq limit ${PAGE}`,
    );
    if (!rows.length) break;
    for (const row of rows) {
      const seq = BigInt(row.chain_seq);
      const broken = (reason: string): VerifyResult => ({
        ok: false,
        verified,
        entry: auditEntryId(row.id),
        chainSeq: String(seq),
        action: row.action,
        reason,
        unchained,
      });
      if (expectedSeq === null) {
        first = String(seq);
        if (seq === 1n) prev = GENESIS_HASH;
        else {
          prev = await purgedAnchor(em, seq - 1n);
          if (prev === null) return broken(`the chain starts at ${seq} and no audit.purged entry accounts for the entries before it: entries were deleted`);
        }
      } else if (seq !== expectedSeq) {
        return broken(`the chain jumps from ${expectedSeq - 1n} to ${seq}: entries were deleted`);
      }
      if (row.prev_hash !== prev) return broken('it does not follow the entry before it (prevHash differs): an entry was changed, removed or inserted');
      const personal: PersonalFields = {
        actorEmail: row.actor_email,
        targetId: row.target_id,
        changes: row.changes === null ? null : json(row.changes),
        ip: row.ip,
        userAgent: row.user_agent,
        details: row.details === null ? null : json(row.details),
      };
      if (row.pii_salt !== null) {
        if (personalDigest(row.pii_salt, personal) !== row.pii_digest) {
          return broken('its actor email, target, changes, IP or user agent were changed after it was written');
        }
      } else {
        const refused = unsaltedRefusal(row, personal, erasures);
        if (refused) return broken(refused);
      }
      const hash = chainHashOfRow(prev!, row, seq);
      if (hash !== row.hash) return broken('its content was changed after it was chained (its hash does not match)');
      prev = hash;
      expectedSeq = seq + 1n;
      verified++;
      last = row;
    }
  }
  return { ok: true, verified, first, last: last ? String(last.chain_seq) : null, headHash: last?.hash ?? null, unchained };
}

/** A `customer.erased` entry as audit:verify holds unsalted entries to it. */
interface RecordedErasure {
  chained: boolean;
  /** Entry id → digest of what the erasure wrote there; null for an erasure recorded before erasures listed what they rewrote. */
  rewrote: Map<string, string> | null;
}

/** The erasures by pseudonym, as their `customer.erased` entries record them. */
async function recordedErasures(em: EntityManager): Promise<Map<string, RecordedErasure>> {
  const rows = await em.execute<{ chain_seq: string | number | null; changes: string | PersonalFields['changes'] }[]>(
    "select chain_seq, changes from audit_entries where action = 'customer.erased'",
  );
  const out = new Map<string, RecordedErasure>();
  for (const row of rows) {
    const changes = row.changes === null ? null : json(row.changes);
    const pseudonym = changes?.pseudonym?.[1];
    if (typeof pseudonym !== 'string') continue;
    const rewrote = changes?.rewrote?.[1];
    out.set(pseudonym, {
      chained: row.chain_seq !== null,
      rewrote: Array.isArray(rewrote) ? new Map((rewrote as [string, string][]).map(([id, digest]) => [String(id), digest])) : null,
    });
  }
  return out;
}

/**
 * Why an entry without its salt does not check out, or null when it does: it must be exactly what
 * the erasure named by its pseudonym wrote there. That erasure's entry is chained (an entry not
 * chained yet can be written by anyone), lists this entry among those it rewrote, with the digest
 * of the fields it wrote; the erasure entry is salted and chained itself, so neither the list nor
 * the digests can be changed. (Erasures recorded before the list existed vouch by pseudonym only.)
 */
function unsaltedRefusal(row: ChainedRow, personal: PersonalFields, erasures: Map<string, RecordedErasure>): string | null {
  if (row.action === 'customer.erased') return 'it is an erasure entry without its salt: what it records can no longer be checked';
  const erasure = row.pseudonym === null ? undefined : erasures.get(row.pseudonym);
  if (!erasure) return 'its personal fields were replaced without a customer.erased entry recording the erasure';
  if (!erasure.chained) return 'the customer.erased entry it names is not chained yet (if an erasure just happened, verify again in a few seconds)';
  if (!erasure.rewrote) return null;
  const wrote = erasure.rewrote.get(String(row.id));
  if (wrote === undefined) return 'its personal fields were replaced, but the customer.erased entry it names did not rewrite it';
  if (personalDigest(row.pseudonym!, personal) !== wrote) return 'its personal fields differ from what the customer.erased entry it names wrote there';
  return null;
}

/** The hash of entry `seq`, as the `audit.purged` entry that deleted it through `seq` recorded it. */
async function purgedAnchor(em: EntityManager, seq: bigint): Promise<string | null> {
  const rows = await em.execute<{ changes: string | PersonalFields['changes'] }[]>("select changes from audit_entries where action = 'audit.purged'");
  for (const row of rows) {
    const changes = row.changes === null ? null : json(row.changes);
    if (String(changes?.purgedThrough?.[1]) === String(seq) && typeof changes?.purgedThroughHash?.[1] === 'string') {
      return changes.purgedThroughHash[1];
    }
  }
  return null;
}
