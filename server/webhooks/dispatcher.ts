import type { FastifyBaseLogger } from 'fastify';
import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import type { Clock } from '../clock.js';
import type { AttemptRecorder } from './attempt-recorder.js';
import type { ActiveWebhook, ClaimedDelivery, DeliveryStore } from './delivery-store.js';
import type { ClaimedAtInsert } from './fan-out.js';
import type { PostOutcome, WebhookSender } from './http-sender.js';
import { webhookBody } from './payload.js';
import type { SecretBox } from './secret-box.js';
import { signatureHeader } from './signature.js';

/**
 * Attempts on the wire at once per webhook, on each instance: a slow or hung receiver fills its
 * own slots and no one else's.
 */
export const IN_FLIGHT_PER_WEBHOOK = 16;
/** Attempts on the wire at once on each instance, over all webhooks. */
export const IN_FLIGHT_TOTAL = 256;

export interface DispatcherDeps {
  store: DeliveryStore;
  sender: WebhookSender;
  recorder: AttemptRecorder;
  box: SecretBox;
  clock: Clock;
  leaseMs: number;
  log: FastifyBaseLogger;
  /** Each finished POST: its outcome and how long it took. */
  onPosted: (outcome: PostOutcome) => void;
  /** A slot freed up: claim again. */
  onSlotFreed: () => void;
}

interface Secrets {
  secretEnc: string;
  previousSecretEnc: string | null;
  current: string;
  previous: string | null;
}

/**
 * Claims due deliveries and POSTs them, outside any transaction, with a bounded number in flight
 * per webhook. Each claim counts the attempt and leases the row; the result is written by the
 * recorder, and only then is the slot given back (so unrecorded results never pile up).
 */
export class Dispatcher {
  private readonly inFlight = new Map<string, Set<AbortController>>();
  private total = 0;
  private readonly secrets = new Map<string, Secrets>();
  private readonly posts = new Set<Promise<void>>();

  constructor(private readonly deps: DispatcherDeps) {}

  get inFlightCount(): number {
    return this.total;
  }

  /** One round: claim what is due for the webhooks with room, and start sending it. */
  async tick(): Promise<number> {
    const total = IN_FLIGHT_TOTAL - this.total;
    if (total <= 0) return 0;
    let hooks = new Map((await this.deps.store.activeWebhooks()).map((h) => [h.id, h]));
    if (!hooks.size) return 0;
    const now = this.deps.clock.now();
    const room = (id: string) => (hooks.has(id) ? IN_FLIGHT_PER_WEBHOOK - (this.inFlight.get(id)?.size ?? 0) : 0);
    const full = [...this.inFlight.keys()].filter((id) => room(id) <= 0);
    const claimed = await this.deps.store.claim(now, new Date(now.getTime() + this.deps.leaseMs), total, full, room);
    if (!claimed.length) return 0;
    // A webhook re-enabled between the two reads: read them again rather than sit on its rows.
    if (claimed.some((c) => !hooks.has(c.webhookId))) hooks = new Map((await this.deps.store.activeWebhooks()).map((h) => [h.id, h]));
    const rowIds = claimed.flatMap((c) => (c.eventRow ? [c.eventRow] : []));
    const events = rowIds.length ? await this.deps.store.events(rowIds) : new Map<string, CarlyEvent>();
    for (const delivery of claimed) {
      // Each claimed row takes its slot at once: the room of the next round depends on it.
      const slot = this.reserve(delivery.webhookId);
      const hook = hooks.get(delivery.webhookId);
      if (hook) this.start(hook, delivery, slot, events, now);
      else this.release(delivery.webhookId, slot); // deleted in between: its lease runs out harmlessly
    }
    return claimed.length;
  }

  /** A slot for one attempt of this webhook if it (and the instance) has room now; the fan-out claims with it. */
  tryReserve(webhookId: string): AbortController | null {
    if (this.total >= IN_FLIGHT_TOTAL || (this.inFlight.get(webhookId)?.size ?? 0) >= IN_FLIGHT_PER_WEBHOOK) return null;
    return this.reserve(webhookId);
  }

  /** Gives back a slot whose attempt never started. */
  cancel(webhookId: string, slot: AbortController): void {
    this.release(webhookId, slot);
  }

  /** Sends a first attempt the fan-out claimed when it created the delivery. */
  launch(c: ClaimedAtInsert): void {
    this.start(c.hook, c.delivery, c.slot, new Map([[c.delivery.eventRow!, c.event]]), this.deps.clock.now());
  }

