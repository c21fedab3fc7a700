import { type FilterQuery, OptimisticLockError, type QueryOrderMap, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { Customer, CustomerCreateData, CustomerListQuery, CustomerPage, CustomerSort, CustomerUpdateData } from '../../client-sdk/src/schemas/customer.js';
import { CustomerEntity } from '../db/customer.entity.js';
import { isPostgres } from '../db/dialect.js';
import { UserEntity } from '../db/user.entity.js';
import type { WriteLane } from '../db/write-lane.js';
import type { ChangeLog, WriteTransactions } from '../db/write-transaction.js';
import { conflict, notFound } from '../errors.js';
import { forgetReplacedWords, indexCustomer, newCustomerSearchKeys, unindexCustomer } from '../search/search-writes.js';
import { refuseIfAdminRecord } from './admin-record.js';
import type { CursorCodec } from './cursor.js';
import { type CustomerRow, changedFields, creationChanges, customerFromRow, nameKeys, newCustomerId, toCustomer } from './customer.mapper.js';
import type { CustomerReads } from './customer-reads.js';
import { customerForUpdate, insertCustomer, updateCustomer } from './customer-writes.js';
import { likePrefix, type PagePlan, pageStatement, type SortColumn } from './page-statement.js';

/** Each sort column's name in a raw row. */
const SORT_ROW_KEY: Record<SortColumn, keyof CustomerRow> = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  email: 'email',
  lastNameKey: 'last_name_key',
};
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
    match = { $like: likePrefix(q) };
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

/**
 * Customer records: every database operation on them. Writes go through the request's write
 * transactions, so each change commits with its event and audit entry (and the answer of its
 * Idempotency-Key), or not at all.
 */
export class CustomersService {
  constructor(
    private readonly writes: WriteTransactions,
    private readonly cursors: CursorCodec,
    /** Told which accounts a delete removed, so their cached sessions end at once. */
    private readonly onAccountsRemoved: (userIds: string[]) => void,
    /** The prepared reads of one customer and of list pages (see customer-reads.ts). */
    private readonly reads: CustomerReads,
  ) {}

  private get em(): EntityManager {
    return this.writes.entityManager;
  }

