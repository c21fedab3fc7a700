import { randomBytes } from 'node:crypto';
import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import type { CustomerEntity } from '../db/customer.entity.js';
import { canonicalJson } from '../idempotency/fingerprint.js';

/** The public shape of a customer; the row id never leaves the server (the public id does). */
export const toCustomer = (e: CustomerEntity): Customer => ({
  id: e.publicId,
  email: e.email,
  firstName: e.firstName,
  lastName: e.lastName,
  phone: e.phone,
  company: e.company,
  address: e.address,
  metadata: e.metadata,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  version: e.version,
});

/** A customers row as the database returns it, on either dialect. */
export interface CustomerRow {
  id: number | string;
  public_id: string;
  email: string;
  first_name: string;
  last_name: string;
  last_name_key: string;
  phone: string | null;
  company: string | null;
  /** JSON text on SQLite, already parsed on PostgreSQL. */
  address: string | Customer['address'];
  metadata: string | Record<string, string>;
  /** Epoch milliseconds on SQLite, a Date on PostgreSQL. */
  created_at: number | Date;
  updated_at: number | Date;
  version: number;
}

/** The columns `customerFromRow` reads. */
export const CUSTOMER_COLUMNS = [
  'id',
  'public_id',
  'email',
  'first_name',
  'last_name',
  'last_name_key',
  'phone',
  'company',
  'address',
  'metadata',
  'created_at',
  'updated_at',
  'version',
];

const parsed = <T>(v: string | T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** The public shape of a customer from a raw row (the read lanes and list pages skip the ORM). */
export const customerFromRow = (row: Omit<CustomerRow, 'id' | 'last_name_key'>): Customer => ({
  id: row.public_id,
  email: row.email,
  firstName: row.first_name,
  lastName: row.last_name,
  phone: row.phone,
  company: row.company,
  address: row.address === null ? null : parsed(row.address),
  metadata: parsed(row.metadata),
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
  version: row.version,
});

/** The lower-cased keys that search and the lastName sort use. */
export const nameKeys = (firstName: string, lastName: string) => ({
  firstNameKey: firstName.toLowerCase(),
  lastNameKey: lastName.toLowerCase(),
});

/**
 * A new customer's public id: `cus_`, the creation time in milliseconds (12 hex digits) and 48
 * random bits (12 hex digits). Time first, so new ids land at the right edge of the unique
 * index instead of a random page (an import of a million rows touches far fewer pages); the
 * random part keeps ids unguessable and unique across instances.
 */
export const newCustomerId = () => `cus_${Date.now().toString(16).padStart(12, '0')}${randomHex6()}`;

/** 6 random bytes as hex, from a pool refilled 4 KiB at a time: an import makes millions of ids, and one randomBytes call per id showed as a tenth of its CPU. */
let pool = Buffer.alloc(0);
let used = 0;
function randomHex6(): string {
  if (used + 6 > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += 6;
  return pool.toString('hex', used - 6, used);
}

/** The fields a person edits; what events name as `changed` and audit entries diff. */
export const EDITABLE_FIELDS = ['email', 'firstName', 'lastName', 'phone', 'company', 'address', 'metadata'] as const;
type Editable = (typeof EDITABLE_FIELDS)[number];

/** `{ field: [before, after] }` for each editable field whose value differs. */
export function changedFields(before: Customer, after: Customer): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const field of EDITABLE_FIELDS) {
    if (canonicalJson(before[field]) !== canonicalJson(after[field])) out[field] = [before[field], after[field]];
  }
  return out;
}

/** `{ field: [null, value] }` for each editable field a new customer has a value in. */
export function creationChanges(customer: Customer): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const field of EDITABLE_FIELDS) {
    const value: Customer[Editable] = customer[field];
    const empty = value === null || (field === 'metadata' && Object.keys(value as object).length === 0);
    if (!empty) out[field] = [null, value];
  }
  return out;
}
