import type { ExportFormat } from '../../../client-sdk/src/schemas/bulk.js';
import type { Customer } from '../../../client-sdk/src/schemas/customer.js';

export { EXPORT_FORMATS, type ExportFormat } from '../../../client-sdk/src/schemas/bulk.js';

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** One customer as one NDJSON line: the REST shape (dates as ISO 8601 strings). */
export const ndjsonLine = (c: Customer): string => `${JSON.stringify(c)}\n`;

const ADDRESS_FIELDS = ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] as const;

/** The CSV columns: the Customer fields, `address` flattened to `address.*`, `metadata` one JSON column. */
export const CSV_HEADER = [
  'id',
  'email',
  'firstName',
  'lastName',
  'phone',
  'company',
  ...ADDRESS_FIELDS.map((f) => `address.${f}`),
  'metadata',
  'createdAt',
  'updatedAt',
  'version',
];

/**
 * Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (and a tab or carriage return
 * before one) as a formula: a customer could put `=HYPERLINK(…)` in their name and have it run on
 * the machine of whoever opens the export (OWASP "CSV injection"). Such a text cell gets a leading
 * `'`, which spreadsheets show as text; a program reading the CSV strips it (docs/api.md).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled). */
function field(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 lines end with CRLF. */
export const csvHeaderLine = (): string => `${CSV_HEADER.join(',')}\r\n`;

export function csvLine(c: Customer): string {
  const a = c.address;
  const cells: (string | number | null)[] = [
    c.id,
    c.email,
    c.firstName,
    c.lastName,
    c.phone,
    c.company,
    ...ADDRESS_FIELDS.map((f) => (a ? a[f] : null)),
    JSON.stringify(c.metadata),
    c.createdAt.toISOString(),
    c.updatedAt.toISOString(),
    c.version,
  ];
  return `${cells.map(field).join(',')}\r\n`;
}
