import type { Readable } from 'node:stream';
import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { MikroORM } from '@mikro-orm/core';
import { CustomerEntity } from '../db/customer.entity.js';
import { nameKeys } from '../customers/customer.mapper.js';
import { toFieldIssues } from '../trpc/issues.js';
import { ImportRowSchema, type ImportRow } from './import-row.js';
import { streamJsonArray } from './json-array-stream.js';

export interface RejectedRow {
  index: number;
  email: string | null;
  reason: string;
}

export interface ImportSummary {
  read: number;
  inserted: number;
  updated: number;
  rejected: number;
}

export interface ImportOptions {
  batchSize?: number;
  /** Called after each committed batch, with the running totals. */
  onProgress?: (summary: ImportSummary) => void;
  /** Called once per rejected row; rows are not kept in memory. */
  onRejected?: (row: RejectedRow) => void;
}

const UPDATABLE = ['firstName', 'lastName', 'firstNameKey', 'lastNameKey', 'phone', 'company', 'address', 'metadata'] as const;

/**
 * Streams a JSON array of customers into the database: each row validated with the API's
 * schema, upserted by email in one transaction per batch. Memory is bounded by the batch size.
 */
export async function importCustomers(orm: MikroORM, input: Readable, options: ImportOptions = {}): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 1000;
  const summary: ImportSummary = { read: 0, inserted: 0, updated: 0, rejected: 0 };
  let batch = new Map<string, ImportRow>();

  const flush = async () => {
    if (batch.size === 0) return;
    const rows = [...batch.values()];
    batch = new Map();
    const { inserted, updated } = await upsertBatch(orm.em.fork() as EntityManager, rows);
    summary.inserted += inserted;
    summary.updated += updated;
    options.onProgress?.({ ...summary });
  };

  for await (const { index, value } of streamJsonArray(input)) {
    summary.read++;
    const parsed = ImportRowSchema.safeParse(value);
    if (!parsed.success) {
      summary.rejected++;
      const email = typeof (value as { email?: unknown })?.email === 'string' ? (value as { email: string }).email : null;
      const reason = toFieldIssues(parsed.error.issues).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
      options.onRejected?.({ index, email, reason });
      continue;
    }
    // A repeated email in one batch would hit the same row twice in one statement: commit first.
    if (batch.has(parsed.data.email)) await flush();
    batch.set(parsed.data.email, parsed.data);
    if (batch.size >= batchSize) await flush();
  }
  await flush();
  return summary;
}

async function upsertBatch(em: EntityManager, rows: ImportRow[]): Promise<{ inserted: number; updated: number }> {
  return em.transactional(async (tx) => {
    const emails = rows.map((r) => r.email);
    const existing = await tx
      .createQueryBuilder(CustomerEntity)
      .select('email')
      .where({ email: { $in: emails } })
      .execute<{ email: string }[]>('all', false);
    const now = new Date();
    const values = rows.map((r) => ({
      email: r.email,
      firstName: r.firstName,
      lastName: r.lastName,
      ...nameKeys(r.firstName, r.lastName),
      phone: r.phone,
      company: r.company,
      address: r.address,
      metadata: r.metadata,
      createdAt: r.createdAt ?? now,
      updatedAt: now,
      version: 1,
    }));
    // An existing customer keeps its createdAt; its fields are replaced and its version bumped.
    const merge = Object.fromEntries(UPDATABLE.map((p) => [p, raw(`excluded.${snake(p)}`)]));
    await tx
      .createQueryBuilder(CustomerEntity)
      .insert(values)
      .onConflict('email')
      .merge({ ...merge, updatedAt: raw('excluded.updated_at'), version: raw('customers.version + 1') })
      .execute('run');
    return { inserted: rows.length - existing.length, updated: existing.length };
  });
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
