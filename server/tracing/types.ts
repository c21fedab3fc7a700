/**
 * The shape of tracing as the rest of the server sees it. Types only: importing this file loads
 * no OpenTelemetry code. The implementation (tracing.ts) is imported dynamically, and only when an
 * OTLP endpoint is configured, so with tracing off no SDK module is even loaded.
 */

import type { MikroORM } from '@mikro-orm/core';
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import type { ReadLane } from '../db/read-lane.js';
import type { WriteLane } from '../db/write-lane.js';

/** Runs one procedure call inside its own span, a child of its request's span. */
export interface ProcedureTracer {
  procedure<R>(path: string, type: string, run: () => Promise<R>): Promise<R>;
}

export interface Tracing {
  /**
   * Fastify's `childLoggerFactory`: starts the request's server span (continuing a caller's
   * `traceparent`) and binds `trace_id`/`span_id` into the request logger, so every line of the
   * request carries them.
   */
  childLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']>;
  /** Hooks that name and end the server spans; diagnostics of the exporter go to the app's log. */
  instrumentHttp(app: FastifyInstance, procedureNames: Set<string>): void;
  /** A span per SQL statement run through MikroORM, under whatever span is active. */
  instrumentOrm(orm: MikroORM, database: Config['database']): void;
  /** A span per statement of the read lane (call before features prepare their statements). */
  instrumentReadLane(lane: ReadLane, database: Config['database']): void;
  /** A statement span per write-lane statement (db/write-lane.ts), as the ORM's statements get. */
  instrumentWriteLane(lane: WriteLane, database: Config['database']): void;
  /** The procedure tracer of one request (its spans become children of the request's span); undefined when the sampler left the request out. */
  forRequest(request: FastifyRequest): ProcedureTracer | undefined;
  /** Sends the spans still buffered, then unregisters the tracer provider. Never throws. */
  shutdown(): Promise<void>;
}
