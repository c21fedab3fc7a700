import type { EntityManager } from '@mikro-orm/knex';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { runInBackground } from '../db/background-work.js';
import { type WriteTransactionDeps, WriteTransactions } from '../db/write-transaction.js';
import { ChangeSignal } from '../events/change-signal.js';
import { systemIdentity } from '../identity/identity.js';
import { AttemptRecorder } from './attempt-recorder.js';
import { DeliveryStore } from './delivery-store.js';
import { Dispatcher } from './dispatcher.js';
import { FanOut, type FanOutClaimer } from './fan-out.js';
import { WebhookSender } from './http-sender.js';
import type { SecretBox } from './secret-box.js';
import { WebhookMetrics } from './webhook-metrics.js';

/** Both loops also look every second, whatever woke them or not (other instances' commits, retries coming due). */
/** How stale the "any active webhook?" answer may be (another instance's new webhook). */
const ACTIVE_CHECK_MS = 1000;
const POLL_MS = 1000;

export interface WebhookWorkerDeps {
  em: () => EntityManager;
  clock: Clock;
  postgres: boolean;
  config: Config['webhooks'];
  box: SecretBox;
  /** Fired after every local commit that wrote events. */
  changes: ChangeSignal;
  writeDeps: WriteTransactionDeps;
  log: FastifyBaseLogger;
  userAgent: string;
}

/**
 * Webhook delivery on this instance: the fan-out loop (events → delivery rows; woken by each
 * commit that wrote events) and the dispatch loop (due rows → POSTs; woken by new rows and freed
 * slots). Every instance runs both; the database keeps them from doing anything twice.
 */
export class WebhookWorker {
  readonly metrics = new WebhookMetrics();
  private readonly due = new ChangeSignal();
  private readonly stopping = new AbortController();
  private readonly store: DeliveryStore;
  private readonly fanOut: FanOut;
  private readonly sender: WebhookSender;
  private readonly recorder: AttemptRecorder;
  private readonly dispatcher: Dispatcher;
  private loops: Promise<void>[] = [];
  private readonly claimer: FanOutClaimer;

  constructor(private readonly deps: WebhookWorkerDeps) {
    this.store = new DeliveryStore(deps.em, deps.postgres);
    this.fanOut = new FanOut(deps.em, deps.clock, deps.postgres);
    this.sender = new WebhookSender({ allowPrivateNetworks: deps.config.allowPrivateNetworks, timeoutMs: deps.config.timeoutMs, userAgent: deps.userAgent });
    this.recorder = new AttemptRecorder({
      writes: new WriteTransactions(deps.em, systemIdentity('webhooks'), deps.writeDeps),
      clock: deps.clock,
      postgres: deps.postgres,
      retryDelaysSeconds: deps.config.retryDelaysSeconds,
      log: deps.log,
      onRecorded: (outcome) => this.metrics.recorded(outcome),
    });
    this.dispatcher = new Dispatcher({
      store: this.store,
      sender: this.sender,
      recorder: this.recorder,
      box: deps.box,
      clock: deps.clock,
      leaseMs: deps.config.leaseMs,
      log: deps.log,
      onPosted: (outcome) => this.metrics.posted(outcome),
      onSlotFreed: () => this.due.notify(),
    });
    this.claimer = {
      reserve: (id) => (this.stopping.signal.aborted ? null : this.dispatcher.tryReserve(id)),
      cancel: (id, slot) => this.dispatcher.cancel(id, slot),
      leaseUntil: (now) => new Date(now.getTime() + deps.config.leaseMs),
    };
  }

  async start(): Promise<void> {
    // Said at every start, so a development setting that reached production shows in its logs.
    if (this.deps.config.allowPrivateNetworks) {
      this.deps.log.warn(
        { setting: 'WEBHOOK_ALLOW_PRIVATE_NETWORKS' },
        'webhooks: WEBHOOK_ALLOW_PRIVATE_NETWORKS=true turns the SSRF guard off: webhooks may reach loopback, private and link-local addresses (tests and development only)',
      );
    }
    await runInBackground(() => this.fanOut.ensurePosition());
    this.loops = [runInBackground(() => this.fanOutLoop()), runInBackground(() => this.dispatchLoop())];
  }

  /** Deliveries may be due (a test message was queued, a webhook re-enabled), or webhooks changed. */
  wake(): void {
    this.activeCheckedAt = 0;
    this.due.notify();
  }

  /** A webhook was deleted: cut off its attempts on the wire here. */
  forget(webhookId: string): void {
    this.dispatcher.abortWebhook(webhookId);
  }

  queue(): Promise<{ depth: number; oldest: Date | null }> {
    return runInBackground(() => this.store.queue());
  }

  /**
   * Stops claiming, gives attempts on the wire up to `graceMs` to finish, cuts off the rest
   * (recorded as interrupted and due again at once), and writes every result before resolving.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping.abort();
    // A loop stuck in a database call that never returns (the database is gone) must not hold
    // the shutdown: wait for the loops at most the grace.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.loops), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    await runInBackground(() => this.dispatcher.drain(graceMs));
    this.recorder.stop();
    await this.recorder.flush();
    this.sender.close();
  }

  /** Whether any webhook is active, asked at most once a second (and again after a local change). */
  private activeCheckedAt = 0;
  private anyActive = true;
  private async hasActiveWebhooks(): Promise<boolean> {
    const now = Date.now();
    if (now - this.activeCheckedAt >= ACTIVE_CHECK_MS) {
      this.anyActive = await runInBackground(() => this.store.anyActiveWebhook());
      this.activeCheckedAt = now;
    }
    return this.anyActive;
  }

  private async fanOutLoop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      // Registered before reading, so a commit during the pass still wakes the next one.
      const wait = this.deps.changes.next(POLL_MS, signal);
      try {
        // With no active webhook there is nothing to fan out: a webhook receives only events
        // after its creation, so the position may stay behind and catch up when one appears
        // (skipping the pass spares every commit a transaction on the single SQLite connection).
        if (!(await this.hasActiveWebhooks())) {
          await wait.promise;
          continue;
        }
        let pass;
        do {
          pass = await this.fanOut.pass(this.claimer);
          for (const claimed of pass.claimed) this.dispatcher.launch(claimed);
          // Rows it could not claim (webhooks without room here) are for the dispatch loop.
          if (pass.queued > pass.claimed.length) this.due.notify();
        } while (pass.full && !signal.aborted);
      } catch (err) {
        if (!signal.aborted) this.deps.log.error({ err }, 'webhooks: fan-out failed; trying again');
      }
      await wait.promise;
    }
  }

  private async dispatchLoop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      const wait = this.due.next(POLL_MS, signal);
      try {
        await this.dispatcher.tick();
      } catch (err) {
        if (!signal.aborted) this.deps.log.error({ err }, 'webhooks: claiming deliveries failed; trying again');
      }
      await wait.promise;
    }
  }
}
