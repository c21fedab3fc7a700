import { z } from 'zod';

/** A lone surrogate: a high one not followed by a low one, or a low one without a high one before it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;

/** True when `s` is well-formed UTF-16 (String.prototype.isWellFormed, which older browsers lack). */
export const isWellFormedText = (s: string) => !LONE_SURROGATE.test(s);

/**
 * Every text input: well-formed Unicode without NUL characters, or 400. A lone surrogate cannot
 * be stored as sent (UTF-8 has no encoding for it, so it came back as U+FFFD); PostgreSQL cannot
 * store NUL and bcrypt stops reading at one. Refused everywhere rather than altered later.
 */
export const text = () =>
  z
    .string()
    .refine((s) => !s.includes('\u0000'), 'Must not contain NUL characters')
    .refine(isWellFormedText, 'Must be well-formed Unicode (no lone surrogates)');

/**
 * A whole number from a query string: decimal digits only (`0x10`, `1e2`, ` 5 `, `+5` are
 * refused, where Number() would take them); a number as is (tRPC).
 */
export const queryInt = (min: number, max: number) =>
  // Typed as taking a number: that is what SDK callers send; REST's query strings arrive as text.
  z.preprocess<unknown, z.ZodNumber, number>(
    (v: unknown) => (typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : v),
    z
      .number({ error: (issue) => (issue.code === 'invalid_type' ? 'Must be a whole number in decimal digits' : undefined) })
      .int()
      .min(min)
      .max(max),
  );

/**
 * THE `limit` of every list (customers, events, audit, activity, deliveries, search): one strict
 * integer parser for all of them, so none accepts `0x10`, `1e2`, `+5`, `" 5 "` or `5.0` (z.coerce
 * did, through Number()).
 */
export const queryLimit = (max: number, fallback: number) =>
  queryInt(1, max)
    .default(fallback)
    .meta({ description: `Page size, 1-${max}, in decimal digits`, override: { default: fallback } });

/**
 * Keys JavaScript treats specially: `__proto__` is dropped by JSON-to-object copies (so a key that
 * was acknowledged would not be stored), and superjson refuses all three on the tRPC wire. Refused
 * as keys of every map, on both wires.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Emails are compared and stored trimmed and lower-cased, everywhere. */
export const EmailSchema = text()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Invalid email address' }))
  .meta({ description: 'Email address, stored trimmed and lower-cased', example: 'ada@example.com' });

/** A timestamp: a `Date` through the SDK (superjson), an ISO 8601 string on REST. */
export const TimestampSchema = z.date().meta({
  type: 'string',
  format: 'date-time',
  example: '2026-01-15T09:30:00.000Z',
});

/**
 * A point in time as input: an ISO 8601 date-time with its offset on REST (`2027-01-01T00:00:00Z`),
 * or a `Date` through the SDK (superjson).
 */
export const InstantInput = z
  .union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))])
  .meta({ type: 'string', format: 'date-time', example: '2027-01-01T00:00:00.000Z' });

/** One bad field of an invalid input. */
export const FieldIssueSchema = z.object({
  path: z.string().meta({ description: 'Dotted path of the field', example: 'address.country' }),
  message: z.string(),
});

export const ErrorCodeSchema = z.enum([
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_SUPPORTED',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'UNSUPPORTED_MEDIA_TYPE',
  'UNPROCESSABLE_CONTENT',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_REQUESTS',
  'INTERNAL_SERVER_ERROR',
  'SERVICE_UNAVAILABLE',
]);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

/** Every error body on REST: `{ code, message, issues? }`. */
export const ErrorBodySchema = z
  .object({
    code: ErrorCodeSchema,
    message: z.string(),
    issues: z.array(FieldIssueSchema).optional(),
  })
  .meta({ id: 'Error', description: 'Every error answer has this shape' });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Who did something: a person's account, an API key, or the server itself (imports, housekeeping). */
export const ActorTypeSchema = z.enum(['user', 'apiKey', 'system']);
export type ActorType = z.infer<typeof ActorTypeSchema>;

export const ActorSchema = z
  .object({
    type: ActorTypeSchema,
    id: z.string().meta({ description: 'The account id, the API key id, or the system job (`import`, `housekeeping`)' }),
  })
  .meta({ id: 'Actor' });
export type Actor = z.output<typeof ActorSchema>;
