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
 * The inner context every procedure gets. Kept a small hand-written interface (not inferred from
 * Fastify) so tests can build it without HTTP and the published router type stays light.
 * `user` is added by the auth middleware of `authedProcedure`.
 */
export interface Context {
  request: RequestInfo;
  services: Services;
}
