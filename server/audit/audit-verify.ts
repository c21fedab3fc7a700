import type { EntityManager } from '@mikro-orm/knex';
import { chainHashOfRow, GENESIS_HASH, personalDigest, type ChainedColumns, type PersonalFields } from './chain-hash.js';
import { auditEntryId } from './audit-entry.mapper.js';

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
 *   their salt without an `customer.erased` entry recording the pseudonym that replaced them;
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
      } else if (row.pseudonym === null || !erasures.has(row.pseudonym)) {
        return broken('its personal fields were replaced without a customer.erased entry recording the erasure');
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

/** The pseudonyms erasures put in place of people's data, as their `customer.erased` entries record them. */
async function recordedErasures(em: EntityManager): Promise<Set<string>> {
  const rows = await em.execute<{ changes: string | PersonalFields['changes'] }[]>("select changes from audit_entries where action = 'customer.erased'");
  const out = new Set<string>();
  for (const row of rows) {
    const pseudonym = row.changes === null ? undefined : json(row.changes)?.pseudonym?.[1];
    if (typeof pseudonym === 'string') out.add(pseudonym);
  }
  return out;
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
