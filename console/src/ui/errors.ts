import { type FieldIssue, toCarlyError } from '@carly/client';

/** An API failure in words a person can act on (the server's own message is already a sentence). */
export function describeError(err: unknown): string {
  const e = toCarlyError(err);
  switch (e.code) {
    case 'NETWORK_ERROR':
      return 'The server could not be reached. Check the connection and try again.';
    case 'UNAUTHORIZED':
      return 'Your session has ended. Sign in again.';
    case 'FORBIDDEN':
      return `You are not allowed to do this. ${e.message}`;
    case 'TOO_MANY_REQUESTS':
      return `Too many attempts. ${e.retryAfter ? `Try again in ${e.retryAfter} seconds.` : 'Wait a moment and try again.'}`;
    case 'INTERNAL_SERVER_ERROR':
      return `Something went wrong on the server.${e.requestId ? ` Quote request ${e.requestId} when reporting it.` : ''}`;
    case 'BAD_REQUEST':
      return e.issues.length ? `${e.message}: ${e.issues.map((i) => `${i.path || 'input'}: ${i.message}`).join('; ')}` : e.message;
    default:
      return e.message;
  }
}

export function issuesOf(err: unknown): readonly FieldIssue[] {
  return toCarlyError(err).issues;
}

export const isConflict = (err: unknown) => toCarlyError(err).code === 'CONFLICT';
