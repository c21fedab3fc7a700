import type { EntityManager } from '@mikro-orm/knex';
import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import { jsonParam, type WriteLane } from '../db/write-lane.js';
import { canonicalJson } from '../idempotency/fingerprint.js';
import { SEARCH_COLUMN_NAMES, type SearchKeys, searchColumnValues } from '../search/search-keys.js';
import { CUSTOMER_COLUMNS, type CustomerRow, customerFromRow, EDITABLE_FIELDS, nameKeys } from './customer.mapper.js';

/** The columns a create writes besides the search columns, in the order CUSTOMER_WRITES.insert binds them. */
const INSERT_COLUMNS = [
  'public_id',
  'email',
  'first_name',
  'last_name',
  'first_name_key',
  'last_name_key',
  'phone',
  'company',
  'address',
  'metadata',
  'created_at',
  'updated_at',
  'version',
];
/** The columns an update may change besides the search columns (public id, email and creation stay). */
const UPDATE_COLUMNS = ['first_name', 'last_name', 'first_name_key', 'last_name_key', 'phone', 'company', 'address', 'metadata'];

/** Every column a new customer's row is written with, in bind order (the write lane's insert and the importer's). */
export const CUSTOMER_INSERT_COLUMNS = [...INSERT_COLUMNS, ...SEARCH_COLUMN_NAMES];

/** The customers feature's statements on the write lane (db/write-lane.ts): the rows the ORM path writes. */
export const CUSTOMER_WRITES = {
  insert: {
    name: 'carly_customer_insert',
    sql: `insert into customers (${CUSTOMER_INSERT_COLUMNS.join(', ')}) values (${CUSTOMER_INSERT_COLUMNS.map(() => '?').join(', ')})`,
  },
  forUpdate: {
    name: 'carly_customer_for_update',
    sql: {
      sqlite: `select ${[...CUSTOMER_COLUMNS, ...SEARCH_COLUMN_NAMES].join(', ')} from customers where email = ?`,
      // The row is locked before the update writes any dictionary word: the search indexer locks
      // the rows it indexes before it writes theirs (search/search-indexer.ts), so both take the
      // row first and neither can wait on the other's words while holding what the other needs.
      postgresql: `select ${[...CUSTOMER_COLUMNS, ...SEARCH_COLUMN_NAMES].join(', ')} from customers where email = $1 for update`,
    },
  },
  // `where version = ?`: of concurrent writers holding the same version exactly one succeeds.
  update: {
    name: 'carly_customer_update',
    sql: `update customers set ${[...UPDATE_COLUMNS, ...SEARCH_COLUMN_NAMES].map((c) => `${c} = ?`).join(', ')}, updated_at = ?, version = version + 1 where id = ? and version = ?`,
  },
};

/** The editable columns' values, in UPDATE_COLUMNS order. */
const editableValues = (c: Customer): unknown[] => {
  const keys = nameKeys(c.firstName, c.lastName);
  return [c.firstName, c.lastName, keys.firstNameKey, keys.lastNameKey, c.phone, c.company, jsonParam(c.address), JSON.stringify(c.metadata)];
};

/** Inserts a new customer's row (search keys computed by the caller, search/search-writes.ts). */
export async function insertCustomer(lane: WriteLane, em: EntityManager, customer: Customer, keys: SearchKeys): Promise<void> {
  const [firstName, lastName, firstNameKey, lastNameKey, phone, company, address, metadata] = editableValues(customer);
  await lane.run(em, CUSTOMER_WRITES.insert, [
    customer.id,
    customer.email,
    firstName,
    lastName,
    firstNameKey,
    lastNameKey,
    phone,
    company,
    address,
    metadata,
    customer.createdAt,
    customer.updatedAt,
    customer.version,
    ...searchColumnValues(keys),
  ]);
}

/** A customer as an update reads it: the public shape, its row id and its search words. */
export interface CustomerForUpdate {
  rowId: number | string;
  customer: Customer;
  searchWords: string;
  /** The search columns as stored, in SEARCH_COLUMN_NAMES order. */
  searchValues: (string | null)[];
}

/** The customer with this email, read inside the update's transaction, or null. */
export async function customerForUpdate(lane: WriteLane, em: EntityManager, email: string): Promise<CustomerForUpdate | null> {
  const row = await lane.one<CustomerRow & Record<string, unknown>>(em, CUSTOMER_WRITES.forUpdate, [email]);
  if (!row) return null;
  return {
    rowId: row.id,
    customer: customerFromRow(row),
    searchWords: row.search_words as string,
    searchValues: SEARCH_COLUMN_NAMES.map((c) => row[c] as string | null),
  };
}

/**
 * Writes `after` over `before` when any column differs (as the ORM's change set would: an update
 * that changes nothing writes nothing and keeps the version). Returns the customer as stored, or
 * null when another writer changed the row since it was read (its version moved on).
 */
export async function updateCustomer(
  lane: WriteLane,
  em: EntityManager,
  read: CustomerForUpdate,
  after: Customer,
  keys: SearchKeys,
  now: Date,
): Promise<Customer | null> {
  const before = read.customer;
  const searchValues = searchColumnValues(keys);
  const same = EDITABLE_FIELDS.every((f) => canonicalJson(before[f]) === canonicalJson(after[f])) && searchValues.every((v, i) => v === read.searchValues[i]);
  if (same) return before;
  const { changes } = await lane.run(em, CUSTOMER_WRITES.update, [...editableValues(after), ...searchValues, now, read.rowId, before.version]);
  if (changes !== 1) return null;
  return { ...after, updatedAt: now, version: before.version + 1 };
}
