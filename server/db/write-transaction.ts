import type { EntityManager } from '@mikro-orm/knex';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import type { Clock } from '../clock.js';
import type { AuditDetails, AuditOutcome } from './audit-entry.entity.js';
import { isPostgres } from './dialect.js';
import type { WriteLane } from './write-lane.js';

/** A change event to record with the change (see db/event.entity.ts). */
export interface NewEvent {
  type: EventType;
  customer: { id: string; email: string | null; version: number | null } | null;
  changed: string[];
  data?: Record<string, number> | null;
}

/** An audit entry to record with the act (see db/audit-entry.entity.ts). */
export interface NewAuditEntry {
  action: string;
  target?: { type: string; id: string } | null;
  outcome?: AuditOutcome;
  changes?: Record<string, [unknown, unknown]> | null;
  /**
   * Replaces the request identity's email, IP and user agent in this entry: an erasure by the
   * person themselves records them as the pseudonym, not as who they were.
   */
  personal?: { actorEmail: string | null; ip: string | null; userAgent: string | null; pseudonym: string };
  /** What a bulk act did (db/audit-entry.entity.ts `details`). */
  details?: AuditDetails | null;
}

/** What a change records beside itself, inside its transaction. */
export interface ChangeLog {
  event(event: NewEvent): void;
  audit(entry: NewAuditEntry): void;
  /**
   * Names who acted when the request did not know yet: a sign-up acts as the account it creates,
   * a login as the account it signs in. Applies to everything recorded in this transaction.
   */
  actAs(actor: Actor, email: string | null): void;
}

/** Stores the answer of the request's Idempotency-Key in the same transaction as its change. */
export interface AnswerRecorder {
  /** `lane`: the transaction's write lane, when the hot path runs on it (see WriteTransactionDeps.lane). */
  record(em: EntityManager, value: unknown, lane: WriteLane | null): Promise<void>;
}

/**
 * Who a transaction writes as, stamped on what it records: the request identity
 * (identity/identity.ts's RequestIdentity fits it; db/ imports no layer above it).
 */
export interface WriterIdentity {
  actor: Actor | null;
  /** The caller's email, for audit entries; null for API keys and the system. */
  actorEmail: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

/** What one transaction recorded beside its change, and as whom: what its hooks write and announce. */
export interface Recorded {
  events: readonly NewEvent[];
  entries: readonly NewAuditEntry[];
  /** Who acted: the identity's actor, or whom the change named (ChangeLog.actAs); null if nobody. */
  actor: Actor | null;
  /** `actor`, or the system's anonymous actor when nobody is known. */
  who: Actor;
  actorEmail: string | null;
  identity: WriterIdentity;
  /** The clock's time after the change flushed. */
  at: Date;
  postgres: boolean;
  /** The write lane, when the hot writes run on it; null: through the ORM (see WriteTransactionDeps.lane). */
  lane: WriteLane | null;
  /**
   * The transaction's id, stamped on its events and audit entries for commit-order reads: on
   * PostgreSQL `pg_current_xact_id()` (asked once, by the first hook that needs it; the change
   * already wrote, so the id exists); SQLite has one writer at a time, so id order is commit
   * order and the stamp is 0.
   */
  xid: () => Promise<string>;
}

/**
 * Feature work done with every write transaction, given at build time (db/ imports no feature):
 * events/event-rows.ts writes the change's events and wakes their readers, audit/audit-rows.ts
 * writes its audit entries (salted for the chain) and wakes the chainer.
 */
export interface WriteHook {
  /** Inside the transaction, after the change flushed, before the Idempotency-Key's answer is stored. */
  beforeCommit?(em: EntityManager, recorded: Recorded): Promise<void>;
  /** After the commit. */
  afterCommit?(recorded: Recorded): void;
}

export interface WriteTransactionDeps {
  clock: Clock;
  /** Run in this order, each phase (write-hooks.ts builds the server's list). */
  hooks: readonly WriteHook[];
  /**
   * The hot writes' statements, prepared once (db/write-lane.ts): customer create and update,
   * their events and audit entries, the stored answer of an Idempotency-Key. Absent: everything
   * through MikroORM (the reference the equivalence test compares the lane with).
   */
  lane?: WriteLane;
}

const XID_STATEMENT = { name: 'carly_current_xid', sql: 'select pg_current_xact_id()::text as xid' };

/** See Recorded.xid. */
async function currentXid(em: EntityManager, postgres: boolean, lane: WriteLane | null): Promise<string> {
  if (!postgres) return '0';
  const [row] = lane ? await lane.all<{ xid: string }>(em, XID_STATEMENT, []) : await em.execute<{ xid: string }[]>(XID_STATEMENT.sql);
  return row!.xid;
}

/**
 * The one way a request writes: ONE transaction holds the change, its events, its audit
 * entries and the stored answer of its Idempotency-Key, so they commit together or not at all.
 * Events and entries carry the request identity; nobody re-derives who acted. How they are
 * written is the hooks' work (WriteHook), in their features.
 */
export class WriteTransactions {
  constructor(
    private readonly emOf: () => EntityManager,
    private readonly identity: WriterIdentity,
    private readonly deps: WriteTransactionDeps,
    private readonly answer?: AnswerRecorder,
  ) {}

  get requestIdentity(): WriterIdentity {
    return this.identity;
  }

  /** The write lane, when the hot writes run on it (WriteTransactionDeps.lane); null: through the ORM. */
  get lane(): WriteLane | null {
    return this.deps.lane ?? null;
  }

  /** The request's entity manager, for reads outside a write. */
  get entityManager(): EntityManager {
    return this.emOf();
  }

  /**
   * Runs `change` in one transaction with what it records. `answer: false` for a write that is
   * not the request's change (the audit entry of a refused password): the Idempotency-Key's
   * answer is then not stored with it.
   */
  async run<T>(change: (em: EntityManager, log: ChangeLog) => Promise<T>, options: { answer?: boolean } = {}): Promise<T> {
    const events: NewEvent[] = [];
    const entries: NewAuditEntry[] = [];
    let actor = this.identity.actor;
    let actorEmail = this.identity.actorEmail;
    const log: ChangeLog = {
      event: (e) => void events.push(e),
      audit: (a) => void entries.push(a),
      actAs: (a, email) => {
        actor = a;
        actorEmail = email;
      },
    };
    let recorded: Recorded | undefined;
    const result = await this.emOf().transactional(async (em) => {
      const value = await change(em, log);
      await em.flush();
      const postgres = isPostgres(em);
      let xid: Promise<string> | undefined;
      const lane = this.deps.lane ?? null;
      recorded = {
        events,
        entries,
        actor,
        who: actor ?? { type: 'system', id: 'anonymous' },
        actorEmail,
        identity: this.identity,
        at: this.deps.clock.now(),
        postgres,
        lane,
        xid: () => (xid ??= currentXid(em, postgres, lane)),
      };
      for (const hook of this.deps.hooks) await hook.beforeCommit?.(em, recorded);
      if (options.answer !== false) await this.answer?.record(em, value, lane);
      return value;
    });
    for (const hook of this.deps.hooks) hook.afterCommit?.(recorded!);
    return result;
  }
}
