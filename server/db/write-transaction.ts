import type { EntityManager } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { EventType } from '../../client-sdk/src/schemas/events.js';
import type { Clock } from '../clock.js';
import type { RequestIdentity } from '../identity/identity.js';
import { newSalt, personalDigest } from '../audit/chain-hash.js';
import { AuditEntryEntity, type AuditDetails, type AuditOutcome } from './audit-entry.entity.js';

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
  /** What a bulk act did (db/audit-entry.entity.ts `details`). */
  details?: AuditDetails | null;
  /**
   * Replaces the request identity's email, IP and user agent in this entry: an erasure by the
   * person themselves records them as the pseudonym, not as who they were.
   */
  personal?: { actorEmail: string | null; ip: string | null; userAgent: string | null; pseudonym: string };
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
  record(em: EntityManager, value: unknown): Promise<void>;
}

/** The PostgreSQL channel every commit that wrote events notifies (a wake-up only). */
export const EVENTS_CHANNEL = 'carly_events';

/**
 * The transaction's id, stamped on its events and audit entries for commit-order reads: on
 * PostgreSQL `pg_current_xact_id()` (the change already wrote, so the id exists); SQLite has one
 * writer at a time, so id order is commit order and the stamp is 0.
 */
async function currentXid(em: EntityManager, postgres: boolean): Promise<string> {
  if (!postgres) return '0';
  const [row] = await em.execute<{ xid: string }[]>('select pg_current_xact_id()::text as xid');
  return row!.xid;
}

const EVENT_COLUMNS = 'xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data';
const EVENT_ROW = `(${EVENT_COLUMNS.split(', ').map(() => '?').join(', ')})`;

/**
 * Inserts a change's events (see db/event.entity.ts) with one plain statement: it runs on every
 * write, so without the ORM's query building (the events bench showed that as a visible share of
 * a PATCH's CPU). On PostgreSQL the same statement also notifies the instances listening:
 * delivered at commit, a wake-up, never the data.
 */
async function insertEvents(
  em: EntityManager,
  postgres: boolean,
  events: readonly NewEvent[],
  common: { xid: string; at: unknown; who: Actor; requestId: string | null },
): Promise<void> {
  const params: unknown[] = [];
  for (const e of events) {
    params.push(
      common.xid,
      e.type,
      common.at,
      e.customer?.id ?? null,
      e.customer?.email ?? null,
      e.customer?.version ?? null,
      JSON.stringify(e.changed),
      common.who.type,
      common.who.id,
      common.requestId,
      e.data ? JSON.stringify(e.data) : null,
    );
  }
  const insert = `insert into events (${EVENT_COLUMNS}) values ${events.map(() => EVENT_ROW).join(', ')}`;
  await em.execute(postgres ? `with recorded as (${insert}) select pg_notify('${EVENTS_CHANNEL}', '')` : insert, params, postgres ? 'all' : 'run');
}

export interface WriteTransactionDeps {
  clock: Clock;
  /** Called after a commit that wrote events, with their types (wakes live readers in this process, counts them). */
  onEventsCommitted: (types: readonly EventType[]) => void;
  /** Called after a commit that wrote audit entries (wakes the chainer, see audit/audit-chainer.ts). */
  onAuditCommitted?: () => void;
  /** Benchmarks only: false skips writing events, to measure what the log costs. Default true. */
  recordEvents?: boolean;
}

/**
 * The one way a request writes: ONE transaction holds the change, its events, its audit
 * entries and the stored answer of its Idempotency-Key, so they commit together or not at all.
 * Events and entries carry the request identity; nobody re-derives who acted.
 */
export class WriteTransactions {
  constructor(
    private readonly emOf: () => EntityManager,
    private readonly identity: RequestIdentity,
    private readonly deps: WriteTransactionDeps,
    private readonly answer?: AnswerRecorder,
  ) {}

  get requestIdentity(): RequestIdentity {
    return this.identity;
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
    const result = await this.emOf().transactional(async (em) => {
      const value = await change(em, log);
      if (this.deps.recordEvents === false) events.length = 0;
      await em.flush();
      const postgres = em.getPlatform() instanceof PostgreSqlPlatform;
      const now = this.deps.clock.now();
      const who = actor ?? { type: 'system' as const, id: 'anonymous' };
      const xid = events.length || entries.length ? await currentXid(em, postgres) : '0';
      if (events.length) await insertEvents(em, postgres, events, { xid, at: em.getPlatform().processDateProperty(now), who, requestId: this.identity.requestId });
      if (entries.length) {
        await em.insertMany(
          AuditEntryEntity,
          entries.map((a) => {
            const personal = {
              actorEmail: a.personal ? a.personal.actorEmail : actorEmail,
              targetId: a.target?.id ?? null,
              changes: a.changes ?? null,
              ip: a.personal ? a.personal.ip : this.identity.ip,
              userAgent: a.personal ? a.personal.userAgent : this.identity.userAgent,
              details: a.details ?? null,
            };
            const piiSalt = newSalt();
            return {
              xid,
              at: now,
              actorType: who.type,
              actorId: actor ? who.id : null,
              action: a.action,
              targetType: a.target?.type ?? null,
              outcome: a.outcome ?? 'success',
              requestId: this.identity.requestId,
              ...personal,
              piiSalt,
              piiDigest: personalDigest(piiSalt, personal),
              pseudonym: a.personal?.pseudonym ?? null,
            };
          }),
        );
      }
      if (options.answer !== false) await this.answer?.record(em, value);
      return value;
    });
    if (events.length) this.deps.onEventsCommitted(events.map((e) => e.type));
    if (entries.length) this.deps.onAuditCommitted?.();
    return result;
  }
}
