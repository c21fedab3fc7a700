import type { ApiKeysService } from '../api-keys/api-keys.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthService } from '../auth/auth.service.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { AnswerRecorder } from '../db/write-transaction.js';
import type { EventsService } from '../events/events.service.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import type { Caller, RequestIdentity } from '../identity/identity.js';
import type { RequestInfo } from '../identity/request-info.js';
import type { PrivacyService } from '../privacy/privacy.service.js';
import type { CustomerSearch } from '../search/customer-search.js';
import type { ProcedureTracer } from '../tracing/types.js';
import type { WebhooksService } from '../webhooks/webhooks.service.js';

/** The services a procedure may use, bound to one call's entity manager and identity. */
export interface Services {
  customers: CustomersService;
  search: CustomerSearch;
  auth: AuthService;
  apiKeys: ApiKeysService;
  webhooks: WebhooksService;
  audit: AuditService;
  privacy: PrivacyService;
  events: EventsService;
}

/**
 * The inner context of a request. Kept a small hand-written interface (not inferred from Fastify)
 * so tests can build it without HTTP and the published router type stays light.
 *
 * - `authenticate` turns the request's bearer credential (a JWT or an API key) into the caller.
 * - `makeServices` gives each procedure call its own services and entity manager, acting as
 *   `identity` and recording the answer of its Idempotency-Key claim (if any) in the change's
 *   transaction: the calls of one tRPC batch share this context but run concurrently, and one
 *   entity manager must never flush twice at once.
 * - `responseHeaders`: headers a procedure adds to the answer (Idempotent-Replayed); both wires send them.
 */
export interface Context {
  request: RequestInfo;
  responseHeaders: Record<string, string>;
  authenticate: () => Promise<Caller>;
  idempotency: IdempotencyStore;
  makeServices: (identity: RequestIdentity, answer?: AnswerRecorder) => Services;
  /** Set only when tracing is on (server/tracing/): each procedure call then runs in its own span. */
  trace?: ProcedureTracer;
}
