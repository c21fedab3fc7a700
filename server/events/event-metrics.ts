import { Counter, Gauge, Histogram, type Metric } from 'prom-client';
import type { EventType } from '../../client-sdk/src/schemas/events.js';

/** The event log's Prometheus metrics; registered by ops/metrics.ts with the rest. */
export class EventMetrics {
  readonly subscribers = new Gauge({
    name: 'carly_event_subscribers',
    help: 'Live customers.onChange subscriptions connected to this instance',
    registers: [],
  });
  readonly written = new Counter({
    name: 'carly_events_written_total',
    help: 'Change events committed by this instance, by type',
    labelNames: ['type'] as const,
    registers: [],
  });
  readonly deliveryLag = new Histogram({
    name: 'carly_event_delivery_lag_seconds',
    help: 'From an event being recorded (inside its transaction, just before commit) to its push to a subscriber',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    registers: [],
  });

  get all(): Metric[] {
    return [this.subscribers, this.written, this.deliveryLag];
  }

  recordWritten(types: readonly EventType[]): void {
    for (const type of types) this.written.inc({ type });
  }
}
