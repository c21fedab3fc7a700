import { z } from 'zod';
import { AuditEntrySchema } from './audit.js';
import { RoleSchema } from './auth.js';
import { EmailSchema, TimestampSchema } from './common.js';
import { CustomerSchema } from './customer.js';
import { EventSchema } from './events.js';

/**
 * Everything Carly holds about one person (GDPR art. 15): one section per kind of record. The
 * server fills it from its registry of every table that holds personal data.
 */
export const PersonalDataExportSchema = z
  .object({
    exportedAt: TimestampSchema,
    subject: z.object({ email: z.string(), customerId: z.string() }),
    customer: CustomerSchema,
    account: z
      .object({ id: z.string(), email: z.string(), role: RoleSchema, createdAt: TimestampSchema, passwordChangedAt: TimestampSchema })
      .nullable()
      .meta({ description: 'The sign-in account (never its password hash); null when the record has none' }),
    sessions: z.array(
      z.object({
        id: z.string(),
        createdAt: TimestampSchema,
        lastUsedAt: TimestampSchema,
        expiresAt: TimestampSchema,
        revokedAt: TimestampSchema.nullable(),
        ip: z.string().nullable(),
        userAgent: z.string().nullable(),
      }),
    ),
    passwordResets: z
      .array(z.object({ createdAt: TimestampSchema, expiresAt: TimestampSchema, usedAt: TimestampSchema.nullable() }))
      .meta({ description: 'Reset links mailed (never the tokens)' }),
    emailVerifications: z
      .array(z.object({ createdAt: TimestampSchema, expiresAt: TimestampSchema, usedAt: TimestampSchema.nullable() }))
      .meta({ description: 'Verification links mailed to claim the record (never the tokens)' }),
    throttleRecords: z
      .array(z.object({ kind: z.string().meta({ description: '`login`: a failed sign-in; `reset`: a reset request', example: 'login' }), at: TimestampSchema }))
      .meta({ description: 'Failed sign-ins and reset requests counted against this email by the rate limits' }),
    idempotencyRecords: z
      .array(z.object({ operation: z.string(), createdAt: TimestampSchema, expiresAt: TimestampSchema }))
      .meta({ description: 'Answers kept for the Idempotency-Keys this account sent (24 hours)' }),
    events: z.array(EventSchema).meta({ description: 'Change events about this customer' }),
    auditEntries: z.array(AuditEntrySchema).meta({ description: 'Audit entries where this person acted or was acted on' }),
  })
  .meta({ id: 'PersonalDataExport' });
export type PersonalDataExport = z.output<typeof PersonalDataExportSchema>;

export const EraseInput = z
  .strictObject({
    email: EmailSchema,
    confirm: EmailSchema.meta({ description: 'The email again: nothing is erased unless it matches' }),
  })
  .refine((i) => i.email === i.confirm, { path: ['confirm'], message: 'confirm must repeat the email being erased' })
  .meta({ id: 'Erase' });
export type EraseInput = z.input<typeof EraseInput>;

export const ErasedSchema = z
  .object({
    erased: z.literal(true),
    scrubPending: z.boolean().meta({
      description:
        'SQLite only: true when a reader kept the write-ahead log busy, so erased bytes remain in the -wal file until the checkpoint, ' +
        'retried in the background (and logged), finishes; false when no copy is left in the database files (always false on PostgreSQL)',
    }),
  })
  .meta({ id: 'Erased' });
export type Erased = z.output<typeof ErasedSchema>;
