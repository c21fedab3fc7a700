import { TRPCError, tracked } from '@trpc/server';
import { ChangeSubscriptionInput, EventListInput, EventPageSchema } from '../../client-sdk/src/schemas/events.js';
import { DomainError } from '../errors.js';
import { recordProcedure, router, staffProcedure } from '../trpc/init.js';
import { CredentialChecks } from './credential-checks.js';

const tags = ['events'];

/**
 * While it has events to push, a live stream re-checks its credential at most this often; streams
 * holding the same credential share one check (credential-checks.ts).
 */
export const RECHECK_MS = 5_000;
const checks = new CredentialChecks(RECHECK_MS);

/**
 * Errors thrown while a stream runs never pass the procedure's middlewares (they ended when the
 * generator was returned), so domain errors become tRPC errors here: 412 must reach the client as
 * PRECONDITION_FAILED (it stops), not as a 500 (it would reconnect forever).
 */
const asTRPCError = (err: unknown) =>
  err instanceof DomainError ? new TRPCError({ code: err.code as TRPCError['code'], message: err.message, cause: err }) : err;

export const eventsRouter = router({
  list: staffProcedure('events:read')
    .meta({
      openapi: {
        method: 'GET',
        path: '/events',
        tags,
        summary: 'Change events in commit order, a page at a time',
        description:
          'Events strictly after `after`, oldest first, in the order their changes committed (on PostgreSQL an event is listed only once every transaction that began before it has ended, so none is ever skipped). ' +
          'Poll with the `nextCursor` of each answer as the next `after`: the log keeps growing, so there is no last page; a page with no events keeps your place (`nextCursor` is the `after` you sent, or a newer event the `types` filter skipped). ' +
          'Events are kept 30 days (the newest one always): a cursor whose event was purged answers 412 PRECONDITION_FAILED; resync from GET /customers, then poll from the newest event.',
        errorResponses: { 400: 'Invalid cursor, limit or type', 412: 'The cursor is older than the event log keeps: resync' },
      },
    })
    .input(EventListInput)
    .output(EventPageSchema)
    .query(({ ctx, input }) => ctx.services.events.list(input)),
});

/** `customers.onChange` (tRPC only, over SSE): see docs/events.md. */
export const onChange = recordProcedure('events:read')
  .input(ChangeSubscriptionInput)
  .subscription(({ ctx, input, signal }) => {
    const credential = ctx.request.authorization ?? '';
    return ctx.services.events.changes({
      caller: ctx.caller,
      lastEventId: input?.lastEventId ?? null,
      signal: signal ?? new AbortController().signal,
      // A revoked API key, an ended session or an expired access token ends the stream (401):
      // the SDK refreshes its token and reconnects from the last event it received.
      beforeBatch: () => checks.check(credential, ctx.authenticate),
      present: (event) => tracked(event.id, event),
      asError: asTRPCError,
    });
  });
