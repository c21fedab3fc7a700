import { EntitySchema } from '@mikro-orm/core';

export type IdempotencyState = 'running' | 'done';

/**
 * One Idempotency-Key of one caller: claimed by the first request (a unique row, so two
 * concurrent requests can never both run), then completed with the answer in the same
 * transaction as the change it made.
 */
export class IdempotencyRecordEntity {
  id!: number;
  /** Whose key: `user:<id>` or `apiKey:<id>`. Keys of two callers never meet. */
  scope!: string;
  key!: string;
  /** The procedure it was first used on (REST and tRPC share procedure names). */
  operation!: string;
  /** SHA-256 of the operation and the canonical JSON of the input. */
  fingerprint!: string;
  state!: IdempotencyState;
  /** When the running request claimed (or took over) the key. */
  lockedAt!: Date;
  createdAt!: Date;
  expiresAt!: Date;
  /** The stored answer: an HTTP status and the superjson of the output, or of `{ code, message }`. */
  responseStatus: number | null = null;
  responseBody: string | null = null;
}

export const IdempotencyRecordSchema = new EntitySchema<IdempotencyRecordEntity>({
  class: IdempotencyRecordEntity,
  tableName: 'idempotency_records',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    scope: { type: 'string', length: 80 },
    key: { type: 'string', length: 255 },
    operation: { type: 'string', length: 100 },
    fingerprint: { type: 'string', length: 64 },
    state: { type: 'string', length: 16 },
    lockedAt: { type: 'Date' },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date', index: 'idempotency_records_expires_at_index' },
    responseStatus: { type: 'integer', nullable: true },
    responseBody: { type: 'text', nullable: true },
  },
  uniques: [{ name: 'idempotency_records_scope_key_unique', properties: ['scope', 'key'] }],
});
