import { newCustomerId } from '../customers/customer.mapper.js';
import { canonicalJson } from '../idempotency/fingerprint.js';
import { CARRIED, Col, ROW_WIDTH } from './import-row.js';

type Value = string | number | null;

/** A customer as the import compares and writes it: address and metadata as canonical JSON text. */
export interface CustomerState {
  publicId: string;
  email: string;
  firstName: string;
  lastName: string;
  firstNameKey: string;
  lastNameKey: string;
  phone: string | null;
  company: string | null;
  address: string | null;
  metadata: string;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  version: number;
  /** Not in the database before this batch: written with an INSERT. */
  isNew: boolean;
  /** Changed by this batch: written at its end. */
  dirty: boolean;
}

/** A customer row as either dialect returns it (see loadState). */
export interface StoredCustomerRow {
  public_id: string;
  email: string;
  first_name: string;
  last_name: string;
  first_name_key: string;
  last_name_key: string;
  phone: string | null;
  company: string | null;
  address: unknown;
  metadata: unknown;
  created_at: number | string | Date;
  updated_at: number | string | Date;
  version: number;
}

/** One row's event, in file order. */
export interface ImportEvent {
  type: 'customer.created' | 'customer.updated';
  customerId: string;
  email: string;
  version: number;
  changed: string[];
}

export interface SliceCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** JSON text from the database (SQLite) or a parsed value (PostgreSQL's jsonb), as canonical text. */
const canonical = (v: unknown): string | null =>
  v === null || v === undefined ? null : v === '{}' ? '{}' : canonicalJson(typeof v === 'string' ? JSON.parse(v) : v);

export function stateFromRow(row: StoredCustomerRow): CustomerState {
  return {
    publicId: row.public_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    firstNameKey: row.first_name_key,
    lastNameKey: row.last_name_key,
    phone: row.phone,
    company: row.company,
    address: canonical(row.address),
    metadata: canonical(row.metadata) ?? '{}',
    createdAt: new Date(row.created_at).getTime(),
    updatedAt: new Date(row.updated_at).getTime(),
    version: Number(row.version),
    isNew: false,
    dirty: false,
  };
}

/** The fields an event names as `changed`, in the order the API uses (customers/customer.mapper.ts EDITABLE_FIELDS). */
const COMPARED = ['firstName', 'lastName', 'phone', 'company', 'address', 'metadata'] as const;

/**
 * Applies a slice's rows, in order, to `states` (the customers they name, as stored or as an
 * earlier row of this batch left them) and answers the events to record. A row replaces the
 * fields it carries and keeps those it omits; a row that changes nothing records nothing.
 * An existing customer keeps its createdAt whatever the row says.
 */
export function applySlice(values: readonly Value[], states: Map<string, CustomerState>, now: number, events: ImportEvent[]): SliceCounts {
  const counts: SliceCounts = { inserted: 0, updated: 0, unchanged: 0 };
  for (let o = 0; o < values.length; o += ROW_WIDTH) {
    const email = values[o + Col.email] as string;
    const carried = values[o + Col.carried] as number;
    // Canonical JSON text already (import-row.ts prepareRow).
    const address = values[o + Col.address] as string | null;
    const metadata = values[o + Col.metadata] as string;
    const state = states.get(email);
    if (!state) {
      const created = values[o + Col.createdAt];
      const fresh: CustomerState = {
        publicId: newCustomerId(),
        email,
        firstName: values[o + Col.firstName] as string,
        lastName: values[o + Col.lastName] as string,
        firstNameKey: values[o + Col.firstNameKey] as string,
        lastNameKey: values[o + Col.lastNameKey] as string,
        phone: values[o + Col.phone] as string | null,
        company: values[o + Col.company] as string | null,
        address,
        metadata,
        createdAt: created === null ? now : (created as number),
        updatedAt: now,
        version: 1,
        isNew: true,
        dirty: true,
      };
      states.set(email, fresh);
      counts.inserted++;
      const changed = ['email', 'firstName', 'lastName'];
      if (fresh.phone !== null) changed.push('phone');
      if (fresh.company !== null) changed.push('company');
      if (fresh.address !== null) changed.push('address');
      if (fresh.metadata !== '{}') changed.push('metadata');
      events.push({ type: 'customer.created', customerId: fresh.publicId, email, version: 1, changed });
      continue;
    }
    const next: Pick<CustomerState, (typeof COMPARED)[number]> = {
      firstName: values[o + Col.firstName] as string,
      lastName: values[o + Col.lastName] as string,
      phone: carried & CARRIED.phone ? (values[o + Col.phone] as string | null) : state.phone,
      company: carried & CARRIED.company ? (values[o + Col.company] as string | null) : state.company,
      address: carried & CARRIED.address ? address : state.address,
      metadata: carried & CARRIED.metadata ? metadata : state.metadata,
    };
    const changed = COMPARED.filter((field) => next[field] !== state[field]);
    if (changed.length === 0) {
      counts.unchanged++;
      continue;
    }
    Object.assign(state, next, {
      firstNameKey: values[o + Col.firstNameKey] as string,
      lastNameKey: values[o + Col.lastNameKey] as string,
      updatedAt: now,
      version: state.version + 1,
      dirty: true,
    });
    counts.updated++;
    events.push({ type: 'customer.updated', customerId: state.publicId, email, version: state.version, changed });
  }
  return counts;
}

/** The distinct emails of a slice's rows. */
export function emailsOf(values: readonly Value[]): string[] {
  const out = new Set<string>();
  for (let o = 0; o < values.length; o += ROW_WIDTH) out.add(values[o + Col.email] as string);
  return [...out];
}
