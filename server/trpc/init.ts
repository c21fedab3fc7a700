import { initTRPC, TRPCError } from '@trpc/server';
import type { ZodError } from 'zod';
import type { AuthUser } from '../auth/auth-user.js';
import { DomainError, forbidden } from '../errors.js';
import type { Context } from './context.js';
import type { ApiMeta } from './meta.js';
import { toFieldIssues } from './issues.js';
import { transformer } from './transformer.js';

const t = initTRPC
  .context<Context>()
  .meta<ApiMeta>()
  .create({
    // superjson, refusing __proto__-like keys that it would otherwise drop (transformer.ts).
    transformer,
    // Never ship stack traces to clients, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error }) {
      const cause = error.cause as (Error & { issues?: ZodError['issues'] }) | undefined;
      const isValidation = error.code === 'BAD_REQUEST' && cause?.name === 'ZodError';
      const retryAfter = cause instanceof DomainError ? cause.retryAfterSeconds : undefined;
      // An unexpected error's message may hold SQL or internals: the log has it, the client does not.
      const message = isValidation
        ? 'Input validation failed'
        : error.code === 'INTERNAL_SERVER_ERROR'
          ? 'Internal server error; quote the x-request-id header when reporting it'
          : shape.message;
      return {
        message,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          ...(isValidation && cause?.issues ? { issues: toFieldIssues(cause.issues) } : {}),
          ...(retryAfter ? { retryAfter } : {}),
        },
      };
    },
  });

/** Domain errors thrown by services become tRPC errors here, once, for both wires. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    // SERVICE_UNAVAILABLE exists in tRPC 11's codes; our ErrorCode is a subset of them.
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
/** Fresh services (and entity manager) for each procedure call, batched or not. */
const withServices = t.middleware(({ ctx, next }) => next({ ctx: { services: ctx.makeServices() } }));

/** Anyone may call it. */
export const publicProcedure = t.procedure.use(mapDomainErrors).use(withServices);
/** A signed-in user of a live session; `ctx.user` is set (401 otherwise). */
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const user = await ctx.services.auth.authenticate(ctx.request.authorization);
  return next({ ctx: { user } });
});
/** Admins only. */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw forbidden('Only an admin may do this');
  return next();
});

/**
 * The customer-self rule, used as `.input(schemaWithEmail).use(({ ctx, input, next }) =>
 * selfOrAdmin(ctx.user, input.email, next))`: an admin, or the customer whose email it is.
 * Anyone else gets 403, whether or not that email exists (the check runs before the handler).
 */
export function selfOrAdmin<R>(user: AuthUser, email: string, next: () => R): R {
  if (user.role !== 'admin' && user.email !== email) throw forbidden('You may only see and change your own customer record');
  // A record claimed at signup is not the account's own until the address is confirmed.
  if (user.role !== 'admin' && !user.hasCustomer) throw forbidden('Confirm your email address first: open the link in the mail sent at signup');
  return next();
}
