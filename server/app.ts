import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { FastifyInstance } from 'fastify';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { buildDomain } from './domain.js';
import { createHttpServer, type HttpOptions, registerHttp } from './http/http-server.js';
import type { RequestInfo } from './identity/request-info.js';
import { Lifecycle } from './lifecycle.js';
import type { Tracing } from './tracing/types.js';
import { createCallerFactory } from './trpc/init.js';
import { contextFactory } from './trpc/request-context.js';
import { appRouter } from './trpc/root.js';
import { SERVICE_VERSION } from './version.js';

export interface App {
  http: FastifyInstance;
  orm: MikroORM;
  config: Config;
  /** The ordered start/stop steps (started by buildApp; `http.close()` stops them, last first). */
  lifecycle: Lifecycle;
  /** Database statements run since start, through the ORM and the read lane (a diagnostic for tests). */
  queryCount: () => number;
  /** bcrypt compares run since start, real or dummy (a diagnostic for tests). */
  passwordCompares: () => number;
  /** Writes the new customers waiting for the search indexer into the search indexes now (tests; search results never depend on it). */
  indexSearchNow: () => Promise<void>;
  /**
   * Calls procedures in-process, without HTTP (tRPC's createCaller): the same validation, access
   * rules, idempotency and services as both wires, for fast procedure and service tests. Pass
   * `authorization: 'Bearer …'` to call as someone.
   */
  createCaller: (request?: Partial<RequestInfo>) => AppCaller;
}

/** The router's procedures as plain async functions: `await caller.customers.get({ email })`. */
export type AppCaller = ReturnType<typeof appRouter.createCaller>;

export interface AppOptions extends HttpOptions {
  /** Where "now" comes from (token expiry, sessions, throttles); tests move it forward. */
  clock?: Clock;
  /** Benchmarks only: false writes no change events, to measure what the event log costs. */
  recordEvents?: boolean;
  /** false: the hot writes through MikroORM instead of the write lane (db/write-lane.ts); the equivalence test's reference. Default true. */
  writeLane?: boolean;
}

/**
 * Builds the whole service on an open database and starts it; never listens (main.ts and tests
 * do). Three parts: the domain (domain.ts: database, services, workers; no Fastify), the wires on
 * it (http/http-server.ts: Fastify, tRPC, REST), and the lifecycle (lifecycle.ts) that starts the
 * parts in order and stops them in reverse when the HTTP server closes.
 */
export async function buildApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  // The tracer provider comes first, so everything built after it can be traced. With tracing off
  // the SDK is never even loaded (a dynamic import), and no hook below is registered.
  const tracing: Tracing | undefined = config.tracing ? (await import('./tracing/tracing.js')).startTracing(config.tracing, SERVICE_VERSION) : undefined;
  // Last to stop, so the spans of the final requests and statements are sent.
  const lifecycle = new Lifecycle().add({ name: 'tracing', stop: () => tracing?.shutdown() });
  const http = createHttpServer(config, tracing);
  const domain = await buildDomain(config, {
    clock,
    log: http.log,
    tracing,
    recordEvents: options.recordEvents ?? true,
    writeLane: options.writeLane ?? true,
    lifecycle,
  });
  const contextFor = contextFactory(domain);
  await registerHttp(http, domain, contextFor, { tracing, lifecycle, options });
  await lifecycle.start();

  const createCaller = (request: Partial<RequestInfo> = {}) =>
    createCallerFactory(appRouter)(
      contextFor({ requestId: randomUUID(), ip: '127.0.0.1', userAgent: null, authorization: null, idempotencyKey: null, calls: 1, ...request }),
    );
  return {
    http,
    orm: domain.orm,
    config,
    lifecycle,
    queryCount: domain.queryCount,
    passwordCompares: domain.passwordCompares,
    indexSearchNow: domain.indexSearchNow,
    createCaller,
  };
}
