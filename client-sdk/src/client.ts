import {
  createTRPCClientProxy,
  createTRPCUntypedClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
  type TRPCLink,
} from '@trpc/client';
import type { AnyTRPCProcedure, inferProcedureInput, inferProcedureOutput } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import { EventSource, type FetchLike } from 'eventsource';
import superjson from 'superjson';
import { type BulkCallOptions, type BulkExport, type BulkExportInput, type BulkImportRow, type BulkTransport, bulkExport, bulkImport } from './bulk-client.js';
import { type CarlyError, HttpStatusError, toCarlyError } from './errors.js';
import { PROCEDURES, type ProcedurePath } from './procedures.js';
import { type RetryOptions, retryLink } from './retry.js';
import type { AppRouter } from './router.js';
import type { Tokens } from './schemas/auth.js';
import type { ImportReport } from './schemas/bulk.js';
import type { CarlyEvent, ChangeSubscriptionInput, EventListInput } from './schemas/events.js';
import { type OpenTelemetryApi, withTraceContext } from './trace-context.js';

/** What the client needs to act for a user: the pair a login, signup or refresh returns. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** A `fetch` implementation (the global one by default). */
export type CarlyFetch = NonNullable<Parameters<typeof httpBatchLink>[0]['fetch']>;

export interface CarlyClientOptions {
  /** The server's address, e.g. `http://127.0.0.1:8000` (the tRPC endpoint is `<url>/trpc`). */
  url: string;
  /** A `fetch` to use instead of the global one (tests, proxies, older runtimes). */
  fetch?: CarlyFetch;
  /** Tokens to start with, e.g. the ones `onTokens` persisted last time. */
  tokens?: TokenPair | null;
  /**
   * An API key (`carly_sk_…`) to call as, instead of signing in: sent as the bearer credential on
   * every call; no tokens are kept or refreshed. Not together with `tokens`.
   */
  apiKey?: string;
  /**
   * Called whenever the client's tokens change: after a login, signup or refresh (with the new
   * tokens) and after a logout or a failed refresh (with `null`). Persist them here. The call
   * that changed them resolves only after this returns (or its promise settles).
   */
  onTokens?: (tokens: Tokens | null) => void | Promise<void>;
  /**
   * Where a new access token comes from after a 401, for apps that do not hold the refresh token
   * themselves (a browser app whose refresh token lives in an HttpOnly cookie, rotated by its own
   * server route, like Carly's console). Return the new access token, or `null` when the session
   * is over (the client then drops its token and calls `onTokens(null)`). With it, the client
   * never calls `auth.refresh`; give the first token with `setAccessToken`.
   */
  refreshAccessToken?: () => Promise<string | null>;
  /** Extra headers for every request. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Send calls made in the same tick as one HTTP request (default `true`). Mutations with an Idempotency-Key always go alone. */
  batch?: boolean;
  /**
   * Retries of calls that are safe to repeat (queries, and mutations, which carry an
   * Idempotency-Key) after a network error, a timeout, a 5xx or a 429: exponential backoff with
   * full jitter, honouring Retry-After. Never after another 4xx. `false` turns retries off.
   * Defaults: `{ retries: 3, baseDelayMs: 250, maxDelayMs: 10_000 }`.
   */
  retry?: RetryOptions | false;
  /** Each HTTP request gives up after this many milliseconds (default 30,000; 0 = never), and may then be retried. */
  timeoutMs?: number;
  /**
   * Your app's OpenTelemetry API (the `@opentelemetry/api` module's namespace): every request then
   * carries the active span's W3C `traceparent`, so the server's spans join your trace. The SDK
   * itself does not depend on OpenTelemetry.
   */
  opentelemetry?: OpenTelemetryApi;
}

/** Per-call options of the SDK's methods. */
export interface CallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
  /**
   * The Idempotency-Key of a mutation. By default the client makes a new one (a UUID) for every
   * call and re-sends it on each retry, so a retry never runs the mutation twice. Pass your own to
   * make a retry across restarts safe (e.g. derived from your job's own id).
   */
  idempotencyKey?: string;
}

