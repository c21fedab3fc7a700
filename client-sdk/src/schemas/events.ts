import { z } from 'zod';
import { ActorSchema, queryLimit, TimestampSchema, text } from './common.js';

export const EVENT_TYPES = ['customer.created', 'customer.updated', 'customer.deleted', 'customer.erased', 'customers.imported'] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES).meta({ id: 'EventType' });
export type EventType = z.infer<typeof EventTypeSchema>;

/** An event id: `evt_` and a number. Opaque to callers beyond "pass it back as a cursor". */
export const EventIdSchema = text()
  .regex(/^evt_[1-9][0-9]{0,17}$/, 'Not an event id (evt_…)')
  .meta({ description: 'An event id, as received', example: 'evt_1042' });

export const EventSchema = z
  .object({
    id: z.string().meta({ example: 'evt_1042' }),
    type: EventTypeSchema,
    occurredAt: TimestampSchema,
    customer: z
      .object({
        id: z.string(),
        email: z.string().nullable().meta({ description: 'null on `customer.erased`' }),
        version: z.number().int().nullable().meta({ description: 'The version after the change; null on `customer.erased`' }),
      })
      .nullable()
      .meta({ description: 'The customer changed; null for `customers.imported`' }),
    changed: z.array(z.string()).meta({ description: 'Names of the fields whose values changed (all fields on create)', example: ['company'] }),
    actor: ActorSchema,
    requestId: z.string().nullable(),
    data: z.record(z.string(), z.number()).nullable().meta({
      description:
        '`customers.imported`: `{ read, inserted, updated, unchanged, rejected, complete }` (`complete` 0 when the import stopped early: the counts are what committed); null otherwise',
    }),
  })
  .meta({ id: 'Event' });
export type CarlyEvent = z.output<typeof EventSchema>;

/** `types` on REST: comma-separated event types (`customer.created,customer.deleted`); each must be known. */
const EventTypesList = text()
  .max(1000)
  .superRefine((value, ctx) => {
    for (const type of value.split(',').map((t) => t.trim())) {
      if (!(EVENT_TYPES as readonly string[]).includes(type)) {
        ctx.addIssue({ code: 'custom', message: `Unknown event type "${type}"; known: ${EVENT_TYPES.join(', ')}` });
      }
    }
  })
  .transform((value) => [...new Set(value.split(',').map((t) => t.trim()))] as EventType[])
  .meta({ description: `Comma-separated event types to return (default: all): ${EVENT_TYPES.join(', ')}`, example: 'customer.created,customer.deleted' });

export const EventListInput = z
  .strictObject({
    after: EventIdSchema.optional().meta({
      description: "Return events after this one (an event id, usually the previous answer's nextCursor); omit to start at the oldest event kept",
    }),
    limit: queryLimit(500, 100),
    types: EventTypesList.optional(),
  })
  .meta({ id: 'EventListQuery' });
export type EventListInput = z.input<typeof EventListInput>;
export type EventListQuery = z.output<typeof EventListInput>;

export const EventPageSchema = z
  .object({
    items: z.array(EventSchema),
    nextCursor: z.string().nullable().meta({
      description:
        'Where to continue: pass it as `after` next time. The log keeps growing, so it is never "the end": when this page has no events, it is the `after` you sent (or a newer event the `types` filter skipped), so polling with it keeps your place. null only while the log is empty.',
      example: 'evt_1042',
    }),
  })
  .meta({ id: 'EventPage' });
export type EventPage = z.output<typeof EventPageSchema>;

/** `customers.onChange` input: resume after this event (the SSE `Last-Event-Id` header works too). */
export const ChangeSubscriptionInput = z
  .strictObject({
    lastEventId: EventIdSchema.nullish().meta({ description: 'Resume after this event; omit to receive only events from now on' }),
  })
  .optional();
export type ChangeSubscriptionInput = z.input<typeof ChangeSubscriptionInput>;
