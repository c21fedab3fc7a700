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
  'UNSUPPORTED_MEDIA_TYPE',
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