/** Whether every field of an input may be left out, so the whole input may be. */
// biome-ignore lint/complexity/noBannedTypes: `{}` is meant here: "an object with no fields" fits I only when all of I's fields are optional.
type OptionalInput<I> = undefined extends I ? true : {} extends I ? true : false;

type ProcedureMethod<P extends AnyTRPCProcedure> =
  OptionalInput<inferProcedureInput<P>> extends true
    ? (input?: inferProcedureInput<P>, options?: CallOptions) => Promise<inferProcedureOutput<P>>
    : (input: inferProcedureInput<P>, options?: CallOptions) => Promise<inferProcedureOutput<P>>;

/**
 * One plain async method per query and mutation of the router, nested as the router is:
 * `carly.customers.get({ email })`. Derived from the router type, so a procedure added on the
 * server appears here without a hand edit.
 */
export type ProcedureMethods<TRecord> = {
  [K in keyof TRecord as TRecord[K] extends AnyTRPCProcedure
    ? TRecord[K]['_def']['type'] extends 'query' | 'mutation'
      ? K
      : never
    : K]: TRecord[K] extends AnyTRPCProcedure ? ProcedureMethod<TRecord[K]> : ProcedureMethods<TRecord[K]>;
};

type Record_ = AppRouter['_def']['record'];
type ListProcedure = Record_['customers']['list'];
/** `customers.list` input without `cursor`: what `customers.iterate` takes. */
export type CustomerIterateInput = Omit<NonNullable<inferProcedureInput<ListProcedure>>, 'cursor'>;
type ListedCustomer = inferProcedureOutput<ListProcedure>['items'][number];

type SearchProcedure = Record_['customers']['search'];
/** `customers.search` input without `cursor`: what `customers.searchAll` takes (`query`, `q`, `limit` per page). */
export type CustomerSearchAllInput = Omit<inferProcedureInput<SearchProcedure>, 'cursor'>;

export interface CustomerIteration {
  /** Walks every page of `customers.list` and yields each customer once. */
  iterate(input?: CustomerIterateInput, options?: CallOptions): AsyncGenerator<ListedCustomer, void, undefined>;
  /** Walks every page of `customers.search` (same `query` and `q`, `limit` per page) and yields each match in order. */
  searchAll(input: CustomerSearchAllInput, options?: CallOptions): AsyncGenerator<ListedCustomer, void, undefined>;
}

/** The callbacks of `customers.onChange`. */
export interface ChangeHandlers {
  /** Each event, in commit order, once. */
  onData: (event: CarlyEvent) => void;
  /**
   * The subscription ended with an error it cannot recover from (403; 412 when `lastEventId` is
   * older than the log keeps: resync from `customers.list`; 401 after a failed token refresh).
   * Dropped connections are not errors: the client reconnects and resumes by itself.
   */
  onError?: (error: CarlyError) => void;
  /** The server accepted the subscription (again after each reconnect). */
  onStarted?: () => void;
}

/** `events.list` input without `after`: what `events.iterate` takes, plus where to start. */
export type EventIterateInput = Omit<EventListInput, 'after'> & { after?: string };

export interface ChangeFollowing {
  /**
   * Live change events (SSE): every event for an admin or an API key with `events:read`, only
   * its own record's for a customer. Starts after `lastEventId` (or with events from now on) and
   * resumes by itself after a dropped connection, with no gap and no duplicate. Call
   * `unsubscribe()` to stop.
   */
  onChange(input: ChangeSubscriptionInput, handlers: ChangeHandlers): { unsubscribe: () => void };
  /** The same stream as an async iterator; stop it with `signal` or by leaving the loop. Errors are thrown as CarlyError. */
  changes(input?: ChangeSubscriptionInput, options?: CallOptions): AsyncGenerator<CarlyEvent, void, undefined>;
}

/**
 * The bulk routes (REST streams, not procedures). Named `bulk…` because `customers.export` is the
 * one person's data export (GDPR) procedure.
 */
