import {
  OptimisticLockError,
  UniqueConstraintViolationException,
  type FilterQuery,
  type QueryOrderMap,
} from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type {
  Customer,
  CustomerCreateData,
  CustomerListQuery,
  CustomerPage,
  CustomerSort,
  CustomerUpdateData,
} from '../../client-sdk/src/schemas/customer.js';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { CustomerEntity } from '../db/customer.entity.js';
import { UserEntity } from '../db/user.entity.js';
import type { SqliteReads } from '../db/sqlite-reads.js';
import { conflict, notFound } from '../errors.js';
import type { CursorCodec } from './cursor.js';
import { nameKeys, toCustomer } from './customer.mapper.js';

type SortColumn = 'createdAt' | 'updatedAt' | 'email' | 'lastNameKey';
const SORT_COLUMN: Record<string, SortColumn> = {
  createdAt: 'createdAt',
  updatedAt: 'updatedAt',
  email: 'email',
  lastName: 'lastNameKey',
};

/**
 * The smallest string above every string that starts with `prefix`, in code-point order
 * (UTF-8 byte order): the prefix with its last code point incremented. Undefined when none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  while (points.length && points[points.length - 1]! >= 0x10ffff) points.pop();
  if (!points.length) return undefined;
  let last = points.pop()! + 1;
  if (last >= 0xd800 && last <= 0xdfff) last = 0xe000; // surrogates are not characters
  return String.fromCodePoint(...points, last);
}

/**
 * Case-insensitive prefix search over the lower-cased email and name keys; `q` is lower-cased.
 * Each arm is a range on one of their indexes, never a scan, and both databases compare by
 * code point (SQLite's BINARY collation; COLLATE "C" columns on PostgreSQL), so the matches
 * and their order are the same on both.
 * - PostgreSQL: `LIKE 'q%'` with q's own `\ % _` escaped; on a "C" column the planner turns it
 *   into an index range.
 * - SQLite: an explicit range `[q, upper bound)`: its LIKE folds ASCII case and then skips
 *   binary indexes.
 */
function prefixSearch(q: string, postgres: boolean): FilterQuery<CustomerEntity> {
  let match: object;
  if (postgres) {
    match = { $like: `${q.replace(/[\\%_]/g, '\\$&')}%` };
  } else {
    const upper = prefixUpperBound(q);
    match = upper === undefined ? { $gte: q } : { $gte: q, $lt: upper };
  }
  return { $or: [{ email: match }, { firstNameKey: match }, { lastNameKey: match }] };
}

function parseSort(sort: CustomerSort) {
  const descending = sort.startsWith('-');
  const column = SORT_COLUMN[descending ? sort.slice(1) : sort]!;
  return { column, descending, isDate: column === 'createdAt' || column === 'updatedAt' };
}

/** Customer records: every database operation on them, given a request-scoped entity manager. */
export class CustomersService {
  constructor(
    /** Forks the request's entity manager on first use. */
    private readonly emOf: () => EntityManager,
    private readonly cursors: CursorCodec,
    /** Told which accounts a delete removed, so their cached sessions end at once. */
    private readonly onAccountsRemoved: (userIds: string[]) => void = () => {},
    /** SQLite only: the prepared read of one customer (see db/sqlite-reads.ts). */
    private readonly reads?: SqliteReads,
  ) {}

  private get em(): EntityManager {
    return this.emOf();
  }

  async create(data: CustomerCreateData, createdAt?: Date): Promise<Customer> {
    const now = createdAt ?? new Date();
    const entity = this.em.create(CustomerEntity, {
      ...data,
      ...nameKeys(data.firstName, data.lastName),
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    try {
      await this.em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw conflict(`A customer with email ${data.email} already exists`);
      throw err;
    }
    return toCustomer(entity);
  }

  async get(email: string): Promise<Customer> {
    if (!this.reads) return toCustomer(await this.require(email));
    const customer = this.reads.customer(email);
    if (!customer) throw notFound(`No customer with email ${email}`);
    return customer;
  }

  async update({ email, version, ...patch }: CustomerUpdateData): Promise<Customer> {
    const entity = await this.require(email);
    if (version !== undefined && version !== entity.version) {
      throw conflict(`Stale version: you sent ${version}, the customer is at ${entity.version}`);
    }
    const changes: Partial<CustomerEntity> = Object.fromEntries(
      Object.entries(patch).filter(([, v]) => v !== undefined),
    );
    if (changes.firstName !== undefined || changes.lastName !== undefined) {
      Object.assign(changes, nameKeys(changes.firstName ?? entity.firstName, changes.lastName ?? entity.lastName));
    }
    this.em.assign(entity, changes, { mergeObjectProperties: false });
    try {
      // The UPDATE carries `WHERE version = ?`: of concurrent writers holding the same version,
      // exactly one succeeds and the rest get OptimisticLockError, so nothing is overwritten.
      await this.em.flush();
    } catch (err) {
      if (err instanceof OptimisticLockError) throw conflict('Stale version: the customer changed while you were updating it');
      throw err;
    }
    return toCustomer(entity);
  }

  /** Deletes the customer; the database cascades to its account, sessions and reset tokens. */
  async delete(email: string): Promise<void> {
    const entity = await this.require(email);
    const accounts = await this.em
      .createQueryBuilder(UserEntity)
      .select('id')
      .where({ customer: entity.id })
      .execute<{ id: string }[]>('all', false);
    await this.em.remove(entity).flush();
    this.onAccountsRemoved(accounts.map((a) => a.id));
  }

  async list(query: CustomerListQuery): Promise<CustomerPage> {
    const { column, descending, isDate } = parseSort(query.sort);
    const q = query.q?.toLowerCase() ?? null;
    const and: FilterQuery<CustomerEntity>[] = [];
    if (q) and.push(prefixSearch(q, this.em.getPlatform() instanceof PostgreSqlPlatform));
    if (query.cursor) {
      const at = this.cursors.decode(query.cursor, query.sort, q);
      const value = isDate ? new Date(at.value) : at.value;
      const beyond = descending ? '$lt' : '$gt';
      const reach = descending ? '$lte' : '$gte';
      // key >= v bounds the index range; the tie on equal keys is broken by id.
      and.push({ [column]: { [reach]: value } });
      and.push({ $or: [{ [column]: { [beyond]: value } }, { id: { [beyond]: at.id } }] });
    }
    const direction = descending ? 'desc' : 'asc';
    const orderBy: QueryOrderMap<CustomerEntity> = column === 'email' ? { email: direction } : { [column]: direction, id: direction };
    const rows = await this.em.find(CustomerEntity, and.length ? { $and: and } : {}, {
      orderBy,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > query.limit && last
        ? this.cursors.encode({
            sort: query.sort,
            q,
            value: isDate ? (last[column] as Date).getTime() : (last[column] as string),
            id: last.id,
          })
        : null;
    return { items: page.map(toCustomer), nextCursor };
  }

  private async require(email: string): Promise<CustomerEntity> {
    const entity = await this.em.findOne(CustomerEntity, { email });
    if (!entity) throw notFound(`No customer with email ${email}`);
    return entity;
  }
}
