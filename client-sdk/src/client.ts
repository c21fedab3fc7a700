import {
  createTRPCClientProxy,
  createTRPCUntypedClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  type TRPCClient,
  type TRPCLink,
} from '@trpc/client';
import { EventSource, type FetchLike } from 'eventsource';
import type { AnyTRPCProcedure, inferProcedureInput, inferProcedureOutput } from '@trpc/server';
import { observable, type Unsubscribable } from '@trpc/server/observable';
import superjson from 'superjson';
import { toCarlyError, type CarlyError } from './errors.js';
import { PROCEDURES, type ProcedurePath } from './procedures.js';
import type { AppRouter } from './router.js';
import type { Tokens } from './schemas/auth.js';
import type { CarlyEvent, ChangeSubscriptionInput, EventListInput } from './schemas/events.js';

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
   * Called whenever the client's tokens change: after a login, signup or refresh (with the new
   * tokens) and after a logout or a failed refresh (with `null`). Persist them here. The call
   * that changed them resolves only after this returns (or its promise settles).
   */
  onTokens?: (tokens: Tokens | null) => void | Promise<void>;
  /** Extra headers for every request. */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Send calls made in the same tick as one HTTP request (default `true`). */
  batch?: boolean;
}

/** Per-call options of the SDK's methods. */
export interface CallOptions {
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** Whether every field of an input may be left out, so the whole input may be. */
type OptionalInput<I> = undefined extends I ? true : {} extends I ? true : false;

type ProcedureMethod<P extends AnyTRPCProcedure> = OptionalInput<inferProcedureInput<P>> extends true
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

export interface CustomerIteration {
  /** Walks every page of `customers.list` and yields each customer once. */
  iterate(input?: CustomerIterateInput, options?: CallOptions): AsyncGenerator<ListedCustomer, void, undefined>;
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

export interface EventIteration {
  /** Walks `events.list` pages after `after` (or from the oldest kept) and yields each event once, until it has caught up. */
  iterate(input?: EventIterateInput, options?: CallOptions): AsyncGenerator<CarlyEvent, void, undefined>;
}

type Methods = ProcedureMethods<Record_>;

export type CarlyClient = Omit<Methods, 'customers' | 'events'> & {
  customers: Methods['customers'] & CustomerIteration & ChangeFollowing;
  events: Methods['events'] & EventIteration;
  /** The raw typed tRPC client (`.query()` / `.mutate()`), sharing this client's tokens. Its errors are `TRPCClientError`s. */
  readonly trpc: TRPCClient<AppRouter>;
  /** The tokens the client holds now, or `null` when signed out. */
  readonly tokens: TokenPair | null;
  /** Replace the held tokens (e.g. after reading them from storage); `null` signs out locally. Does not call `onTokens`. */
  setTokens(tokens: TokenPair | null): void;
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isTokens = (v: unknown): v is Tokens =>
  isRecord(v) && typeof v.accessToken === 'string' && typeof v.refreshToken === 'string';

const isUnauthorized = (err: unknown) =>
  isRecord(err) && isRecord(err.data) && err.data.code === 'UNAUTHORIZED';

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
  let tokens: TokenPair | null = options.tokens ? { accessToken: options.tokens.accessToken, refreshToken: options.tokens.refreshToken } : null;
  let refreshing: Promise<boolean> | null = null;

  const extraHeaders = async (): Promise<Record<string, string>> =>
    typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {});
  const headers = async (): Promise<Record<string, string>> => {
    const extra = await extraHeaders();
    return tokens ? { ...extra, authorization: `Bearer ${tokens.accessToken}` } : extra;
  };

  /** Stores new tokens and tells the app; resolves once `onTokens` has. */
  async function changeTokens(next: Tokens | null): Promise<void> {
    tokens = next ? { accessToken: next.accessToken, refreshToken: next.refreshToken } : null;
    await options.onTokens?.(next);
  }

  // The refresh goes straight to the server, outside the token link (no retry loop).
  const plain = createTRPCUntypedClient<AppRouter>({
    links: [httpLink({ url, transformer: superjson, headers: extraHeaders, ...(options.fetch ? { fetch: options.fetch } : {}) })],
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
    refreshing = (async () => {
      try {
        const result = (await plain.mutation('auth.refresh', { refreshToken: held.refreshToken })) as { tokens: Tokens };
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
  const tokenLink: TRPCLink<AppRouter> = () => ({ op, next }) =>
    observable((observer) => {
      let sub: Unsubscribable | undefined;
      let closed = false;
      const needsAuth = (PROCEDURES as Record<string, { auth: boolean }>)[op.path]?.auth ?? true;
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
            let change: Promise<void> | undefined;
            if (isRecord(data) && isTokens(data.tokens)) change = changeTokens(data.tokens);
            else if (op.path === 'auth.logout') change = changeTokens(null);
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

  const calls = (options.batch ?? true)
    ? httpBatchLink({ url, transformer: superjson, headers, ...(options.fetch ? { fetch: options.fetch } : {}) })
    : httpLink({ url, transformer: superjson, headers, ...(options.fetch ? { fetch: options.fetch } : {}) });
  // Subscriptions over SSE with the `eventsource` ponyfill (Node 20 has no EventSource, and the
  // browser's cannot send headers). Its fetch runs on every (re)connect, so each one carries the
  // token held at that moment, refreshed or not.
  const sseFetch: FetchLike = async (input, init) => {
    const doFetch = (options.fetch ?? globalThis.fetch) as unknown as FetchLike;
    return doFetch(input, { ...init, headers: { ...init.headers, ...(await headers()) } });
  };
  const subscriptions = httpSubscriptionLink({ url, transformer: superjson, EventSource, eventSourceOptions: () => ({ fetch: sseFetch }) });
  const transport = splitLink<AppRouter>({ condition: (op) => op.type === 'subscription', true: subscriptions, false: calls });
  const untyped = createTRPCUntypedClient<AppRouter>({ links: [tokenLink, transport] });

  const call = async (path: string, type: 'query' | 'mutation', input: unknown, opts?: CallOptions) => {
    try {
      const requestOptions = opts?.signal ? { signal: opts.signal } : undefined;
      return type === 'query' ? await untyped.query(path, input, requestOptions) : await untyped.mutation(path, input, requestOptions);
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
    node[parts[parts.length - 1]!] = (input?: unknown, opts?: CallOptions) =>
      call(path, def.type, input === undefined && def.input ? {} : input, opts);
  }

  type ListInput = inferProcedureInput<ListProcedure>;
  type Page = inferProcedureOutput<ListProcedure>;
  const customers = (facade.customers ??= {}) as Record<string, unknown>;
  customers.iterate = async function* iterate(input: CustomerIterateInput = {}, opts?: CallOptions) {
    let cursor: string | undefined;
    do {
      const pageInput: ListInput = cursor === undefined ? { ...input } : { ...input, cursor };
      const page = (await call('customers.list', 'query', pageInput, opts)) as Page;
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

  type EventPage = inferProcedureOutput<Record_['events']['list']>;
  const events = (facade.events ??= {}) as Record<string, unknown>;
  events.iterate = async function* iterate(input: EventIterateInput = {}, opts?: CallOptions) {
    const limit = input.limit ?? 100;
    let after = input.after;
    for (;;) {
      const page = (await call('events.list', 'query', { ...input, limit, ...(after ? { after } : {}) }, opts)) as EventPage;
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
  });
  Object.defineProperty(client, 'tokens', { enumerable: true, get: () => (tokens ? { ...tokens } : null) });
  return client as unknown as CarlyClient;
}
