import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import { BackgroundBatches } from '../db/background-batches.js';
import { isPostgres } from '../db/dialect.js';
import type { WriteLane } from '../db/write-lane.js';
import { type ChainedColumns, chainHashOfRow, GENESIS_HASH } from './chain-hash.js';

/** The transaction-level advisory lock that lets one chainer at a time extend the chain ('audit' in ASCII). */
export const AUDIT_CHAIN_LOCK = 0x6175646974;
/** Entries chained per transaction. */
const BATCH = 500;
/**
 * A commit's wake-up waits this long, so the commits of that moment are chained in one run. At a
 * steady trickle of changes (100/s) a run per 20 ms was a run per two changes, each a transaction
 * of its own: the largest cost a lone change paid that a busy stream shares (docs/performance.md,
 * "Paced vs saturated"). Entries are listed at once either way; only their hash fills in later.
 */
const WAKE_DELAY_MS = 100;
/** When entries wait for older transactions to end (PostgreSQL), or another instance holds the lock. */
const RETRY_MS = 250;
/** Anything a wake-up missed (another process's commits, a failed run) is chained by then. */
const SWEEP_MS = 5_000;

export interface ChainRun {
  chained: number;
  /** Another instance was chaining (PostgreSQL): try again shortly. */
  busy: boolean;
}

/** What the chain hash covers (chain-hash.ts), read for the entries not yet chained. */
const UNCHAINED_COLUMNS = 'select id, at, actor_type, actor_id, action, target_type, outcome, request_id, pii_digest from audit_entries';

/**
 * The chainer's statements, prepared once on the write lane (db/write-lane.ts): a run at every
 * quiet moment used to build each through MikroORM and knex, which profiled as most of what a
 * lone (paced) change costs beyond a change in a busy stream (docs/performance.md, issue 22).
 */
const LANE = {
  lock: { name: 'carly_audit_chain_lock', sql: `select pg_try_advisory_xact_lock(${AUDIT_CHAIN_LOCK}) as locked` },
  head: {
    name: 'carly_audit_chain_head',
    sql: 'select chain_seq, hash from audit_entries where chain_seq is not null order by chain_seq desc limit 1',
  },
  unchained: {
    name: 'carly_audit_chain_unchained',
    sql: {
      sqlite: `${UNCHAINED_COLUMNS} where chain_seq is null order by id limit ${BATCH}`,
      postgresql: `${UNCHAINED_COLUMNS} where chain_seq is null and xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint order by xid, id limit ${BATCH}`,
    },
  },
  // One statement for the batch whatever its size: the links as one JSON array (SQLite) or four arrays (PostgreSQL).
  link: {
    name: 'carly_audit_chain_link',
    sql: {
      sqlite:
        "with v(id, seq, prev, hash) as (select json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]') from json_each(?)) " +
        'update audit_entries set chain_seq = v.seq, prev_hash = v.prev, hash = v.hash from v where audit_entries.id = v.id',
      postgresql:
        'update audit_entries set chain_seq = v.seq, prev_hash = v.prev, hash = v.hash ' +
        'from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) as v(id, seq, prev, hash) where audit_entries.id = v.id',
    },
  },
  left: { name: 'carly_audit_chain_left', sql: 'select 1 as found from audit_entries where chain_seq is null limit 1' },
};

/**
 * Appends one batch of unchained entries to the chain, in commit order, in one short transaction:
 * each gets the next `chainSeq`, `prevHash` = the hash before it, and its `hash`.
 *
 * Writers never wait for this: they insert entries unchained, and any instance's chainer extends
 * the chain soon after. Commit order is the event log's rule (events/event-log.ts): on PostgreSQL
 * only entries of transactions older than every transaction still running (`xid` below the
 * snapshot's xmin), ordered by (xid, id), so an entry whose transaction commits late is never
 * passed over; a transaction-level advisory lock lets one instance chain at a time (the others
 * skip, never wait). SQLite has one writer at a time: id order is commit order.
 */
export async function chainBatch(emOf: () => EntityManager, lane: WriteLane): Promise<ChainRun> {
  const em = emOf();
  const postgres = isPostgres(em);
  return em.transactional(async (tx) => {
    if (postgres) {
      const lock = await lane.one<{ locked: boolean }>(tx, LANE.lock, []);
      if (!lock?.locked) return { chained: 0, busy: true };
    }
    const head = await lane.one<{ chain_seq: string | number; hash: string }>(tx, LANE.head, []);
    const rows = await lane.all<ChainedColumns>(tx, LANE.unchained, []);
    if (!rows.length) return { chained: 0, busy: false };
    let seq = head ? BigInt(head.chain_seq) : 0n;
    let prev = head?.hash ?? GENESIS_HASH;
    const links: [string, string, string, string][] = [];
    for (const row of rows) {
      seq++;
      const hash = chainHashOfRow(prev, row, seq);
      links.push([String(row.id), String(seq), prev, hash]);
      prev = hash;
    }
    const params = postgres
      ? [0, 1, 2, 3].map((k) => links.map((link) => link[k]))
      : // SQLite compares ids and sequence numbers as integers: numbers in the JSON (below 2^53 for any real log).
        [JSON.stringify(links.map(([id, s, p, h]) => [Number(id), Number(s), p, h]))];
    await lane.run(tx, LANE.link, params);
    return { chained: rows.length, busy: false };
  });
}

/** Whether entries are waiting to be chained (committed, not yet chained). */
async function unchainedLeft(em: EntityManager, lane: WriteLane): Promise<boolean> {
  return (await lane.one(em, LANE.left, [])) !== null;
}

/**
 * Runs `chainBatch` soon after every commit that wrote audit entries (`wake`), again shortly
 * while entries wait (for older transactions, or for another instance holding the lock), and
 * every few seconds whatever happens (db/background-batches.ts).
 */
export class AuditChainer extends BackgroundBatches {
  constructor(emOf: () => EntityManager, lane: WriteLane, log: FastifyBaseLogger) {
    super(
      {
        async runBatch() {
          const run = await chainBatch(emOf, lane);
          return run.busy ? 'busy' : run.chained === BATCH ? 'more' : 'done';
        },
        workLeft: () => unchainedLeft(emOf(), lane),
      },
      { wakeDelayMs: WAKE_DELAY_MS, retryMs: RETRY_MS, sweepMs: SWEEP_MS, failure: 'audit chaining failed; retrying' },
      log,
    );
  }
}