  async create(data: CustomerCreateData): Promise<Customer> {
    const { lane } = this.writes;
    try {
      if (lane)
        return await this.writes.run(async (em, log) => {
          const now = new Date();
          const customer: Customer = { id: newCustomerId(), ...data, createdAt: now, updatedAt: now, version: 1 };
          await insertCustomer(lane, em, customer, newCustomerSearchKeys(customer));
          recordCreated(log, customer);
          return customer;
        });
      return await this.writes.run(async (em, log) => {
        const now = new Date();
        const entity = em.create(CustomerEntity, {
          ...data,
          publicId: newCustomerId(),
          ...nameKeys(data.firstName, data.lastName),
          ...newCustomerSearchKeys(data),
          createdAt: now,
          updatedAt: now,
          version: 1,
        });
        const customer = toCustomer(entity);
        recordCreated(log, customer);
        return customer;
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw conflict(`A customer with email ${data.email} already exists`);
      throw err;
    }
  }

  async get(email: string): Promise<Customer> {
    const customer = await this.reads.customer(email);
    if (!customer) throw notFound(`No customer with email ${email}`);
    return customer;
  }

  async update(data: CustomerUpdateData): Promise<Customer> {
    if (this.writes.lane) return this.updateOnLane(this.writes.lane, data);
    const { email, version, ...patch } = data;
    try {
      return await this.writes.run(async (em, log) => {
        const entity = await this.require(em, email);
        if (version !== undefined && version !== entity.version) {
          throw conflict(`Stale version: you sent ${version}, the customer is at ${entity.version}`);
        }
        const before = toCustomer(entity);
        const wordsBefore = entity.searchWords;
        const changes: Partial<CustomerEntity> = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
        if (changes.firstName !== undefined || changes.lastName !== undefined) {
          Object.assign(changes, nameKeys(changes.firstName ?? entity.firstName, changes.lastName ?? entity.lastName));
        }
        em.assign(entity, changes, { mergeObjectProperties: false });
        em.assign(entity, await indexCustomer(em, entity));
        // The UPDATE carries `WHERE version = ?`: of concurrent writers holding the same version,
        // exactly one succeeds and the rest get OptimisticLockError, so nothing is overwritten.
        await em.flush();
        await forgetReplacedWords(em, wordsBefore, entity.searchWords);
        const after = toCustomer(entity);
        recordUpdated(log, before, after);
        return after;
      });
    } catch (err) {
      if (err instanceof OptimisticLockError) throw conflict('Stale version: the customer changed while you were updating it');
      throw err;
    }
  }

  /** `update` on the write lane (customer-writes.ts): the same rows, event and audit entry as through the ORM, on statements prepared once. */
  private updateOnLane(lane: WriteLane, { email, version, ...patch }: CustomerUpdateData): Promise<Customer> {
    return this.writes.run(async (em, log) => {
      const read = await customerForUpdate(lane, em, email);
      if (!read) throw notFound(`No customer with email ${email}`);
      const before = read.customer;
      if (version !== undefined && version !== before.version) {
        throw conflict(`Stale version: you sent ${version}, the customer is at ${before.version}`);
      }
      const after: Customer = { ...before, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) };
      const keys = await indexCustomer(em, after, lane);
      const stored = await updateCustomer(lane, em, read, after, keys, new Date());
      if (!stored) throw conflict('Stale version: the customer changed while you were updating it');
      await forgetReplacedWords(em, read.searchWords, keys.searchWords, lane);
      recordUpdated(log, before, stored);
      return stored;
    });
  }

  /** Deletes the customer; the database cascades to its account, sessions and reset tokens. */
  async delete(email: string): Promise<{ deleted: true; email: string }> {
    let removedAccounts: string[] = [];
    const answer = await this.writes.run(async (em, log) => {
      const entity = await this.require(em, email);
      await refuseIfAdminRecord(em, entity.id);
      const accounts = await em.createQueryBuilder(UserEntity).select('id').where({ customer: entity.id }).execute<{ id: string }[]>('all', false);
      removedAccounts = accounts.map((a) => a.id);
      em.remove(entity);
      await em.flush();
      await unindexCustomer(em, entity.searchWords);
      log.event({ type: 'customer.deleted', customer: { id: entity.publicId, email: entity.email, version: entity.version }, changed: [] });
      log.audit({ action: 'customer.deleted', target: { type: 'customer', id: entity.publicId } });
      return { deleted: true as const, email: entity.email };
    });
    this.onAccountsRemoved(removedAccounts);
    return answer;
  }

  /**
   * A page of customers. The rows are read on the read lane by a statement prepared once per page
   * shape (customers/page-statement.ts) and mapped straight to the answer: a page of 50 spent
   * two-thirds of its time in MikroORM hydrating 51 entities it never used as entities, and half
   * of what was left in the query builder building and re-preparing the same SQL. `listThroughOrm`
   * is the same query through the ORM, the reference the equivalence test (test/list-lane.test.ts)
   * compares this with.
   */
  async list(query: CustomerListQuery): Promise<CustomerPage> {
    const plan = this.pagePlan(query);
    const rows = await this.reads.customerPage(pageStatement(plan.postgres ? 'postgres' : 'sqlite', { ...plan, q: plan.q || null }, query.limit + 1));
    const key = SORT_ROW_KEY[plan.column];
    return this.page(
      query,
      plan,
      rows.map((row) => ({ customer: customerFromRow(row), id: Number(row.id), key: row[key] })),
    );
  }

  /** `list` through MikroORM's entities: the general path (see `list`). */
  async listThroughOrm(query: CustomerListQuery): Promise<CustomerPage> {
    const plan = this.pagePlan(query);
    const entities = await this.em.find(CustomerEntity, plan.where, { orderBy: plan.orderBy, limit: query.limit + 1 });
    return this.page(
      query,
      plan,
      entities.map((e) => ({ customer: toCustomer(e), id: e.id, key: e[plan.column] })),
    );
  }

  /** The filter and order of a page: the search, the position after the cursor, the sort. */
  private pagePlan(query: CustomerListQuery) {
    const { column, descending, isDate } = parseSort(query.sort);
    const postgres = isPostgres(this.em);
    const q = query.q?.toLowerCase() ?? null;
    const qUpper = q === null || postgres ? undefined : prefixUpperBound(q);
    const and: FilterQuery<CustomerEntity>[] = [];
    if (q) and.push(prefixSearch(q, postgres));
    let after: PagePlan['after'];
    if (query.cursor) {
      const at = this.cursors.decode(query.cursor, query.sort, q);
      const value = isDate ? new Date(at.value) : at.value;
      // Dates are epoch ms in SQLite's columns; the ORM converts them, the read lane binds them as stored.
      after = { value: isDate && !postgres ? Number(at.value) : value, id: at.id };
      const beyond = descending ? '$lt' : '$gt';
      const reach = descending ? '$lte' : '$gte';
      // key >= v bounds the index range; the tie on equal keys is broken by id.
      and.push({ [column]: { [reach]: value } });
      and.push({ $or: [{ [column]: { [beyond]: value } }, { id: { [beyond]: at.id } }] });
    }
    const direction = descending ? 'desc' : 'asc';
    const orderBy: QueryOrderMap<CustomerEntity> = column === 'email' ? { email: direction } : { [column]: direction, id: direction };
    return { where: (and.length ? { $and: and } : {}) as FilterQuery<CustomerEntity>, orderBy, column, descending, isDate, q, qUpper, after, postgres };
  }

  /** The answer from up to limit + 1 rows, each with its id and sort key (a Date, epoch ms or text). */
  private page(
    query: CustomerListQuery,
    plan: ReturnType<CustomersService['pagePlan']>,
    rows: { customer: Customer; id: number; key: unknown }[],
  ): CustomerPage {
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    const value = (key: unknown): string | number => (plan.isDate ? new Date(key as Date | number).getTime() : (key as string));
    const nextCursor = rows.length > query.limit && last ? this.cursors.encode({ sort: query.sort, q: plan.q, value: value(last.key), id: last.id }) : null;
    return { items: page.map((r) => r.customer), nextCursor };
  }

  private async require(em: EntityManager, email: string): Promise<CustomerEntity> {
    const entity = await em.findOne(CustomerEntity, { email });
    if (!entity) throw notFound(`No customer with email ${email}`);
    return entity;
  }
}

/** Records a new customer's event and audit entry (all its fields set, from nothing). */
export function recordCreated(log: ChangeLog, customer: Customer): void {
  const changes = creationChanges(customer);
  log.event({ type: 'customer.created', customer: { id: customer.id, email: customer.email, version: customer.version }, changed: Object.keys(changes) });
  log.audit({ action: 'customer.created', target: { type: 'customer', id: customer.id }, changes });
}

/** An update's event and audit entry, both on either write path; a write that changed nothing records neither. */
function recordUpdated(log: ChangeLog, before: Customer, after: Customer): void {
  const changes = changedFields(before, after);
  if (Object.keys(changes).length === 0) return;
  log.event({ type: 'customer.updated', customer: { id: after.id, email: after.email, version: after.version }, changed: Object.keys(changes) });
  log.audit({ action: 'customer.updated', target: { type: 'customer', id: after.id }, changes });
}
