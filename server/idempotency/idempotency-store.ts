import type { EntityManager } from '@mikro-orm/knex';
import superjson from 'superjson';
import type { ErrorCode } from '../../client-sdk/src/schemas/common.js';
import type { Clock } from '../clock.js';
import { IdempotencyRecordEntity } from '../db/idempotency-record.entity.js';
import type { WriteLane } from '../db/write-lane.js';
import type { AnswerRecorder } from '../db/write-transaction.js';
import { conflict, DomainError, HTTP_STATUS, unprocessable } from '../errors.js';

/** Keys are kept this long; a key used after that is a new request (the contract's 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/**
 * A claim older than this whose request never finished (the process died mid-way; nothing it
 * did committed) may be taken over by a retry. Longer than any request may run (30 s).
 */
const ABANDONED_AFTER_MS = 60_000;
/** What a retry arriving while the first request still runs is told to wait. */
const IN_PROGRESS_RETRY_AFTER_S = 1;

/** A stored answer, replayed as it was given. */
export type StoredAnswer = { ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string };

/** The key is ours: run the operation, then record its answer (or let the claim go). */
export interface IdempotencyClaim extends AnswerRecorder {
  /** The record's row id. */
  readonly id: number;
  /** Whether `record` stored exactly this value inside the operation's transaction. */
  recorded(value: unknown): boolean;
  /** Stores the answer in a transaction of its own (an error, or an answer no write recorded). */
  store(answer: StoredAnswer): Promise<void>;
  /** Frees the key: the operation did not run (or nothing of it committed), so a retry may run it. */
  release(): Promise<void>;
}

export type ClaimOutcome = { kind: 'run'; claim: IdempotencyClaim } | { kind: 'replay'; answer: StoredAnswer };

/** The claim: one statement claims the key or learns that someone holds it. */
const CLAIM_STATEMENT = {
  name: 'carly_idempotency_claim',
  sql:
    'insert into idempotency_records (scope, "key", operation, fingerprint, state, locked_at, created_at, expires_at) ' +
    'values (?, ?, ?, ?, \'running\', ?, ?, ?) on conflict (scope, "key") do nothing returning id',
};

/** A claim's completion inside the change's transaction, on the write lane (the ORM path: `nativeUpdate`, same row). */
const COMPLETE_STATEMENT = {
  name: 'carly_idempotency_complete',
  sql: "update idempotency_records set state = 'done', response_status = ?, response_body = ? where id = ? and state = 'running'",
};

/** A streamed body's claim: its fingerprint is known only once the body is read, and is stored with the answer. */
export interface StreamedClaim extends IdempotencyClaim {
  fingerprint: string | null;
}
export type StreamedClaimOutcome = { kind: 'run'; claim: StreamedClaim } | { kind: 'stored'; fingerprint: string; answer: StoredAnswer };

/** The fingerprint of a streamed claim whose body has not been read to the end yet. */
const PENDING = 'pending';

/**
 * Idempotency-Key records: one row per (caller, key), claimed by a unique insert so two
 * concurrent requests can never both run; completed in the same transaction as the change.
 */
export class IdempotencyStore {
  constructor(
    private readonly em: () => EntityManager,
    private readonly clock: Clock,
    /** The claim on the write lane (db/write-lane.ts), when the server runs one; else through the ORM (same row). */
    private readonly lane: WriteLane | null = null,
  ) {}

