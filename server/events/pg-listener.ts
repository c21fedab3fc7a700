import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import { EVENTS_CHANNEL } from './event-rows.js';

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 10_000;

export interface EventsListener {
  /** Whether the LISTEN connection is up (diagnostics, tests). */
  readonly connected: boolean;
  stop(): Promise<void>;
}

/**
 * PostgreSQL only: one dedicated connection per instance (outside the ORM's pool, so it never
 * holds a pooled connection and never sits behind a transaction-pooling proxy) runs
 * `LISTEN carly_events`; every commit that wrote events (on any instance) notifies it, and it
 * calls `onNotify`. A wake-up only: the log stays the truth, so when the connection drops the
 * readers' own poll covers the gap while it reconnects, with backoff (100 ms doubling to 10 s).
 * On each (re)connect it calls `onNotify` too, for whatever committed while it was away.
 */
export function listenForEvents(url: string, onNotify: () => void, log: FastifyBaseLogger): EventsListener {
  let client: pg.Client | null = null;
  let stopped = false;
  let retryMs = FIRST_RETRY_MS;
  let timer: NodeJS.Timeout | undefined;

  const retry = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  };

  const lost = (c: pg.Client, err?: Error) => {
    if (client !== c) return;
    client = null;
    if (!stopped) log.warn({ err: err?.message }, 'the events LISTEN connection dropped; reconnecting (readers poll meanwhile)');
    c.end().catch(() => {});
    retry();
  };

  async function connect() {
    if (stopped) return;
    // Loaded here, on PostgreSQL only: a server on SQLite never loads `pg` (docs/performance.md, "Idle memory").
    const { default: driver } = await import('pg');
    if (stopped) return;
    const c = new driver.Client({ application_name: 'carly-events-listener', connectionString: url });
    c.on('notification', () => onNotify());
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${EVENTS_CHANNEL}`);
      if (stopped) {
        await c.end();
        return;
      }
      client = c;
      retryMs = FIRST_RETRY_MS;
      onNotify();
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not LISTEN for events; retrying (readers poll meanwhile)');
      c.removeAllListeners('end');
      c.end().catch(() => {});
      retry();
    }
  }

  void connect();
  return {
    get connected() {
      return client !== null;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}