  private reserve(webhookId: string): AbortController {
    const controller = new AbortController();
    let set = this.inFlight.get(webhookId);
    if (!set) this.inFlight.set(webhookId, (set = new Set()));
    set.add(controller);
    this.total++;
    return controller;
  }

  private release(webhookId: string, controller: AbortController): void {
    const set = this.inFlight.get(webhookId);
    if (set?.delete(controller)) this.total--;
    if (set && !set.size) this.inFlight.delete(webhookId);
    this.deps.onSlotFreed();
  }

  /** A slot is an AbortController: aborting it cuts the attempt off. */
  private start(hook: ActiveWebhook, delivery: ClaimedDelivery, controller: AbortController, events: Map<string, CarlyEvent>, now: Date): void {
    const { recorder } = this.deps;
    const base = { webhookId: hook.id, deliveryId: delivery.id, eventId: delivery.eventId, attempt: delivery.attempt };
    if (delivery.interruptedLeaseUntil) {
      // The attempt before this one was claimed but never recorded: say so in the history.
      void recorder.record({
        ...base,
        kind: 'interrupted',
        attempt: delivery.attempt - 1,
        startedAt: new Date(delivery.interruptedLeaseUntil.getTime() - this.deps.leaseMs),
      });
    }
    const event = delivery.eventRow ? events.get(delivery.eventRow) : undefined;
    const body = delivery.payload ?? (event ? webhookBody(event) : null);
    let work: Promise<void>;
    if (body === null) {
      work = recorder.record({ ...base, kind: 'eventMissing', startedAt: now });
    } else {
      // The attempt's own time: receivers compare it with their clock (5-minute tolerance).
      const timestamp = Math.floor(Date.now() / 1000);
      const startedAt = this.deps.clock.now();
      let secrets: string[] | null = null;
      try {
        secrets = this.secretsOf(hook);
      } catch {
        // Sealed under another server secret (JWT_SECRET changed, or instances disagree on it).
      }
      const headers = secrets && {
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(delivery.eventId, timestamp, body, secrets),
      };
      const posting: Promise<PostOutcome> = headers
        ? this.deps.sender.post(hook.url, headers, body, controller.signal)
        : Promise.resolve({ kind: 'error', error: 'the signing secret cannot be decrypted: do all instances share JWT_SECRET?', durationMs: 0 });
      work = posting.then((outcome) => {
        this.deps.onPosted(outcome);
        return recorder.record({ ...base, kind: 'posted', outcome, startedAt });
      });
    }
    const tracked: Promise<void> = work
      .catch((err: unknown) => this.deps.log.error({ err }, 'webhooks: attempt failed unexpectedly'))
      .finally(() => {
        this.posts.delete(tracked);
        this.release(hook.id, controller);
      });
    this.posts.add(tracked);
  }

  /** The secrets that sign for this webhook now: the current one, and the previous one for 24 h after a rotation. */
  private secretsOf(hook: ActiveWebhook): string[] {
    let cached = this.secrets.get(hook.id);
    if (!cached || cached.secretEnc !== hook.secretEnc || cached.previousSecretEnc !== hook.previousSecretEnc) {
      cached = {
        secretEnc: hook.secretEnc,
        previousSecretEnc: hook.previousSecretEnc,
        current: this.deps.box.open(hook.secretEnc, hook.id),
        previous: hook.previousSecretEnc ? this.deps.box.open(hook.previousSecretEnc, hook.id) : null,
      };
      this.secrets.set(hook.id, cached);
    }
    const previousLive = cached.previous && hook.previousSecretExpiresAt && hook.previousSecretExpiresAt > this.deps.clock.now();
    return previousLive ? [cached.current, cached.previous!] : [cached.current];
  }

  /** Cuts off this webhook's attempts on the wire (it was deleted). */
  abortWebhook(webhookId: string): void {
    for (const c of this.inFlight.get(webhookId) ?? []) c.abort();
    this.secrets.delete(webhookId);
  }

  /** Waits up to `graceMs` for attempts on the wire, then cuts off the rest; resolves when all are recorded. */
  async drain(graceMs: number): Promise<void> {
    const all = () => Promise.all([...this.posts]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const first = await Promise.race([all().then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      for (const set of this.inFlight.values()) for (const c of set) c.abort();
      await all();
    }
  }
}
