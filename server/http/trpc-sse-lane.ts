import type { AnyProcedure } from '@trpc/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../trpc/context.js';
import {
  type AnyRouter,
  callProcedure,
  deserializeInput,
  proceduresOf,
  procedureType,
  serializedErrorShape,
  serializeOutput,
  toTRPCError,
  trackedParts,
} from '../trpc/internals.js';

type ContextFactory = (request: FastifyRequest, calls: number, connectionParams: Record<string, string | undefined> | null) => Context;

export interface SseLaneOptions {
  ping: { enabled: boolean; intervalMs: number };
  maxDurationMs: number;
  client: { reconnectAfterInactivityMs: number };
}

/**
 * A lane for tRPC subscriptions over SSE (`customers.onChange`), writing the same wire format as
 * tRPC's own SSE producer (`connected`, data messages with `id:`, `ping`, `serialized-error`,
 * `return`), which tRPC's `httpSubscriptionLink` and any EventSource read.
 *
 * Why: tRPC's adapter passes every message through five web streams (its producer, two
 * TransformStreams, a max-duration wrapper, Fastify's web-to-Node bridge); profiled with 1,000
 * subscribers that cost ~600 µs of CPU per delivered event, mostly promises and garbage. Here
 * each message is one write to a Node stream, and an event's text is serialized once for all the
 * subscribers that receive it (the feed hands them the same object). Input, connectionParams,
 * Last-Event-Id, authentication and errors go through the procedure exactly as in the adapter;
 * anything this lane does not understand falls through to it. A test compares both lanes.
 */
export function trpcSseLane(router: AnyRouter, createContext: ContextFactory, options: SseLaneOptions, prefix = '/trpc/') {
  const subscriptions = new Map<string, AnyProcedure>();
  for (const [path, procedure] of Object.entries(proceduresOf(router))) {
    if (procedureType(procedure) === 'subscription') subscriptions.set(path, procedure);
  }
  /**
   * The bytes of one SSE message, per yielded object: serialized and encoded once for every
   * subscriber that receives the same event (the feed hands them the same object).
   */
  const messages = new WeakMap<object, Buffer>();
  const message = (data: unknown, id: string | null): Buffer => {
    const cacheable = typeof data === 'object' && data !== null;
    let bytes = cacheable ? messages.get(data) : undefined;
    if (bytes === undefined) {
      const text = `data: ${JSON.stringify(serializeOutput(router, data))}\n`;
      bytes = Buffer.from(id === null ? `${text}\n\n` : `${text}id: ${id}\n\n\n`);
      if (cacheable) messages.set(data, bytes);
    }
    return bytes;
  };

  /** Returns true when it took the request; false means "let the adapter handle it". */
  return function handle(request: FastifyRequest, reply: FastifyReply): boolean {
    if (request.method !== 'GET') return false;
    const url = request.url;
    const q = url.indexOf('?');
    const path = url.slice(prefix.length, q < 0 ? undefined : q);
    const procedure = subscriptions.get(path);
    if (!procedure) return false;
    const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    let input: unknown;
    let connectionParams: Record<string, string | undefined> | null = null;
    try {
      const raw = params.get('input');
      input = raw === null ? undefined : deserializeInput(router, JSON.parse(raw));
      const rawParams = params.get('connectionParams');
      if (rawParams !== null) {
        const parsed: unknown = JSON.parse(rawParams);
        if (typeof parsed !== 'object' || parsed === null || Object.values(parsed).some((v) => typeof v !== 'string')) return false;
        connectionParams = parsed as Record<string, string>;
      }
    } catch {
      return false; // the adapter words the parse error
    }
    // As tRPC does: the Last-Event-Id header (an EventSource's reconnect) or query parameter
    // becomes the input's lastEventId.
    const lastEventId = headerValue(request.headers['last-event-id']) ?? params.get('lastEventId') ?? params.get('Last-Event-Id');
    if (lastEventId) {
      if (typeof input === 'object' && input !== null && !Array.isArray(input)) input = { ...input, lastEventId };
      else input ??= { lastEventId };
    }

    const ctx = createContext(request, 1, connectionParams);
    // This lane owns the response from here: Fastify runs no route handler for it (the request
    // is not answered through reply.send, so it would otherwise still reach the adapter).
    reply.hijack();
    const out = reply.raw;
    // The body ends when the connection closes (Connection: close below), so no chunk framing
    // per message.
    out.useChunkedEncodingByDefault = false;
    out.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      ...ctx.responseHeaders,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      vary: 'trpc-accept, accept',
      // When a stream ends the socket closes with it (see trpc-plugin.ts responseMeta).
      connection: 'close',
    });
    const stop = new AbortController();
    let lastWrite = Date.now();
    /** Undefined when the socket took the bytes; else resolves at 'drain' (or the stream's end). No await per message otherwise. */
    const write = (text: string | Buffer): Promise<void> | undefined => {
      lastWrite = Date.now();
      if (out.write(text)) return undefined;
      return new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          stop.signal.removeEventListener('abort', done);
          resolve();
        };
        out.on('drain', done);
        stop.signal.addEventListener('abort', done, { once: true });
      });
    };
    const ping = options.ping.enabled
      ? setInterval(() => {
          if (Date.now() - lastWrite >= options.ping.intervalMs) void write('event: ping\ndata: \n\n\n');
        }, options.ping.intervalMs / 2)
      : undefined;
    const maxDuration = setTimeout(() => stop.abort(), options.maxDurationMs);
    const finish = () => {
      clearInterval(ping);
      clearTimeout(maxDuration);
      stop.abort();
    };
    // The client went away (or the response ended): stop the stream.
    out.once('close', finish);

    void (async () => {
      let ended: 'return' | 'quiet' = 'quiet';
      try {
        await write(`event: connected\ndata: ${JSON.stringify(options.client)}\n\n\n`);
        const iterable = (await callProcedure(procedure, { ctx, input, path, signal: stop.signal })) as AsyncIterable<unknown>;
        for await (const value of iterable) {
          if (stop.signal.aborted) break;
          const tracked = trackedParts(value);
          const draining = write(tracked ? message(tracked.data, tracked.id) : message(value, null));
          if (draining) await draining;
        }
        if (!stop.signal.aborted) ended = 'return';
      } catch (cause) {
        if (!stop.signal.aborted && !(cause instanceof Error && cause.name === 'AbortError')) {
          const error = toTRPCError(cause);
          if (error.code === 'INTERNAL_SERVER_ERROR') request.log.error({ err: error.cause ?? error }, 'procedure failed');
          const shape = serializedErrorShape(router, error, { type: 'subscription', path, input, ctx });
          out.write(`event: serialized-error\ndata: ${JSON.stringify(shape)}\n\n\n`);
        }
      } finally {
        if (ended === 'return' && !out.writableEnded) out.write('event: return\ndata: \n\n\n');
        finish();
        out.end();
      }
    })();
    return true;
  };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
