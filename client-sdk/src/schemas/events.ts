import { z } from 'zod';
import { ActorSchema, TimestampSchema, text } from './common.js';

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
    data: z
      .record(z.string(), z.number())
      .nullable()
      .meta({ description: '`customers.imported`: `{ read, inserted, updated, rejected }`; null otherwise' }),
  })
  .meta({ id: 'Event' });
export type CarlyEvent = z.output<typeof EventSchema>;