  /**
   * Claims `key` for `scope` or says what to answer instead: the stored answer (same operation
   * and input), 422 (another operation or input), 409 with Retry-After (still running).
   */
  async begin(scope: string, key: string, operation: string, fingerprint: string): Promise<ClaimOutcome> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock.now();
      const em = this.em();
      // One statement claims the key or learns that someone holds it (a first request, the usual
      // case, costs a single round trip).
      const expires = new Date(now.getTime() + IDEMPOTENCY_TTL_MS);
      const date = (d: Date) => em.getPlatform().processDateProperty(d);
      const [claimed] = this.lane
        ? await this.lane.all<{ id: number }>(em, CLAIM_STATEMENT, [scope, key, operation, fingerprint, now, now, expires])
        : await em.execute<{ id: number }[]>(CLAIM_STATEMENT.sql, [scope, key, operation, fingerprint, date(now), date(now), date(expires)]);
      if (claimed) return { kind: 'run', claim: this.claimOf(Number(claimed.id)) };
      const row = await em.findOneOrFail(IdempotencyRecordEntity, { scope, key }, { refresh: true });
      if (row.expiresAt.getTime() <= now.getTime()) {
        // A key used after 24 hours is a new request: drop the old record and claim afresh.
        await em.nativeDelete(IdempotencyRecordEntity, { id: row.id, expiresAt: { $lte: now } });
        continue;
      }
      if (row.operation !== operation || row.fingerprint !== fingerprint) {
        throw unprocessable(
          row.operation !== operation
            ? `This Idempotency-Key was used for ${row.operation}; use a new key for each request`
            : 'This Idempotency-Key was used with a different input; use a new key for each request',
        );
      }
      if (row.state === 'done') return { kind: 'replay', answer: parseAnswer(row.responseStatus!, row.responseBody!) };
      if (now.getTime() - row.lockedAt.getTime() >= ABANDONED_AFTER_MS) {
        // The first request died without committing anything: a retry may run it now.
        const taken = await em.nativeUpdate(IdempotencyRecordEntity, { id: row.id, state: 'running', lockedAt: row.lockedAt }, { lockedAt: now });
        if (taken === 1) return { kind: 'run', claim: this.claimOf(row.id) };
        continue;
      }
      throw new DomainError('CONFLICT', 'A request with this Idempotency-Key is still running; retry shortly', IN_PROGRESS_RETRY_AFTER_S);
    }
    throw conflict('This Idempotency-Key is changing hands; retry shortly');
  }

  /**
   * `begin` for a body read as a stream (POST /customers/import), whose fingerprint (the body's
   * SHA-256) is known only at its end: claims the key with the fingerprint pending, or answers
   * what was stored for it so that the caller, once it has hashed the body, replays it (same
   * fingerprint) or refuses it with 422 (`mismatch`). Another operation: 422; still running: 409.
   */
  async beginStreamed(scope: string, key: string, operation: string): Promise<StreamedClaimOutcome> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await this.begin(scope, key, operation, PENDING).catch((err: unknown) => {
        // A finished record has its real fingerprint: begin calls that "a different input".
        if (err instanceof DomainError && err.code === 'UNPROCESSABLE_CONTENT') return null;
        throw err;
      });
      if (outcome?.kind === 'run') return { kind: 'run', claim: this.streamedClaimOf(outcome.claim) };
      const row = await this.em().findOne(IdempotencyRecordEntity, { scope, key }, { refresh: true });
      if (!row) continue;
      if (row.operation !== operation) throw unprocessable(`This Idempotency-Key was used for ${row.operation}; use a new key for each request`);
      if (row.state === 'done') return { kind: 'stored', fingerprint: row.fingerprint, answer: parseAnswer(row.responseStatus!, row.responseBody!) };
      throw new DomainError('CONFLICT', 'A request with this Idempotency-Key is still running; retry shortly', IN_PROGRESS_RETRY_AFTER_S);
    }
    throw conflict('This Idempotency-Key is changing hands; retry shortly');
  }

  private streamedClaimOf(claim: IdempotencyClaim): StreamedClaim {
    const streamed: StreamedClaim = {
      ...claim,
      fingerprint: null,
      record: async (em, value, lane) => {
        await claim.record(em, value, lane);
        if (streamed.fingerprint !== null) await em.nativeUpdate(IdempotencyRecordEntity, { id: claim.id }, { fingerprint: streamed.fingerprint });
      },
    };
    return streamed;
  }

  /** Deletes records past their 24 hours (housekeeping). */
  static async purgeExpired(em: EntityManager, now: Date): Promise<number> {
    return em.nativeDelete(IdempotencyRecordEntity, { expiresAt: { $lte: now } });
  }

  private claimOf(id: number): IdempotencyClaim {
    let recordedBody: string | undefined;
    const complete = (em: EntityManager, lane: WriteLane | null, status: number, body: string) =>
      lane
        ? lane.run(em, COMPLETE_STATEMENT, [status, body, id])
        : em.nativeUpdate(IdempotencyRecordEntity, { id, state: 'running' }, { state: 'done', responseStatus: status, responseBody: body });
    return {
      id,
      record: async (em, value, lane) => {
        const body = superjson.stringify(value);
        await complete(em, lane, 200, body);
        recordedBody = body;
      },
      recorded: (value) => recordedBody !== undefined && recordedBody === superjson.stringify(value),
      store: async (answer) => {
        const status = answer.ok ? 200 : HTTP_STATUS[answer.code];
        const body = answer.ok ? superjson.stringify(answer.value) : JSON.stringify({ code: answer.code, message: answer.message });
        // A later store (the output differed from what the write recorded) overwrites it.
        await this.em().nativeUpdate(IdempotencyRecordEntity, { id }, { state: 'done', responseStatus: status, responseBody: body });
      },
      release: async () => {
        await this.em().nativeDelete(IdempotencyRecordEntity, { id, state: 'running' });
      },
    };
  }
}

/** 200: the superjson of the output; otherwise the `{ code, message }` of the error. */
function parseAnswer(status: number, body: string): StoredAnswer {
  if (status === 200) return { ok: true, value: superjson.parse(body) };
  const { code, message } = JSON.parse(body) as { code: ErrorCode; message: string };
  return { ok: false, code, message };
}
