import { EntitySchema } from '@mikro-orm/core';

/**
 * One counted event (a failed login, a reset request) under a throttle key such as
 * `login:account:<email>`. In the database, so limits hold across restarts and instances.
 */
export class ThrottleEventEntity {
  id!: number;
  key!: string;
  at!: Date;
}

export const ThrottleEventSchema = new EntitySchema<ThrottleEventEntity>({
  class: ThrottleEventEntity,
  tableName: 'throttle_events',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    key: { type: 'string', length: 300 },
    at: { type: 'Date' },
  },
  indexes: [{ name: 'throttle_events_key_at_index', properties: ['key', 'at'] }],
});
