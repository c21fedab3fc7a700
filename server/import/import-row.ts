import { z } from 'zod';
import { CustomerCreateInput } from '../../client-sdk/src/schemas/customer.js';
import { nameKeys } from '../customers/customer.mapper.js';
import { toFieldIssues } from '../field-issues.js';
import { canonicalJson } from '../idempotency/fingerprint.js';

/**
 * One row of a customer export: the API's create fields, optionally with the original createdAt,
 * an ISO 8601 timestamp with its zone (`2025-01-10T09:10:00Z`, `…+01:00`) or a date (`2025-01-10`,
 * midnight UTC). A timestamp without a zone is refused (whose local time?), and so are numbers and
 * booleans, which `new Date()` would happily turn into 1970; null or absent means "now".
 */
export const ImportRowSchema = CustomerCreateInput.extend({
  createdAt: z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], {
      error: 'Must be an ISO 8601 timestamp with a time zone (2025-01-10T09:10:00Z) or a date (2025-01-10)',
    })
    .transform((s) => new Date(s))
    .nullish(),
});
export type ImportRow = z.output<typeof ImportRowSchema>;

/**
 * A validated row as the columns it is written to, flattened into a plain array of strings,
 * numbers and nulls: cheap to pass between threads and to bind to a statement.
 *   email, firstName, lastName, firstNameKey, lastNameKey, phone, company,
 *   address (canonical JSON text or null), metadata (canonical JSON text), createdAt (epoch ms or null = "now"),
 *   carried (a bit per optional field the row carried: CARRIED below)
 */
export const ROW_WIDTH = 11;
export const Col = {
  email: 0,
  firstName: 1,
  lastName: 2,
  firstNameKey: 3,
  lastNameKey: 4,
  phone: 5,
  company: 6,
  address: 7,
  metadata: 8,
  createdAt: 9,
  carried: 10,
} as const;

/**
 * Which optional fields a row carried. For an existing customer a row replaces the fields it
 * carries and keeps the ones it omits (the contract); the schema's defaults alone cannot tell
 * "omitted" from "sent as null", so the raw element is looked at.
 */
export const CARRIED = { phone: 1, company: 2, address: 4, metadata: 8 } as const;

function carriedMask(value: unknown): number {
  let mask = 0;
  const raw = value as Record<string, unknown>;
  for (const [field, bit] of Object.entries(CARRIED)) if (raw[field] !== undefined) mask |= bit;
  return mask;
}

/** A run of consecutive array elements: the accepted ones flattened into `values`, the others in `rejected`. */
export interface RowSlice {
  /** ROW_WIDTH values per accepted row, in file order. */
  values: (string | number | null)[];
  rejected: RejectedRow[];
  /** Elements of the array this slice covers (accepted + rejected). */
  read: number;
}

export interface RejectedRow {
  index: number;
  email: string | null;
  reason: string;
}

/**
 * Validates one element with the API's schema; appends its columns to `out` and answers null,
 * or answers why it was refused.
 */
export function prepareRow(value: unknown, out: (string | number | null)[]): string | null {
  const parsed = ImportRowSchema.safeParse(value);
  if (!parsed.success) {
    return toFieldIssues(parsed.error.issues)
      .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      .join('; ');
  }
  const row = parsed.data;
  const keys = nameKeys(row.firstName, row.lastName);
  out.push(
    row.email,
    row.firstName,
    row.lastName,
    keys.firstNameKey,
    keys.lastNameKey,
    row.phone,
    row.company,
    // Canonical (keys sorted), as the writer compares them with the stored values: done here, on
    // the parser's thread, rather than on the event loop that writes the rows.
    row.address === null ? null : canonicalJson(row.address),
    canonicalJson(row.metadata),
    row.createdAt ? row.createdAt.getTime() : null,
    carriedMask(value),
  );
  return null;
}

/** The email of a refused element, when it has a string one (as sent, for the report). */
export function rawEmail(value: unknown): string | null {
  const email = value !== null && typeof value === 'object' ? (value as { email?: unknown }).email : undefined;
  return typeof email === 'string' ? email : null;
}
