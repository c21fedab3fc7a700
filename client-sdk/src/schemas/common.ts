import { z } from 'zod';

/**
 * Text without NUL characters: PostgreSQL cannot store them and bcrypt stops reading at one,
 * so they are refused everywhere (400) rather than failing later.
 */
export const text = () => z.string().refine((s) => !s.includes('\u0000'), 'Must not contain NUL characters');

/** Emails are compared and stored trimmed and lower-cased, everywhere. */
export const EmailSchema = z
  .string()
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
