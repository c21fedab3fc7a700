import type { Readable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { CustomerEntity } from '../db/customer.entity.js';
import { nameKeys } from '../customers/customer.mapper.js';
import { toFieldIssues } from '../trpc/issues.js';
import { ImportRowSchema, type ImportRow } from './import-row.js';
import { streamJsonArrayChunks, type JsonArrayStreamOptions } from './json-array-stream.js';

export { JsonArrayError } from './json-array-stream.js';

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

export interface ImportOptions extends JsonArrayStreamOptions {
  /** Accepted rows per transaction. */
  batchSize?: number;
  /** Called after each committed batch, with the running totals. */
  onProgress?: (summary: ImportSummary) => void;
  /** Called once per rejected row; rows are not kept in memory. */
  onRejected?: (row: RejectedRow) => void;
}

/** The rows of one email within a batch: the last one wins, the first one's createdAt counts. */
interface Pending {
  row: ImportRow;
  createdAt: Date | undefined;
  /** How many accepted rows of the file this stands for; each one is a change (a version). */
  count: number;
}

/**
 * Streams a JSON array of customers into the database: each row validated with the API's
 * schema, upserted by email in one transaction per batch. Memory is bounded by the batch size.
 *
 * The file is applied as if row by row, in order: the first row of an email inserts it
 * (version 1, createdAt from the row or now); every later row of that email, in the file or
 * from an earlier import, is an update (fields replaced, createdAt kept, version + 1,
 * updatedAt now). So read = inserted + updated + rejected.
 */
export async function importCustomers(orm: MikroORM, input: Readable, options: ImportOptions = {}): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? 5000;
  const summary: ImportSummary = { read: 0, inserted: 0, updated: 0, rejected: 0 };
  const upsert = customerUpserter(orm);
  let batch = new Map<string, Pending>();
  let batchRows = 0;

  const flush = async () => {
    if (batch.size === 0) return;
    const pending = [...batch.values()];
    const rows = batchRows;
    batch = new Map();
    batchRows = 0;
    const inserted = await upsert(pending);
    summary.inserted += inserted;
    summary.updated += rows - inserted;
    options.onProgress?.({ ...summary });
  };

  const reject = (index: number, value: unknown, reason: string) => {
    summary.rejected++;
    const email = (value as { email?: unknown } | null)?.email;
    options.onRejected?.({ index, email: typeof email === 'string' ? email : null, reason });
  };

  for await (const elements of streamJsonArrayChunks(input, options)) {
    for (const { index, value, tooLarge } of elements) {
      summary.read++;
      if (tooLarge) {
        reject(index, undefined, 'row is too large to be a customer');
        continue;
      }
      const parsed = ImportRowSchema.safeParse(value);
      if (!parsed.success) {
        reject(index, value, describeIssues(parsed.error.issues));
        continue;
      }
      const row = parsed.data;
      const seen = batch.get(row.email);
      if (seen) {
        seen.row = row;
        seen.count++;
      } else {
        batch.set(row.email, { row, createdAt: row.createdAt, count: 1 });
      }
      if (++batchRows >= batchSize) await flush();
    }
  }
  await flush();
  return summary;
}

function describeIssues(issues: Parameters<typeof toFieldIssues>[0]): string {
  return toFieldIssues(issues)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
}

/** Rows per INSERT statement: 12 parameters each stays under SQLite's 32766 and PostgreSQL's 65535. */
const STATEMENT_ROWS = 1000;

/**
 * Returns a function that upserts one batch in one transaction and answers how many of its
 * emails were new. Plain SQL through the ORM's knex (no entity instances, no identity map):
 * one multi-row `insert … on conflict (email) do update` per 1000 rows, valid on SQLite and PostgreSQL.
 */
function customerUpserter(orm: MikroORM): (batch: Pending[]) => Promise<number> {
  const em = orm.em as unknown as EntityManager;
  const knex = em.getKnex();
  const platform = em.getPlatform();
  const meta = orm.getMetadata().get(CustomerEntity.name);
  const column = (p: keyof CustomerEntity) => meta.properties[p]!.fieldNames[0]!;
  const q = (id: string) => `"${id}"`;
  const table = q(meta.tableName);
  const emailColumn = q(column('email'));
  const columns = (
    ['email', 'firstName', 'lastName', 'firstNameKey', 'lastNameKey', 'phone', 'company', 'address', 'metadata', 'createdAt', 'updatedAt', 'version'] as const
  ).map((p) => q(column(p)));
  // An existing customer keeps its id, email and createdAt; everything else is replaced.
  const replaced = (['firstName', 'lastName', 'firstNameKey', 'lastNameKey', 'phone', 'company', 'address', 'metadata', 'updatedAt'] as const).map(
    (p) => `${q(column(p))} = excluded.${q(column(p))}`,
  );
  const versionColumn = q(column('version'));
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const sqlFor = memo((rows: number) =>
    [
      `insert into ${table} (${columns.join(', ')}) values ${Array(rows).fill(tuple).join(', ')}`,
      `on conflict (${emailColumn}) do update set ${replaced.join(', ')}, ${versionColumn} = ${table}.${versionColumn} + excluded.${versionColumn}`,
    ].join(' '),
  );
  const selectFor = memo((rows: number) => `select ${emailColumn} as email from ${table} where ${emailColumn} in (${Array(rows).fill('?').join(', ')})`);
  const date = (d: Date) => platform.processDateProperty(d) as unknown;
  const json = (v: unknown) => (v === null ? null : JSON.stringify(v));

  return async (batch) => {
    const now = new Date();
    const nowValue = date(now);
    return knex.transaction(async (trx) => {
      let existing = 0;
      for (let from = 0; from < batch.length; from += STATEMENT_ROWS) {
        const part = batch.slice(from, from + STATEMENT_ROWS);
        const emails = part.map((p) => p.row.email);
        const found = (await trx.raw(selectFor(part.length), emails)) as unknown;
        existing += rowsOf(found).length;
        const values: unknown[] = [];
        for (const { row, createdAt, count } of part) {
          const keys = nameKeys(row.firstName, row.lastName);
          values.push(
            row.email,
            row.firstName,
            row.lastName,
            keys.firstNameKey,
            keys.lastNameKey,
            row.phone,
            row.company,
            json(row.address),
            json(row.metadata),
            createdAt ? date(createdAt) : nowValue,
            nowValue,
            count,
          );
        }
        await trx.raw(sqlFor(part.length), values as never);
      }
      return batch.length - existing;
    });
  };
}

/** knex's raw() answers an array on SQLite and a pg result (`{ rows }`) on PostgreSQL. */
function rowsOf(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return (result as { rows?: unknown[] }).rows ?? [];
}

function memo<T>(fn: (n: number) => T): (n: number) => T {
  const cache = new Map<number, T>();
  return (n) => {
    let v = cache.get(n);
    if (v === undefined) {
      if (cache.size > 4) cache.clear();
      cache.set(n, (v = fn(n)));
    }
    return v;
  };
}
