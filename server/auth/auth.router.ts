import { ActivityInput, AuditPageSchema } from '../../client-sdk/src/schemas/audit.js';
import {
  AuthResultSchema,
  ChangePasswordInput,
  EmailVerifiedSchema,
  LoginInput,
  MeSchema,
  OkSchema,
  RefreshInput,
  RefreshResultSchema,
  RequestResetInput,
  ResetPasswordInput,
  ResetRequestedSchema,
  SessionIdInput,
  SessionListSchema,
  SignupInput,
  SignupResultSchema,
  VerifyEmailInput,
} from '../../client-sdk/src/schemas/auth.js';
import { personProcedure, publicProcedure, router } from '../trpc/init.js';

const tags = ['auth'];
const ok = { ok: true as const };

/** Thin wiring over AuthService; public routes say `protect: false` so the document shows no lock. */
export const authRouter = router({
  signup: publicProcedure
    .meta({
      returnsSecret: true,
      session: 'opens',
      openapi: {
        method: 'POST',
        path: '/auth/signup',
        tags,
        protect: false,
        summary: 'Create an account and its customer record',
        description:
          'One transaction: both or neither. If a customer record with this email already exists (imported, or created by an admin) ' +
          'the account starts with `customer: null` and a verification link is mailed: POST /auth/verify links the record, unchanged, once the address is proven. ' +
          'The account signs in meanwhile, but cannot read or change that record.',
        errorResponses: { 409: 'An account with this email exists', 429: 'Busy; retry later' },
      },
    })
    .input(SignupInput)
    .output(SignupResultSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.signup(input)),

  login: publicProcedure
    .meta({
      returnsSecret: true,
      session: 'opens',
      openapi: {
        method: 'POST',
        path: '/auth/login',
        tags,
        protect: false,
        summary: 'Sign in: tokens for a new session',
        description:
          'One 401 for an unknown email and a wrong password alike. At most 10 failures per account and 50 per address per 15 minutes; then 429 with Retry-After.',
        errorResponses: { 401: 'Invalid email or password', 429: 'Too many failed attempts' },
      },
    })
    .input(LoginInput)
    .output(AuthResultSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.login(input)),

  refresh: publicProcedure
    .meta({
      returnsSecret: true,
      session: 'opens',
      openapi: {
        method: 'POST',
        path: '/auth/refresh',
        tags,
        protect: false,
        summary: 'Spend a refresh token for new tokens',
        description: 'The refresh token is single-use. Presenting a spent one ends the whole session (401).',
        errorResponses: { 401: 'Invalid, spent or expired refresh token' },
      },
    })
    .input(RefreshInput)
    .output(RefreshResultSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.refresh(input.refreshToken)),

  logout: personProcedure
    .meta({ session: 'ends', openapi: { method: 'POST', path: '/auth/logout', tags, summary: 'End this session: its tokens stop working at once' } })
    .output(OkSchema)
    .mutation(({ ctx }) => ctx.services.auth.logout(ctx.user)),

  me: personProcedure
    .meta({ openapi: { method: 'GET', path: '/auth/me', tags, summary: 'The signed-in user and their customer record' } })
    .output(MeSchema)
    .query(({ ctx }) => ctx.services.auth.me(ctx.user)),

  changePassword: personProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/password',
        tags,
        summary: 'Change the password; ends every other session',
        errorResponses: { 429: 'Too many failed attempts' },
      },
    })
    .input(ChangePasswordInput)
    .output(OkSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.changePassword(ctx.user, input)),

  requestPasswordReset: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/reset',
        tags,
        protect: false,
        summary: 'Mail a password-reset link',
        description: 'The same answer whether or not the account exists. At most one mail per account per minute; the link is valid 30 minutes, once.',
        errorResponses: { 429: 'Too many reset requests' },
      },
    })
    .input(RequestResetInput)
    .output(ResetRequestedSchema)
    .mutation(async ({ ctx, input }) => ({ ok: true as const, message: await ctx.services.auth.requestPasswordReset(input.email) })),

  resetPassword: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/reset/confirm',
        tags,
        protect: false,
        summary: 'Set a new password with a reset token; ends every session',
        errorResponses: { 400: 'Invalid, used or expired token, or an unacceptable password', 429: 'Busy checking passwords; retry shortly' },
      },
    })
    .input(ResetPasswordInput)
    .output(OkSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.auth.resetPassword(input);
      return ok;
    }),

  verifyEmail: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/verify',
        tags,
        protect: false,
        summary: 'Confirm the address with the mailed token; links the claimed customer record',
        description: 'The token is single-use and valid 24 hours. The record is linked as it is; `customer` is null if it was deleted meanwhile.',
        errorResponses: { 400: 'Invalid, used or expired token' },
      },
    })
    .input(VerifyEmailInput)
    .output(EmailVerifiedSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.verifyEmail(input.token)),

  sessions: personProcedure
    .meta({ openapi: { method: 'GET', path: '/auth/sessions', tags, summary: "This account's live sessions" } })
    .output(SessionListSchema)
    .query(async ({ ctx }) => ({ items: await ctx.services.auth.listSessions(ctx.user) })),

  activity: personProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/auth/activity',
        tags,
        summary: 'Your own security history, newest first',
        description: "This account's audit entries: its sign-ups and logins, failed logins on its email, sessions ended, password changes and resets.",
      },
    })
    .input(ActivityInput)
    .output(AuditPageSchema)
    .query(({ ctx, input }) => ctx.services.audit.activity(ctx.user, input)),

  revokeSession: personProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/auth/sessions/{id}',
        tags,
        summary: 'End one of your sessions at once',
        errorResponses: { 404: 'No live session of yours has this id' },
      },
    })
    .input(SessionIdInput)
    .output(OkSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.revokeSession(ctx.user, input.id)),
});
