import { z } from 'zod';
import { ActorTypeSchema, queryLimit, TimestampSchema, text } from './common.js';

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;

/** An audit entry id: `aud_` and a number. */
export const AuditEntryIdSchema = text()
  .regex(/^aud_[1-9][0-9]{0,17}$/, 'Not an audit entry id (aud_…)')
  .meta({ description: 'An audit entry id, as received', example: 'aud_2051' });

/**
 * `[before, after]`. zod renders a tuple as JSON Schema 2020-12's `prefixItems` with `items: false`,
 * which tools built for OpenAPI 3.0 (Prism, several generators) read as "an array with no items":
 * the document says it the way every tool reads, an array of exactly 2 values of any type.
 */
const BeforeAfterSchema = z.tuple([z.unknown(), z.unknown()]).meta({
  description: '`[before, after]`: the value before the change and after it',
  override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
    delete jsonSchema.prefixItems;
    jsonSchema.items = {};
  },
});

export const AuditEntrySchema = z
  .object({
    id: z.string().meta({ example: 'aud_2051' }),
    at: TimestampSchema,
    actor: z
      .object({
        type: ActorTypeSchema,
        id: z.string().nullable().meta({ description: 'The account, API key or system job; null when nobody was signed in (a failed login, a reset request)' }),
        email: z.string().nullable().meta({ description: "The signed-in person's email; null for API keys and the system" }),
      })
      .meta({ id: 'AuditActor' }),
    action: z.string().meta({ description: 'What happened, e.g. `auth.login`, `customer.updated`, `customer.erased`', example: 'customer.updated' }),
    target: z
      .object({ type: z.string().meta({ example: 'customer' }), id: z.string().meta({ example: 'cus_9c1d0e2f3a4b5c6d7e8f9a0b' }) })
      .nullable()
      .meta({ id: 'AuditTarget' }),
    outcome: z.enum(AUDIT_OUTCOMES).meta({ description: '`failure`: refused (a wrong password); `denied`: not allowed or suppressed by a rule' }),
    changes: z
      .record(z.string(), BeforeAfterSchema)
      .nullable()
      .meta({
        description: '`{ field: [before, after] }` of the fields that changed; never a password, hash, token or secret',
        example: { company: [null, 'Analytical Engines Ltd'] },
      }),
    details: z
      .record(z.string(), z.union([z.string(), z.number(), z.null()]))
      .nullable()
      .meta({
        description:
          'What a bulk act did; null for other acts. `customers.exported`: `{ query, format, rows, bytes, complete }` (`complete` 1, or 0 when the client went away first); ' +
          '`customers.imported`: `{ importId, read, inserted, updated, unchanged, rejected, complete }` (`complete` 0 when the body ended early: the counts are what was committed)',
        example: { query: 'country:GB', format: 'ndjson', rows: 1200, bytes: 412345, complete: 1 },
      }),
    requestId: z.string().nullable().meta({ description: 'The `x-request-id` of the request that did it' }),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.output<typeof AuditEntrySchema>;

export const AuditPageSchema = z
  .object({
    items: z.array(AuditEntrySchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
  })
  .meta({ id: 'AuditPage' });
export type AuditPage = z.output<typeof AuditPageSchema>;

const limit = queryLimit(200, 50);
/** A point in time in a query string (ISO 8601), or a `Date` through the SDK. */
const instant = z.coerce.date<Date | string>().meta({ type: 'string', format: 'date-time', example: '2027-01-01T00:00:00.000Z' });
const cursor = AuditEntryIdSchema.optional().meta({ description: 'The nextCursor of the previous page' });

export const AuditListInput = z
  .strictObject({
    cursor,
    limit,
    actor: text().trim().min(1).max(254).optional().meta({
      description: "Who acted: an account id, an API key id, a system job, or a person's email (anything with an @)",
      example: 'key_3f9a1c0d8e7b6a5f4e3d2c1b',
    }),
    target: text()
      .trim()
      .min(1)
      .max(254)
      .optional()
      .meta({ description: 'What was acted on: its id (`cus_…`, an account id, `key_…`)', example: 'cus_9c1d0e2f3a4b5c6d7e8f9a0b' }),
    action: text()
      .regex(/^[A-Za-z][A-Za-z0-9.]{0,63}\*?$/, 'An action name such as customer.updated, or a prefix ending in * such as auth.*')
      .optional()
      .meta({ description: 'An action, or a prefix ending in `*` (`auth.*`)', example: 'auth.*' }),
    since: instant.optional().meta({ description: 'Entries at or after this time (ISO 8601)' }),
    until: instant.optional().meta({ description: 'Entries before this time (ISO 8601)' }),
  })
  .meta({ id: 'AuditListQuery' });
export type AuditListInput = z.input<typeof AuditListInput>;
export type AuditListQuery = z.output<typeof AuditListInput>;

export const ActivityInput = z.strictObject({ cursor, limit }).meta({ id: 'ActivityQuery' });
export type ActivityInput = z.input<typeof ActivityInput>;
export type ActivityQuery = z.output<typeof ActivityInput>;
