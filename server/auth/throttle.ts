import type { EntityManager } from '@mikro-orm/core';
import type { Clock } from '../clock.js';
import { ThrottleEventEntity } from '../db/throttle-event.entity.js';
import { tooManyRequests } from '../errors.js';

export interface Limit {
  key: string;
  max: number;
  windowMs: number;
}

/**
 * Sliding-window limits on counted events, kept in the database so they hold across restarts
 * and across instances. `max` events in `windowMs`; the next attempt gets 429 with Retry-After
 * until the oldest of them leaves the window.
 */
export class Throttle {
  constructor(
    private readonly emOf: () => EntityManager,
    private readonly clock: Clock,
  ) {}

  private get em(): EntityManager {
    return this.emOf();
  }

  /** Throws 429 when any limit is already used up; otherwise the events counted under each key. */
  async check(limits: Limit[]): Promise<Map<string, number>> {
    const now = this.clock.now().getTime();
    const counted = new Map<string, number>();
    for (const limit of limits) {
      const since = new Date(now - limit.windowMs);
      const events = await this.em.find(
        ThrottleEventEntity,
        { key: limit.key, at: { $gt: since } },
        { orderBy: { at: 'desc' }, limit: limit.max, fields: ['at'] },
      );
      if (events.length >= limit.max) {
        const oldestCounted = events[events.length - 1]!.at.getTime();
        throw tooManyRequests('Too many attempts; retry later', (oldestCounted + limit.windowMs - now) / 1000);
      }
      counted.set(limit.key, events.length);
    }
    return counted;
  }

  /** Counts one event under each key. */
  async record(keys: string[]): Promise<void> {
    const at = this.clock.now();
    for (const key of keys) this.em.create(ThrottleEventEntity, { key, at });
    await this.em.flush();
  }

  async clear(key: string): Promise<void> {
    await this.em.nativeDelete(ThrottleEventEntity, { key });
  }
}
