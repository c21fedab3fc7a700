import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DeliveryOutcome } from './attempt-recorder.js';
import type { PostOutcome } from './http-sender.js';

/** What the metrics read from the delivery queue at each scrape. */
export interface QueueSource {
  queue(): Promise<{ depth: number; oldest: Date | null }>;
  now(): Date;
}

/**
 * Webhook delivery metrics. Created before the app's registry exists (the worker counts from its
 * start), registered into it by `registerWebhookMetrics`.
 */
export class WebhookMetrics {
  readonly deliveries = new Counter({
    name: 'carly_webhook_deliveries_total',
    help: 'Webhook attempts by outcome: delivered (2xx), retrying (failed, another attempt scheduled), failed (given up), interrupted (cut off by a shutdown or a dead instance)',
    labelNames: ['outcome'] as const,
    registers: [],
  });
  readonly attemptSeconds = new Histogram({
    name: 'carly_webhook_attempt_duration_seconds',
    help: 'Time from connecting to the complete answer of a webhook attempt, by result (2xx, 4xx, 5xx, error)',
    labelNames: ['result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
    registers: [],
  });

  recorded(outcome: DeliveryOutcome): void {
    this.deliveries.inc({ outcome });
  }

  posted(outcome: PostOutcome): void {
    if (outcome.kind === 'aborted') return;
    const result = outcome.kind === 'error' ? 'error' : `${Math.floor(outcome.status / 100)}xx`;
    this.attemptSeconds.observe({ result }, outcome.durationMs / 1000);
  }
}

/** Adds the webhook metrics, and the queue gauges read from the database at each scrape, to `registry`. */
export function registerWebhookMetrics(registry: Registry, metrics: WebhookMetrics, source: QueueSource): void {
  registry.registerMetric(metrics.deliveries);
  registry.registerMetric(metrics.attemptSeconds);
  // Both gauges come from one query per scrape.
  let reading: Promise<{ depth: number; oldest: Date | null }> | null = null;
  const read = () => {
    reading ??= source.queue().finally(() => setTimeout(() => (reading = null), 100).unref());
    return reading;
  };
  registry.registerMetric(
    new Gauge({
      name: 'carly_webhook_queue_depth',
      help: 'Deliveries waiting for an active webhook (due now or scheduled for a retry)',
      registers: [],
      async collect() {
        this.set((await read()).depth);
      },
    }),
  );
  registry.registerMetric(
    new Gauge({
      name: 'carly_webhook_oldest_pending_age_seconds',
      help: 'Age of the oldest delivery waiting for an active webhook (0 when none waits)',
      registers: [],
      async collect() {
        const { oldest } = await read();
        this.set(oldest ? Math.max(0, (source.now().getTime() - oldest.getTime()) / 1000) : 0);
      },
    }),
  );
}
