import type { TRPCError } from '@trpc/server';
import type { ErrorCode } from '../../client-sdk/src/schemas/common.js';
import { badRequest, DomainError } from '../errors.js';
import { requestFingerprint } from '../idempotency/fingerprint.js';
import { parseIdempotencyKey } from '../idempotency/idempotency-key.js';
import { type Caller, callerScopeKey, type RequestIdentity } from '../identity/identity.js';
import type { Context, Services } from './context.js';
import { answerWithout } from './internals.js';
import type { ApiMeta } from './meta.js';

/** Answers the operation itself gave: a retry with the same key gets them again. */
const STORED_ERRORS = new Set<ErrorCode>(['NOT_FOUND', 'CONFLICT', 'PRECONDITION_FAILED', 'UNPROCESSABLE_CONTENT']);

type Result = { ok: true; data: unknown } | { ok: false; error: TRPCError };

interface CallInfo {
  ctx: Context;
  meta: ApiMeta | undefined;
  path: string;
  type: string;
  getRawInput: () => Promise<unknown>;
}

const errorCode = (error: TRPCError): ErrorCode => (error.cause instanceof DomainError ? error.cause.code : (error.code as ErrorCode));

/**
 * Runs one procedure call under its `Idempotency-Key`, per the contract:
 * - no key, or not a mutation: just runs;
 * - refused with 400: a key on an operation whose answer holds a secret, from a caller who is
 *   not signed in (keys belong to a caller), or on a tRPC batch of several calls;
 * - first use: claims the key (a unique row), runs, and the answer is stored in the same
 *   transaction as the change (services record it) — errors the operation gave (404, 409, ...)
 *   in their own; answers given before it ran (400, 401, 403, 429) and crashes free the key;
 * - a retry: the stored answer with `Idempotent-Replayed: true`, nothing runs; another input or
 *   operation → 422; still running → 409 with Retry-After (IdempotencyStore.begin).
 */
export async function runIdempotently<R>(
  call: CallInfo,
  caller: Caller | null,
  identity: RequestIdentity,
  run: (services: Services) => Promise<R>,
): Promise<R> {
  const header = call.ctx.request.idempotencyKey;
  if (header === null || call.type !== 'mutation') return run(call.ctx.makeServices(identity));
  if (call.meta?.returnsSecret) throw badRequest('This operation returns a secret, so it does not take an Idempotency-Key');
  if (!caller) throw badRequest('Idempotency-Key needs a signed-in caller or an API key: keys belong to the caller that sends them');
  if (call.ctx.request.calls > 1) throw badRequest('A tRPC batch of several calls cannot carry an Idempotency-Key; send keyed calls one per request');
  const key = parseIdempotencyKey(header);
  const fingerprint = requestFingerprint(call.path, await call.getRawInput());
  const outcome = await call.ctx.idempotency.begin(callerScopeKey(caller), key, call.path, fingerprint);
  if (outcome.kind === 'replay') {
    call.ctx.responseHeaders['idempotent-replayed'] = 'true';
    const answer = outcome.answer;
    if (!answer.ok) throw new DomainError(answer.code, answer.message);
    return answerWithout<R>(answer.value);
  }
  const claim = outcome.claim;
  let result: Result;
  try {
    result = (await run(call.ctx.makeServices(identity, claim))) as Result;
  } catch (err) {
    await claim.release();
    throw err;
  }
  if (result.ok) {
    // Services store the answer inside the change's transaction; an operation that wrote nothing,
    // or whose output differs from what its write returned, is stored here.
    if (!claim.recorded(result.data)) await claim.store({ ok: true, value: result.data });
  } else {
    const code = errorCode(result.error);
    if (STORED_ERRORS.has(code)) await claim.store({ ok: false, code, message: result.error.message });
    else await claim.release();
  }
  return result as R;
}
