import type { Scope } from '../../client-sdk/src/schemas/api-keys.js';
import type { Actor } from '../../client-sdk/src/schemas/common.js';
import type { AuthUser } from '../auth/auth-user.js';

/** An API key that checked out: live, unexpired, with these scopes. */
export interface ApiKeyCaller {
  id: string;
  name: string;
  scopes: readonly Scope[];
}

/** Who sent a request, once its bearer credential checked out: a person's session or an API key. */
export type Caller = { kind: 'user'; user: AuthUser } | { kind: 'apiKey'; apiKey: ApiKeyCaller };

/**
 * The one request identity every later step reads (events, audit entries, idempotency records):
 * who acted, and the request it came in. `actor` is null until the caller is known (a login in
 * progress); services that learn who acted (sign-up, login) name the actor themselves.
 */
export interface RequestIdentity {
  actor: Actor | null;
  /** The caller's email, for audit entries; null for API keys and the system. */
  actorEmail: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export const actorOfCaller = (caller: Caller): { actor: Actor; actorEmail: string | null } =>
  caller.kind === 'user'
    ? { actor: { type: 'user', id: caller.user.id }, actorEmail: caller.user.email }
    : { actor: { type: 'apiKey', id: caller.apiKey.id }, actorEmail: null };

/** The identity of work the server does on its own (imports, housekeeping). */
export const systemIdentity = (job: string): RequestIdentity => ({
  actor: { type: 'system', id: job },
  actorEmail: null,
  requestId: null,
  ip: null,
  userAgent: null,
});

/** Idempotency records, rate limits and the like are kept per caller under this key. */
export const callerScopeKey = (caller: Caller): string => (caller.kind === 'user' ? `user:${caller.user.id}` : `apiKey:${caller.apiKey.id}`);
