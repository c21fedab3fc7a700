import pg from 'pg';
import superjson from 'superjson';
import { expect } from 'vitest';
import { type CarlyError, createCarlyClient } from '../../client-sdk/src/index.js';
import type { Scope } from '../../client-sdk/src/schemas/api-keys.js';
import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import { rest, usingPostgres } from './server.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, or fails after `timeoutMs` (generous: the machine is shared). */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * PostgreSQL: waits until every transaction that began before now has ended, so every event
 * committed before now is visible to GET /events. Needed because the log shows an event only once
 * all older transactions have ended — cluster-wide (transaction ids are shared by all databases
 * of a server), so another test's open transaction delays it. SQLite: nothing to wait for.
 */
export async function visibilityBarrier(): Promise<void> {
  if (!usingPostgres()) return;
  const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    const snapshot = async () =>
      (
        await client.query<{ xmin: string; xmax: string }>(
          'select pg_snapshot_xmin(s)::text as xmin, pg_snapshot_xmax(s)::text as xmax from pg_current_snapshot() s',
        )
      ).rows[0]!;
    const started = BigInt((await snapshot()).xmax);
    const until = Date.now() + 60_000;
    while (BigInt((await snapshot()).xmin) < started && Date.now() < until) await sleep(50);
  } finally {
    await client.end();
  }
}

/** Every event after `after` through GET /events, all pages (everything committed before the call). */
export async function allEvents(base: string, headers: Record<string, string>, after?: string | null, query = ''): Promise<CarlyEvent[]> {
  await visibilityBarrier();
  const out: CarlyEvent[] = [];
  let cursor = after ?? null;
  for (;;) {
    const r = await rest(base, 'GET', `/events?limit=500${cursor ? `&after=${cursor}` : ''}${query}`, undefined, headers);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...(r.body.items as CarlyEvent[]));
    cursor = r.body.nextCursor;
    if (r.body.items.length < 500) return out;
  }
}

/** The id of the newest event now (where "from now on" starts), or null when the log is empty. */
export async function headOf(base: string, headers: Record<string, string>): Promise<string | null> {
  const events = await allEvents(base, headers);
  return events.length ? events[events.length - 1]!.id : null;
}

export async function createKey(base: string, admin: Record<string, string>, scopes: readonly Scope[]): Promise<string> {
  const r = await rest(base, 'POST', '/api-keys', { name: `events ${scopes.join(' ')}`, scopes }, admin);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.secret as string;
}

/** A live customers.onChange subscription through the SDK, collecting what it receives. */
export interface Subscriber {
  events: CarlyEvent[];
  errors: CarlyError[];
  starts: number;
  started: () => Promise<void>;
  stop: () => void;
}

export function subscribe(url: string, token: string, lastEventId?: string | null): Subscriber {
  const carly = createCarlyClient({ url, tokens: { accessToken: token, refreshToken: 'none' } });
  const s: Subscriber = {
    events: [],
    errors: [],
    starts: 0,
    started: () => waitFor('the subscription to start', () => s.starts > 0 || s.errors.length > 0),
    stop: () => {},
  };
  const sub = carly.customers.onChange(lastEventId ? { lastEventId } : {}, {
    onData: (e) => s.events.push(e),
    onError: (e) => s.errors.push(e),
    onStarted: () => s.starts++,
  });
  s.stop = () => sub.unsubscribe();
  return s;
}

/** One parsed Server-Sent Event. */
export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** A raw SSE request (what curl or a browser's EventSource does), parsing what arrives. */
export function openSse(url: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const messages: SseMessage[] = [];
  let status = 0;
  let buffer = '';
  const done = (async () => {
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    status = res.status;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const m: SseMessage = { event: 'message', data: '' };
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon <= 0) continue;
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') m.event = value;
          else if (field === 'data') m.data += value;
          else if (field === 'id') m.id = value;
        }
        if (block.trim()) messages.push(m);
      }
    }
  })().catch((err: unknown) => {
    if (!controller.signal.aborted) throw err;
  });
  return {
    messages,
    status: () => status,
    /** The change events received (superjson-decoded). */
    events: () => messages.filter((m) => m.event === 'message').map((m) => superjson.deserialize(JSON.parse(m.data)) as CarlyEvent),
    ended: done,
    close: () => controller.abort(),
  };
}

/** The SSE URL of customers.onChange, as tRPC's httpSubscriptionLink builds it. */
export function onChangeUrl(base: string, input?: Record<string, unknown>, connectionParams?: Record<string, string>): string {
  const params = new URLSearchParams();
  if (input) params.set('input', JSON.stringify(superjson.serialize(input)));
  if (connectionParams) params.set('connectionParams', JSON.stringify(connectionParams));
  const q = params.toString();
  return `${base}/trpc/customers.onChange${q ? `?${q}` : ''}`;
}