export interface BulkTransfer {
  /**
   * GET /customers/export: resolves once the server has taken its snapshot, with the event cursor
   * of that snapshot (`eventsAfter`) and the customers as an async iterable, parsed as they arrive.
   * Leave the loop early to end the export. Needs an admin or an API key with `customers:export`.
   */
  bulkExport(input?: BulkExportInput, options?: BulkCallOptions): Promise<BulkExport>;
  /** POST /customers/import: streams the rows as NDJSON and answers the report of the import. Admin or `customers:write`. */
  bulkImport(rows: Iterable<BulkImportRow> | AsyncIterable<BulkImportRow>, options?: BulkCallOptions): Promise<ImportReport>;
}

export interface EventIteration {
  /** Walks `events.list` pages after `after` (or from the oldest kept) and yields each event once, until it has caught up. */
  iterate(input?: EventIterateInput, options?: CallOptions): AsyncGenerator<CarlyEvent, void, undefined>;
}

type Methods = ProcedureMethods<Record_>;

export type CarlyClient = Omit<Methods, 'customers' | 'events'> & {
  customers: Methods['customers'] & CustomerIteration & ChangeFollowing & BulkTransfer;
  events: Methods['events'] & EventIteration;
  /** The raw typed tRPC client (`.query()` / `.mutate()`), sharing this client's tokens. Its errors are `TRPCClientError`s. */
  readonly trpc: TRPCClient<AppRouter>;
  /** The tokens the client holds now, or `null` when signed out. */
  readonly tokens: TokenPair | null;
  /** Replace the held tokens (e.g. after reading them from storage); `null` signs out locally. Does not call `onTokens`. */
  setTokens(tokens: TokenPair | null): void;
  /** The access token held now (with or without a refresh token), or `null`. */
  readonly accessToken: string | null;
  /**
   * Hold an access token alone (the refresh token stays elsewhere: see `refreshAccessToken`);
   * `null` signs out locally. Does not call `onTokens`.
   */
  setAccessToken(accessToken: string | null): void;
};

/** What the client holds: an access token, and the refresh token unless the app keeps it elsewhere. */
type HeldTokens = { accessToken: string; refreshToken: string | null };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const DEFAULT_RETRY: Required<RetryOptions> = { retries: 3, baseDelayMs: 250, maxDelayMs: 10_000 };
const DEFAULT_TIMEOUT_MS = 30_000;

type Declared = { type: 'query' | 'mutation' | 'subscription'; input: boolean; auth: boolean; idempotent: boolean; session?: 'opens' | 'ends' };
const declared = (path: string): Declared | undefined => (PROCEDURES as Record<string, Declared>)[path];

/**
 * The fetch every call goes through: it gives up after `timeoutMs` (a TimeoutError, treated as "no
 * answer"), and turns an error answer that is not the server's JSON (a proxy's 502 page, a load
 * balancer's 503) into an HttpStatusError, so its status and Retry-After are not lost.
 */
function guardedFetch(fetchImpl: CarlyFetch, timeoutMs: number): CarlyFetch {
  return (async (url: Parameters<CarlyFetch>[0], init?: Parameters<CarlyFetch>[1]) => {
    const given = init?.signal as AbortSignal | null | undefined;
    const timeout = timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined;
    const signal = given && timeout ? AbortSignal.any([given, timeout]) : (timeout ?? given ?? undefined);
    const res = await fetchImpl(url, { ...init, ...(signal ? { signal } : {}) });
    // A fetch answers a Response; tRPC's own type for it is narrower.
    const { status, headers } = res as unknown as { status: number; headers: { get(name: string): string | null } };
    if (status >= 400 && !/json/i.test(headers.get('content-type') ?? '')) throw new HttpStatusError(status, headers.get('retry-after'));
    return res;
  }) as CarlyFetch;
}

const isUnauthorized = (err: unknown) => isRecord(err) && isRecord(err.data) && err.data.code === 'UNAUTHORIZED';

/**
 * Creates a Carly client.
 *
 * ```ts
 * const carly = createCarlyClient({ url: 'http://127.0.0.1:8000' });
 * await carly.auth.login({ email, password });
 * const customer = await carly.customers.get({ email: 'ada@example.com' });
 * ```
 */
