import { initTRPC, TRPCError } from '@trpc/server';
import type { z } from 'zod';
import type { Scope } from '../../client-sdk/src/schemas/api-keys.js';
import type { AuthUser } from '../auth/auth-user.js';
import { toContractError } from '../contract-error.js';
import { DomainError } from '../errors.js';
import { actorOfCaller, type Caller, type RequestIdentity } from '../identity/identity.js';
import { type Access, admit, ownRecord } from './access.js';
import type { Context } from './context.js';
import { runIdempotently } from './idempotency.js';
import type { ApiMeta } from './meta.js';
import { transformer } from './transformer.js';

// ---- initialisation ---------------------------------------------------------------------------

/**
 * Live streams (SSE): a ping every 10 s keeps proxies and the server's 60 s idle-socket timeout
 * from closing a quiet stream, and tells the client it is alive (it reconnects after 25 s of
 * silence); every stream ends after 10 minutes and the client reconnects from its last event,
 * so credentials are re-read and load spreads over instances. tRPC ≥ 11.12 ends the response at
 * maxDurationMs (trpc#7094).
 */
export const SSE_OPTIONS = {
  ping: { enabled: true, intervalMs: 10_000 },
  maxDurationMs: 10 * 60_000,
  client: { reconnectAfterInactivityMs: 25_000 },
};

const t = initTRPC
  .context<Context>()
  .meta<ApiMeta>()
  .create({
    // superjson, refusing __proto__-like keys that it would otherwise drop (transformer.ts).
    transformer,
    // Never ship stack traces to clients, whatever NODE_ENV says.
    isDev: false,
    // Subscriptions over SSE (customers.onChange): see docs/events.md and SSE_OPTIONS.
    sse: SSE_OPTIONS,
    // The same mapping REST uses: one error, one status, one body on both wires.
    errorFormatter({ shape, error }) {
      const mapped = toContractError(error);
      return {
        message: mapped.body.message,
        code: shape.code,
        data: {
          code: mapped.body.code,
          httpStatus: mapped.status,
          path: shape.data.path,
          ...(mapped.body.issues ? { issues: mapped.body.issues } : {}),
          ...(mapped.retryAfterSeconds ? { retryAfter: mapped.retryAfterSeconds } : {}),
        },
      };
    },
  });

export const router = t.router;
/** In-process callers (tests, scripts): `createCallerFactory(appRouter)(ctx)`. */
export const createCallerFactory = t.createCallerFactory;

type Result = { ok: true } | { ok: false; error: TRPCError };

/** Domain errors thrown by services and middlewares become tRPC errors here, once, for both wires. */
async function mapDomainErrors<R extends Result>(run: () => Promise<R>): Promise<R> {
  let result: R;
  try {
    result = await run();
  } catch (err) {
    if (err instanceof DomainError) throw new TRPCError({ code: err.code, message: err.message, cause: err });
    throw err;
  }
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
}

/**
 * Runs one call's own work: in its trace span when tracing is on (server/tracing/; off, this is
 * one property check), with domain errors mapped.
 */
function runCall<R extends Result>(opts: { ctx: Context; path: string; type: string }, work: () => Promise<R>): Promise<R> {
  return opts.ctx.trace ? opts.ctx.trace.procedure(opts.path, opts.type, () => mapDomainErrors(work)) : mapDomainErrors(work);
}

// ---- procedures: who may call, then the call itself -------------------------------------------

const anonymous = (ctx: Context): RequestIdentity => ({
  actor: null,
  actorEmail: null,
  requestId: ctx.request.requestId,
  ip: ctx.request.ip,
  userAgent: ctx.request.userAgent,
});

const identityOf = (ctx: Context, caller: Caller): RequestIdentity => ({ ...anonymous(ctx), ...actorOfCaller(caller) });

/**
 * A builder for one access rule: authenticates the bearer credential (JWT or API key), admits the
 * caller by the rule (401/403 before anything runs), then runs the call under its
 * Idempotency-Key, with services acting as that caller. ONE middleware (tracing and error mapping
 * included): tRPC copies its options and the context at every middleware, so fewer is cheaper.
 * `ctx.caller` is set; `ctx.user` is the person (`U`: always set for rules that admit persons only).
 */
function guarded<U extends AuthUser | undefined>(access: Access) {
  return t.procedure.meta({ access }).use((opts) =>
    runCall(opts, async () => {
      const caller = await opts.ctx.authenticate();
      const user = admit(caller, access) as U;
      return runIdempotently(opts, caller, identityOf(opts.ctx, caller), (services) => opts.next({ ctx: { caller, user, services } }));
    }),
  );
}

/** Anyone may call it; an Idempotency-Key is refused (keys belong to a caller). */
export const publicProcedure = t.procedure
  .meta({ access: { level: 'public' } })
  .use((opts) => runCall(opts, () => runIdempotently(opts, null, anonymous(opts.ctx), (services) => opts.next({ ctx: { services } }))));
/** A signed-in person of either role; `ctx.user` is set. API keys get 403. */
export const personProcedure = guarded<AuthUser>({ level: 'person' });
/** A signed-in admin; API keys get 403 (no key may manage API keys). */
export const adminProcedure = guarded<AuthUser>({ level: 'admin' });
/** An admin, or an API key with `scope` (403 naming the scope otherwise). */
export const staffProcedure = (scope: Scope) => guarded<AuthUser | undefined>({ level: 'staff', scope });
/** An admin, an API key with `scope`, or a customer (a procedure that filters by caller itself, as `customers.onChange`). */
export const recordProcedure = (scope: Scope) => guarded<AuthUser | undefined>({ level: 'self', scope });

/**
 * `recordProcedure` for a call on one customer record named by `input.email`: the input is parsed,
 * then the own-record rule runs (a customer only on their own, confirmed record; 403 otherwise)
 * before the resolver, so no resolver can forget it.
 */
export const ownRecordProcedure = <I extends z.ZodType<{ email: string }>>(scope: Scope, input: I) =>
  recordProcedure(scope)
    .input(input)
    .use(({ ctx, input: parsed, next }) => ownRecord(ctx.caller, (parsed as { email: string }).email, next));
