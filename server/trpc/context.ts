import type { AuthService } from '../auth/auth.service.js';
import type { CustomersService } from '../customers/customers.service.js';

/** What the HTTP layer knows about the caller; filled by the adapter, never by a procedure. */
export interface RequestInfo {
  requestId: string;
  ip: string;
  userAgent: string | null;
  authorization: string | null;
}

/** The services a procedure may use, bound to this request's entity manager. */
export interface Services {
  customers: CustomersService;
  auth: AuthService;
}

/**
 * The inner context of a request. Kept a small hand-written interface (not inferred from Fastify)
 * so tests can build it without HTTP and the published router type stays light.
 * `makeServices` gives each procedure call its own services and entity manager: the calls of one
 * tRPC batch share this context but run concurrently, and one entity manager must never flush
 * twice at once. The base middleware puts the result in `ctx.services`; `authedProcedure` adds `ctx.user`.
 */
export interface Context {
  request: RequestInfo;
  makeServices: () => Services;
}
