import { grantsScope, SCOPE_IMPLIES, type Scope } from '../../client-sdk/src/schemas/api-keys.js';
import type { AuthUser } from '../auth/auth-user.js';
import { forbidden } from '../errors.js';
import type { Caller } from '../identity/identity.js';

/**
 * Who may call a procedure, declared once by its builder (trpc/init.ts) and written into the
 * OpenAPI document from the same meta:
 * - `public`: anyone;
 * - `person`: a signed-in person of either role (not an API key);
 * - `admin`: a signed-in admin (not an API key: no key may manage API keys);
 * - `staff`: an admin, or an API key holding `scope`;
 * - `self`: like `staff`, and also a customer acting on their own record (the route checks the
 *   record with `ownRecord` once its input is parsed).
 */
export type Access = { level: 'public' } | { level: 'person' } | { level: 'admin' } | { level: 'staff'; scope: Scope } | { level: 'self'; scope: Scope };

/** Refuses a caller the rule does not admit (403, naming a missing scope); returns the person, if one. */
export function admit(caller: Caller, access: Access): AuthUser | undefined {
  if (caller.kind === 'apiKey') {
    if (access.level === 'person' || access.level === 'admin') {
      throw forbidden('API keys cannot call this operation; it needs a signed-in person');
    }
    if (access.level !== 'public' && !grantsScope(caller.apiKey.scopes, access.scope)) {
      throw forbidden(`This API key lacks the scope ${access.scope}`);
    }
    return undefined;
  }
  const user = caller.user;
  if (user.role !== 'admin' && (access.level === 'admin' || access.level === 'staff')) throw forbidden('Only an admin may do this');
  return user;
}

/**
 * The customer-self rule, once a `self` route's input is parsed: a customer may only act on the
 * record with its own email. Anyone else gets 403 whether or not that email exists (the check
 * runs before the handler). Admins and API keys passed `admit` already.
 */
export function ownRecord<R>(caller: Caller, email: string, next: () => R): R {
  if (caller.kind === 'user' && caller.user.role !== 'admin') {
    if (caller.user.email !== email) throw forbidden('You may only see and change your own customer record');
    // A record claimed at sign-up is not the account's own until the address is confirmed.
    if (!caller.user.hasCustomer) throw forbidden('Confirm your email address first: open the link in the mail sent at signup');
  }
  return next();
}

/** One sentence for the OpenAPI description of who may call. */
export function describeAccess(access: Access): string {
  switch (access.level) {
    case 'public':
      return 'Anyone may call this.';
    case 'person':
      return 'A signed-in person (access token); API keys cannot call this.';
    case 'admin':
      return 'An admin (access token); API keys cannot call this.';
    case 'staff':
      return `An admin, or an API key with scope ${scopeWords(access.scope)}.`;
    case 'self':
      return `An admin, an API key with scope ${scopeWords(access.scope)}, or the customer whose record it is.`;
  }
}

/** `customers:read` (or `customers:write`, which implies it): the scopes that admit a key. */
function scopeWords(scope: Scope): string {
  const implying = (Object.keys(SCOPE_IMPLIES) as Scope[]).filter((s) => SCOPE_IMPLIES[s].includes(scope));
  return `\`${scope}\`${implying.length ? ` (or ${implying.map((s) => `\`${s}\``).join(', ')}, which implies it)` : ''}`;
}
