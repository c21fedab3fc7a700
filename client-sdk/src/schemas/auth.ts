import { z } from 'zod';
import { EmailSchema, TimestampSchema, text } from './common.js';
import { CustomerCreateInput, CustomerSchema } from './customer.js';

export const PASSWORD_MIN_CHARS = 8;
export const PASSWORD_MAX_BYTES = 72;
const utf8 = new TextEncoder();

/**
 * A new password: 8+ characters and at most 72 UTF-8 bytes (bcrypt's limit; longer ones are
 * refused, never truncated). The server also refuses common passwords.
 */
export const NewPasswordSchema = text()
  .min(PASSWORD_MIN_CHARS, `Password must have at least ${PASSWORD_MIN_CHARS} characters`)
  .refine((p) => utf8.encode(p).length <= PASSWORD_MAX_BYTES, `Password must be at most ${PASSWORD_MAX_BYTES} bytes of UTF-8`)
  .meta({
    description: `At least ${PASSWORD_MIN_CHARS} characters, at most ${PASSWORD_MAX_BYTES} UTF-8 bytes, not a common password`,
    example: 'correct horse battery staple',
  });

/** A password being checked: bounded, but not held to the new-password rules. */
export const PasswordSchema = text().min(1).max(1024).meta({ example: 'correct horse battery staple' });

export const RoleSchema = z.enum(['admin', 'customer']);
export type Role = z.infer<typeof RoleSchema>;

export const UserSchema = z
  .object({
    id: z.string().meta({ example: '5f0c6a1e-3b7a-4c1e-9a51-6f2b8c1d2e3f' }),
    email: z.string().meta({ example: 'ada@example.com' }),
    role: RoleSchema,
    createdAt: TimestampSchema,
  })
  .meta({ id: 'User' });
export type User = z.output<typeof UserSchema>;

export const TokensSchema = z
  .object({
    accessToken: z.string().meta({ description: 'JWT to send as `Authorization: Bearer <accessToken>`' }),
    refreshToken: z.string().meta({ description: 'Opaque; spend it once at /auth/refresh for new tokens' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires', example: 900 }),
  })
  .meta({ id: 'Tokens' });
export type Tokens = z.output<typeof TokensSchema>;

export const SignupInput = CustomerCreateInput.extend({ password: NewPasswordSchema }).meta({ id: 'Signup' });
export type SignupInput = z.input<typeof SignupInput>;

export const LoginInput = z.strictObject({ email: EmailSchema, password: PasswordSchema }).meta({ id: 'Login' });
export type LoginInput = z.input<typeof LoginInput>;

export const RefreshInput = z.strictObject({ refreshToken: text().min(1).max(512) }).meta({ id: 'Refresh' });
export type RefreshInput = z.input<typeof RefreshInput>;

export const ChangePasswordInput = z.strictObject({ currentPassword: PasswordSchema, newPassword: NewPasswordSchema }).meta({ id: 'ChangePassword' });
export type ChangePasswordInput = z.input<typeof ChangePasswordInput>;

export const RequestResetInput = z.strictObject({ email: EmailSchema }).meta({ id: 'RequestPasswordReset' });
export type RequestResetInput = z.input<typeof RequestResetInput>;

export const ResetPasswordInput = z.strictObject({ token: text().min(1).max(512), newPassword: NewPasswordSchema }).meta({ id: 'ResetPassword' });
export type ResetPasswordInput = z.input<typeof ResetPasswordInput>;

export const VerifyEmailInput = z.strictObject({ token: text().min(1).max(512) }).meta({ id: 'VerifyEmail' });
export type VerifyEmailInput = z.input<typeof VerifyEmailInput>;

export const SessionIdInput = z.strictObject({ id: text().uuid() });
export type SessionIdInput = z.input<typeof SessionIdInput>;

export const AuthResultSchema = z.object({ user: UserSchema, tokens: TokensSchema }).meta({ id: 'LoginResult' });
export const SignupResultSchema = z
  .object({
    user: UserSchema,
    customer: CustomerSchema.nullable().meta({
      description: 'The new customer record; null when a record with this email already existed: the mailed verification link (POST /auth/verify) links it',
    }),
    tokens: TokensSchema,
  })
  .meta({ id: 'SignupResult' });
export const RefreshResultSchema = z.object({ tokens: TokensSchema }).meta({ id: 'RefreshResult' });
export const MeSchema = z
  .object({
    user: UserSchema,
    customer: CustomerSchema.nullable().meta({
      description: 'null for an admin without a customer record, and for an account whose claim of an existing record awaits email verification',
    }),
  })
  .meta({ id: 'Me' });
export const EmailVerifiedSchema = z
  .object({
    user: UserSchema,
    customer: CustomerSchema.nullable().meta({ description: 'The record now linked to the account; null if it was deleted before the address was confirmed' }),
  })
  .meta({ id: 'EmailVerified' });
export const OkSchema = z.object({ ok: z.literal(true) }).meta({ id: 'Ok' });
export const ResetRequestedSchema = z.object({ ok: z.literal(true), message: z.string() }).meta({ id: 'ResetRequested' });

export const SessionSchema = z
  .object({
    id: z.string(),
    createdAt: TimestampSchema,
    lastUsedAt: TimestampSchema,
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    current: z.boolean().meta({ description: 'True for the session this request was made with' }),
  })
  .meta({ id: 'Session' });
export type Session = z.output<typeof SessionSchema>;
export const SessionListSchema = z.object({ items: z.array(SessionSchema) }).meta({ id: 'SessionList' });
export type SignupData = z.output<typeof SignupInput>;