export function createCarlyClient(options: CarlyClientOptions): CarlyClient {
  const base = options.url.replace(/\/+$/, '');
  const url = base.endsWith('/trpc') ? base : `${base}/trpc`;
  if (options.apiKey && options.tokens) throw new TypeError('createCarlyClient: pass either apiKey or tokens, not both');
  // The refresh token is absent when the app refreshes by itself (`refreshAccessToken`).
  let tokens: HeldTokens | null = options.tokens ? { accessToken: options.tokens.accessToken, refreshToken: options.tokens.refreshToken } : null;
  let refreshing: Promise<boolean> | null = null;
  const fetchImpl = guardedFetch(options.fetch ?? (globalThis.fetch as CarlyFetch), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

  const extraHeaders = async (): Promise<Record<string, string>> => {
    const extra = typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
    return options.opentelemetry ? withTraceContext(options.opentelemetry, extra) : extra;
  };
  const headers = async (): Promise<Record<string, string>> => {
    const extra = await extraHeaders();
    if (options.apiKey) return { ...extra, authorization: `Bearer ${options.apiKey}` };
    return tokens ? { ...extra, authorization: `Bearer ${tokens.accessToken}` } : extra;
  };

  /** Stores new tokens and tells the app; resolves once `onTokens` has. */
  async function changeTokens(next: Tokens | null): Promise<void> {
    tokens = next ? { accessToken: next.accessToken, refreshToken: next.refreshToken } : null;
    await options.onTokens?.(next);
  }

  // The refresh goes straight to the server, outside the token link (no retry loop).
  const plain = createTRPCUntypedClient<AppRouter>({
    links: [httpLink({ url, transformer: superjson, headers: extraHeaders, fetch: fetchImpl })],
  });

  /**
   * After a 401 on a call made with `usedToken`: refresh once (calls failing together share one
   * refresh) and say whether a retry may succeed.
   */
  function refreshAfter(usedToken: string): Promise<boolean> {
    if (refreshing) return refreshing;
    const held = tokens;
    if (!held) return Promise.resolve(false);
    // Someone refreshed since this call was sent: retry with the new token, spend nothing.
    if (held.accessToken !== usedToken) return Promise.resolve(true);
    const refreshOwn = options.refreshAccessToken;
    if (refreshOwn) {
      refreshing = (async () => {
        try {
          const accessToken = await refreshOwn();
          // Signed out (or signed in again) meanwhile: that state wins.
          if (tokens !== held) return tokens !== null;
          if (accessToken === null) {
            await changeTokens(null);
            return false;
          }
          tokens = { accessToken, refreshToken: null };
          return true;
        } catch {
          // A network failure keeps the session: the call fails, a later one may refresh again.
          return false;
        } finally {
          refreshing = null;
        }
      })();
      return refreshing;
    }
    const refreshToken = held.refreshToken;
    if (refreshToken === null) return Promise.resolve(false);
    refreshing = (async () => {
      try {
        const result = (await plain.mutation('auth.refresh', { refreshToken })) as { tokens: Tokens };
        await changeTokens(result.tokens);
        return true;
      } catch (err) {
        // The server refused the refresh token: the session is over. (A network failure keeps them.)
        if (isUnauthorized(err) && tokens === held) await changeTokens(null);
        return false;
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  /** Attaches nothing itself (the HTTP link's `headers` does); keeps tokens and refreshes on 401. */
  const tokenLink: TRPCLink<AppRouter> =
    () =>
    ({ op, next }) =>
      observable((observer) => {
        let sub: Unsubscribable | undefined;
        let closed = false;
        const declaration = declared(op.path);
        const needsAuth = declaration?.auth ?? true;
        // A subscription that needs a new token starts again after the last event it received.
        let lastEventId: string | undefined;
        const attempt = (retried: boolean) => {
          const usedToken = tokens?.accessToken;
          let pending: Promise<void> = Promise.resolve();
          const current = lastEventId === undefined ? op : { ...op, input: { ...(isRecord(op.input) ? op.input : {}), lastEventId } };
          sub = next(current).subscribe({
            next(envelope) {
              if (op.type === 'subscription') {
                const result: unknown = envelope.result;
                if (isRecord(result) && typeof result.id === 'string') lastEventId = result.id;
                // Connected with a good token: a later expiry may refresh again.
                if (isRecord(result) && result.type === 'started') retried = false;
                return observer.next(envelope);
              }
              const result: unknown = envelope.result;
              const data: unknown = isRecord(result) && 'data' in result ? result.data : undefined;
              // Which calls open or end a session is declared by the server (PROCEDURES), not guessed.
              let change: Promise<void> | undefined;
              if (declaration?.session === 'opens' && isRecord(data)) change = changeTokens(data.tokens as Tokens);
              else if (declaration?.session === 'ends') change = changeTokens(null);
              if (!change) return observer.next(envelope);
              pending = change.then(
                () => observer.next(envelope),
                (err: unknown) => {
                  closed = true;
                  observer.error(TRPCClientError.from(err instanceof Error ? err : new Error(String(err))));
                },
              );
            },
            error(err) {
              if (retried || !needsAuth || !usedToken || !isUnauthorized(err)) return observer.error(err);
              refreshAfter(usedToken).then(
                (retry) => {
                  if (closed) return;
                  if (retry) attempt(true);
                  else observer.error(err);
                },
                () => observer.error(err),
              );
            },
            complete() {
              void pending.then(() => {
                if (!closed) observer.complete();
              });
            },
          });
        };
        attempt(false);
        return () => {
          closed = true;
          sub?.unsubscribe();
        };
      });

  const plainTransport =
    (options.batch ?? true)
      ? httpBatchLink({ url, transformer: superjson, headers, fetch: fetchImpl })
      : httpLink({ url, transformer: superjson, headers, fetch: fetchImpl });
  // A header keys one call, so keyed mutations travel alone (the server refuses a keyed batch).
  const keyedTransport = httpLink({
    url,
    transformer: superjson,
    fetch: fetchImpl,
    headers: async ({ op }) => ({ ...(await headers()), 'idempotency-key': String(op.context.idempotencyKey) }),
  });
  // Subscriptions over SSE with the `eventsource` ponyfill (Node 20 has no EventSource, and the
  // browser's cannot send headers). Its fetch runs on every (re)connect, so each one carries the
  // token held at that moment, refreshed or not. (No per-request timeout: a stream stays open.)
  const sseFetch: FetchLike = async (input, init) => {
    const doFetch = (options.fetch ?? globalThis.fetch) as unknown as FetchLike;
    return doFetch(input, { ...init, headers: { ...init.headers, ...(await headers()) } });
  };
  const subscriptions = httpSubscriptionLink({ url, transformer: superjson, EventSource, eventSourceOptions: () => ({ fetch: sseFetch }) });
  const transport = splitLink<AppRouter>({
    condition: (op) => op.type === 'subscription',
    true: subscriptions,
    false: splitLink<AppRouter>({ condition: (op) => typeof op.context.idempotencyKey === 'string', true: keyedTransport, false: plainTransport }),
  });
  const retry = options.retry === false ? null : retryLink({ ...DEFAULT_RETRY, ...options.retry });
  const untyped = createTRPCUntypedClient<AppRouter>({ links: retry ? [tokenLink, retry, transport] : [tokenLink, transport] });

  const call = async (path: string, def: Declared, input: unknown, opts?: CallOptions) => {
    try {
      const idempotencyKey = opts?.idempotencyKey ?? (def.idempotent ? globalThis.crypto.randomUUID() : undefined);
      const requestOptions = {
        ...(opts?.signal ? { signal: opts.signal } : {}),
        ...(idempotencyKey !== undefined ? { context: { idempotencyKey } } : {}),
      };
      return def.type === 'query' ? await untyped.query(path, input, requestOptions) : await untyped.mutation(path, input, requestOptions);
    } catch (err) {
      throw toCarlyError(err, path);
    }
  };

  // The facade: one method per generated procedure entry, nested by path.
  const facade: Record<string, Record<string, unknown>> = {};
  for (const [path, def] of Object.entries(PROCEDURES) as [ProcedurePath, (typeof PROCEDURES)[ProcedurePath]][]) {
    if (def.type === 'subscription') continue; // hand-written below
    const parts = path.split('.');
    let node: Record<string, unknown> = facade;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = (input?: unknown, opts?: CallOptions) => call(path, def as Declared, input === undefined && def.input ? {} : input, opts);
  }

  type ListInput = inferProcedureInput<ListProcedure>;
  type Page = inferProcedureOutput<ListProcedure>;
  const customers = (facade.customers ??= {}) as Record<string, unknown>;
  customers.iterate = async function* iterate(input: CustomerIterateInput = {}, opts?: CallOptions) {
    let cursor: string | undefined;
    do {
      const pageInput: ListInput = cursor === undefined ? { ...input } : { ...input, cursor };
      const page = (await call('customers.list', declared('customers.list')!, pageInput, opts)) as Page;
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  };

  type SearchInput = inferProcedureInput<SearchProcedure>;
  type SearchPage = inferProcedureOutput<SearchProcedure>;
  customers.searchAll = async function* searchAll(input: CustomerSearchAllInput, opts?: CallOptions) {
    let cursor: string | undefined;
    do {
      const pageInput: SearchInput = cursor === undefined ? { ...input } : { ...input, cursor };
      const page = (await call('customers.search', declared('customers.search')!, pageInput, opts)) as SearchPage;
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  };

  const tracked = (value: unknown): CarlyEvent => (isRecord(value) ? value.data : value) as CarlyEvent;
  customers.onChange = (input: ChangeSubscriptionInput, handlers: ChangeHandlers) =>
    untyped.subscription('customers.onChange', input ?? {}, {
      onData: (value: unknown) => handlers.onData(tracked(value)),
      onError: (err: unknown) => handlers.onError?.(toCarlyError(err, 'customers.onChange')),
      onStarted: () => handlers.onStarted?.(),
    });
  customers.changes = async function* changes(input: ChangeSubscriptionInput = {}, opts?: CallOptions) {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    opts?.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const iterator = untyped.subscription('customers.onChange', input ?? {}, { signal: stop.signal });
      for await (const value of iterator) yield tracked(value);
    } catch (err) {
      if (stop.signal.aborted) return;
      throw toCarlyError(err, 'customers.onChange');
    } finally {
      opts?.signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  };

  const bulk: BulkTransport = {
    base,
    fetch: (options.fetch ?? globalThis.fetch) as typeof globalThis.fetch,
    headers,
    refreshAfter: async (used) => {
      const token = used?.replace(/^Bearer /, '');
      return !options.apiKey && token !== undefined && refreshAfter(token);
    },
  };
  customers.bulkExport = (input?: BulkExportInput, opts?: BulkCallOptions) => bulkExport(bulk, input, opts);
  customers.bulkImport = (rows: Iterable<BulkImportRow> | AsyncIterable<BulkImportRow>, opts?: BulkCallOptions) => bulkImport(bulk, rows, opts);

  type EventPage = inferProcedureOutput<Record_['events']['list']>;
  const events = (facade.events ??= {}) as Record<string, unknown>;
  events.iterate = async function* iterate(input: EventIterateInput = {}, opts?: CallOptions) {
    const limit = input.limit ?? 100;
    let after = input.after;
    for (;;) {
      const page = (await call('events.list', declared('events.list')!, { ...input, limit, ...(after ? { after } : {}) }, opts)) as EventPage;
      yield* page.items;
      after = page.nextCursor ?? undefined;
      // Fewer than a page: caught up with the log's head.
      if (page.items.length < Number(limit)) return;
    }
  };

  const client = Object.assign(facade, {
    trpc: createTRPCClientProxy<AppRouter>(untyped),
    setTokens(next: TokenPair | null) {
      tokens = next ? { accessToken: next.accessToken, refreshToken: next.refreshToken } : null;
    },
    setAccessToken(accessToken: string | null) {
      tokens = accessToken ? { accessToken, refreshToken: null } : null;
    },
  });
  Object.defineProperty(client, 'tokens', {
    enumerable: true,
    get: (): TokenPair | null => (tokens && tokens.refreshToken !== null ? { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken } : null),
  });
  Object.defineProperty(client, 'accessToken', { enumerable: true, get: () => tokens?.accessToken ?? null });
  return client as unknown as CarlyClient;
}
